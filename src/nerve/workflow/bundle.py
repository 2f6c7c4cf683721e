"""Checking a run's ``model.safetensors`` bundle before anything is built from it.

A model file is user input: it may be damaged, hand-edited or made to hurt. Its model spec
decides how much memory the network takes, so every size in it is checked here -- against
sane bounds (:data:`~nerve.workflow.model.MAX_UNITS` and friends) and against the weight
tensors actually stored in the file -- *before* a single weight is allocated. A spec that
claims ``hidden = [2000000000]`` next to an 8-unit weight matrix, 200,000 layers, a class
count of 1e12 or a negative one is rejected with one line that names the file and the key.

Since the spec must match the stored tensors, the network built from a file that passes is
no larger than the file itself.

Example:
    >>> check_bundle({"format": "nerve.run"}, "run/model.safetensors")
    Traceback (most recent call last):
    ...
    nerve.workflow.errors.DataError: run/model.safetensors: key 'version': missing
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

from .cnnmodel import CnnSpec, spec_from_dict
from .csvschema import CsvSchema
from .data import TASKS
from .errors import DataError
from .model import ModelSpec, output_size, resolve_loss

__all__ = ["BUNDLE_FORMAT", "check_bundle"]

BUNDLE_FORMAT = "nerve.run"
_KEYS = (
    "version",
    "model",
    "spec",
    "task",
    "scaler",
    "class_names",
    "feature_names",
    "schema",
    "train_targets",
)


def check_bundle(
    bundle: Any, path: str | os.PathLike[str]
) -> tuple[ModelSpec | CnnSpec, CsvSchema | None]:
    """Validate a loaded bundle; return its model spec and CSV schema (or raise DataError).

    Checks, in this order and on plain numbers only: the keys and their types, the spec's
    bounds, the spec against the stored weight shapes, the names against the spec's sizes,
    and the training-target summary.
    """
    if not isinstance(bundle, dict) or bundle.get("format") != BUNDLE_FORMAT:
        raise DataError(f"{path}: not a nerve run bundle (no format={BUNDLE_FORMAT!r})")
    for key in _KEYS:
        if key not in bundle:
            raise DataError(f"{path}: key {key!r}: missing")

    def fail(key: str, message: str) -> DataError:
        return DataError(f"{path}: key {key!r}: {message}")

    if bundle["version"] != 1:
        raise fail("version", f"unsupported version {bundle['version']!r:.40}; expected 1")
    task = bundle["task"]
    if task not in TASKS:
        raise fail("task", f"{task!r:.40} is not one of {', '.join(TASKS)}")
    try:
        spec = spec_from_dict(bundle["spec"])  # bounds checked, nothing allocated
        loss = resolve_loss(task, spec.loss)
    except (DataError, TypeError) as err:
        raise fail("spec", str(err)) from None
    _check_weights(bundle["model"], spec, fail)
    names = {k: bundle[k] for k in ("class_names", "feature_names")}
    for key, value in names.items():
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail(key, f"must be a list of names, got {type(value).__name__}")
    if len(names["feature_names"]) != spec.input_size:
        raise fail(
            "feature_names",
            f"{len(names['feature_names'])} names for a model with {spec.input_size} inputs",
        )
    n_classes = len(names["class_names"])
    if task == "regression" and n_classes:
        raise fail("class_names", "a regression model has no classes")
    if task != "regression":
        wanted = output_size(task, n_classes, loss) if n_classes >= 2 else -1
        if n_classes < 2 or spec.output_size != wanted or (task == "binary") != (n_classes == 2):
            raise fail(
                "class_names",
                f"{n_classes} classes do not fit a {task} model with {spec.output_size} outputs",
            )
    _check_targets(bundle["train_targets"], task, n_classes, fail)
    if not isinstance(bundle["scaler"], dict):
        raise fail("scaler", f"must be a table, got {type(bundle['scaler']).__name__}")
    schema = None
    if bundle["schema"] is not None:
        try:
            schema = CsvSchema.from_dict(bundle["schema"])
        except DataError as err:
            raise fail("schema", str(err)) from None
        if schema.feature_names != names["feature_names"] or schema.task != task:
            raise fail("schema", "its columns or task disagree with the model's")
    return spec, schema


def _check_weights(state: Any, spec: ModelSpec | CnnSpec, fail: Any) -> None:
    """The stored Conv2d and Linear weights must be exactly those the spec describes, in
    order."""
    if not isinstance(state, dict):
        raise fail("model", f"must be a state dict, got {type(state).__name__}")
    shapes = []
    for name, tensor in state.items():
        shape = getattr(tensor, "shape", None)
        if shape is None:
            raise fail(f"model.{name}", f"must be a tensor, got {type(tensor).__name__}")
        if len(shape) in (2, 4):  # Linear, Conv2d weights; biases, BatchNorm stats are 1-D
            shapes.append(tuple(int(s) for s in shape))
    expected = spec.weight_shapes()
    if shapes != expected:
        sizes = [spec.input_size, *getattr(spec, "channels", []), *spec.hidden, spec.output_size]
        shown = " -> ".join(map(str, sizes))
        raise fail(
            "spec",
            f"describes a {shown} network (weights {expected[:4]}{' ...' * (len(expected) > 4)}) "
            f"but the file stores weights {shapes[:4]}{' ...' * (len(shapes) > 4)}",
        )


def _check_targets(summary: Any, task: str, n_classes: int, fail: Any) -> None:
    """``{"mean": x}`` for regression, else ``{"class_counts": [n_0, ..., n_k-1]}``."""
    if not isinstance(summary, dict):
        raise fail("train_targets", f"must be a table, got {type(summary).__name__}")
    if task == "regression":
        mean = summary.get("mean")
        if isinstance(mean, bool) or not isinstance(mean, (int, float)) or not math.isfinite(mean):
            raise fail("train_targets.mean", f"must be a finite number, got {mean!r:.40}")
        return
    counts = summary.get("class_counts")
    if not isinstance(counts, list) or len(counts) != n_classes:
        raise fail("train_targets.class_counts", f"must be a list of {n_classes} counts")
    for k, c in enumerate(counts):
        if isinstance(c, bool) or not isinstance(c, (int, np.integer)) or c < 0:
            raise fail(
                "train_targets.class_counts", f"count {k} is {c!r:.40}; expected an int >= 0"
            )
    if not any(counts):
        raise fail("train_targets.class_counts", "all counts are 0")
