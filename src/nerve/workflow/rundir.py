"""The run directory: where it goes, how it is written atomically, and how it is read back.

A run directory holds ``config.toml``, ``history.csv``, ``metrics.json``, ``model.safetensors``
and ``plots/``. It is built in a hidden temporary directory beside its final place and renamed
into place only when everything is written, so a failed or interrupted run never leaves a
half-written run directory, and an existing one is never overwritten by accident.

``model.safetensors`` is written with ``nerve.save`` (no pickle) and holds everything needed to
predict on raw inputs: the model's state dict, the model spec and task, the scaler's state, the
class and feature names, the CSV schema (for CSV data) and a summary of the training targets
for the baseline. :func:`load_run` rebuilds all of it as a :class:`SavedRun`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import nerve
from nerve import nn

from .bundle import BUNDLE_FORMAT, check_bundle
from .config import RunConfig, load_config
from .csvschema import CsvSchema, read_table
from .data import ArrayData, as_features
from .errors import DataError
from .metrics import majority_baseline, mean_baseline
from .model import ModelSpec, build_loss, build_model, head_of, predict_labels, predict_proba
from .preprocess import scaler_from_state_dict
from .tabular import read_text_file
from .trainer import evaluate_model

__all__ = [
    "RUN_FILES",
    "RunDirExistsError",
    "SavedRun",
    "load_run",
    "check_destination",
    "save_bundle",
]

RUN_FILES = ("config.toml", "history.csv", "metrics.json", "model.safetensors")


class RunDirExistsError(FileExistsError):
    """The requested run directory exists and ``overwrite`` was not given."""


def check_destination(target: Path, overwrite: bool) -> None:
    """Fail early (before any training) if ``target`` may not be written."""
    if not target.exists():
        return
    if not overwrite:
        raise RunDirExistsError(
            f"output directory '{target}' already exists; pass --overwrite to replace it or "
            "choose another --out"
        )
    if not target.is_dir():
        raise RunDirExistsError(f"output path '{target}' exists and is not a directory")
    # --overwrite deletes the old directory: only ever do that to an empty or nerve run dir.
    entries = {p.name for p in target.iterdir()}
    if entries and not {"config.toml", "model.safetensors"} <= entries:
        raise RunDirExistsError(
            f"refusing to overwrite '{target}': it is not a nerve run directory "
            "(no config.toml and model.safetensors in it)"
        )


def save_bundle(
    path: Path,
    model: nn.Module,
    spec: ModelSpec,
    task: str,
    scaler: Any,
    data: ArrayData,
    y_train: np.ndarray,
    schema: CsvSchema | None,
) -> None:
    """Write the model and everything needed to use it to ``path`` with ``nerve.save``."""
    if task == "regression":
        summary: dict[str, Any] = {"mean": float(np.mean(y_train))}
    else:
        summary = {"class_counts": np.bincount(y_train, minlength=data.n_classes).tolist()}
    bundle = {
        "format": BUNDLE_FORMAT,
        "version": 1,
        "model": model.state_dict(),
        "spec": spec.to_dict(),
        "task": task,
        "scaler": scaler.state_dict(),
        "class_names": list(data.class_names),
        "feature_names": list(data.feature_names),
        "schema": None if schema is None else schema.to_dict(),
        "train_targets": summary,
    }
    nerve.save(bundle, path)


@dataclass
class SavedRun:
    """A trained run read back from disk: predict and evaluate on *raw* (unscaled) inputs.

    Example:
        >>> import io, tempfile
        >>> from nerve.workflow import RunConfig, run
        >>> cfg = RunConfig().override({"training.epochs": "2", "training.batch_size": "16",
        ...     "output.plots": "false", "output.root": tempfile.mkdtemp()})
        >>> from nerve.workflow import load_run
        >>> saved = load_run(run(cfg, quiet=True, out=io.StringIO()).run_dir)
        >>> saved.task, saved.feature_names, saved.class_names
        ('binary', ['x1', 'x2'], ['x1*x2<0', 'x1*x2>0'])
        >>> saved.predict_proba([[0.5, 0.5], [0.5, -0.5]]).shape  # unscaled inputs
        (2, 2)
    """

    run_dir: Path
    model: nn.Module
    spec: ModelSpec
    task: str
    scaler: Any
    class_names: list[str]
    feature_names: list[str]
    schema: CsvSchema | None
    train_targets: dict[str, Any]
    config: RunConfig | None = field(default=None)

    @property
    def head(self) -> str:
        return head_of(self.loss_fn(), self.task)

    def loss_fn(self) -> nn.Module:
        return build_loss(self.task, self.spec.loss)

    def _scaled(self, X: Any) -> np.ndarray:
        X = as_features(X, "inputs")  # the same rule as for training data
        if X.shape[1] != self.spec.input_size:
            raise DataError(
                f"inputs must have {self.spec.input_size} columns "
                f"({', '.join(self.feature_names)}), got shape {X.shape}"
            )
        with np.errstate(over="ignore", invalid="ignore"):
            scaled = self.scaler.transform(X).astype(np.float32)
        bad = np.argwhere(~np.isfinite(scaled))
        if len(bad):  # finite, but so far from the training data that scaling overflows
            i, j = (int(k) for k in bad[0])
            raise DataError(
                f"input row {i}, feature {self.feature_names[j]!r}: {float(X[i, j])!r} lies too "
                "far outside the range the model was trained on (it overflows float32 once scaled)"
            )
        return scaled

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities ``(n, k)``, or values ``(n,)`` for regression, of raw ``X``."""
        out = predict_proba(self.model, self._scaled(X), self.head)
        bad = np.flatnonzero(~np.isfinite(out.reshape(len(out), -1)).all(axis=1))
        if len(bad):  # e.g. an input so far outside the training range that the scaler overflows
            raise DataError(
                f"the model's output for input row {int(bad[0])} is not finite; its values lie "
                "far outside the range the model was trained on"
            )
        return out

    def predict(self, X: Any) -> np.ndarray:
        """Class labels (int64) or regression values of raw ``X``."""
        out = self.predict_proba(X)
        return out if self.task == "regression" else predict_labels(out)

    def evaluate(self, data: ArrayData) -> dict[str, float]:
        """Loss and metrics on raw ``data`` (same task and features as the training data)."""
        if data.task != self.task or data.n_features != self.spec.input_size:
            raise DataError(
                f"the model was trained on a {self.task} task with {self.spec.input_size} "
                f"features; this data is {data.task} with {data.n_features}"
            )
        scaled = ArrayData(
            self._scaled(data.X), data.y, data.task, data.name, data.feature_names, data.class_names
        )
        return evaluate_model(self.model, self.loss_fn(), scaled)

    def baseline(self, data: ArrayData) -> dict[str, float]:
        """The majority-class (or training-mean) baseline on ``data``."""
        if self.task == "regression":
            return mean_baseline([self.train_targets["mean"]], data.y)
        # Only the majority class matters: never rebuild the labels from the counts (a
        # count of 1e12 in a file would ask for terabytes).
        counts = self.train_targets["class_counts"]
        majority = max(range(len(counts)), key=counts.__getitem__)
        return majority_baseline([majority], data.y, len(self.class_names))

    def prediction_table(self, X: Any) -> tuple[list[str], list[list[str]]]:
        """``(header, rows)`` of predictions for raw ``X``: the class label and one
        ``prob_<class>`` column per class, or the regression ``prediction``.

        Example:
            >>> saved.prediction_table([[0.5, 0.5]])  # doctest: +SKIP
            (['prediction', 'prob_x1*x2<0', 'prob_x1*x2>0'], [['x1*x2>0', '0.013215', '0.986785']])
        """
        out = self.predict_proba(X)
        if self.task == "regression":
            return ["prediction"], [[f"{v:.6g}"] for v in out]
        header = ["prediction", *(f"prob_{c}" for c in self.class_names)]
        labels = predict_labels(out)
        rows = [[self.class_names[k], *(f"{p:.6g}" for p in ps)] for k, ps in zip(labels, out)]
        return header, rows

    def read_features(self, path: str | os.PathLike[str]) -> np.ndarray:
        """The feature columns of a CSV file, encoded as in training (target column optional)."""
        schema = self.schema or CsvSchema("", self.task, list(self.feature_names))
        return schema.transform_table(read_table(read_text_file(path)))


def load_run(run_dir: str | os.PathLike[str]) -> SavedRun:
    """Rebuild model, scaler, schema and config of a run directory written by ``run``.

    Example:
        >>> saved = load_run("runs/xor-0001")  # doctest: +SKIP
        >>> saved.predict([[0.5, 0.5], [0.5, -0.5]])  # doctest: +SKIP
        array([1, 0])
    """
    root = Path(run_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"run directory not found: '{root}'")
    path = root / "model.safetensors"
    if not path.is_file():
        raise FileNotFoundError(f"'{root}' is not a run directory: it has no model.safetensors")
    try:
        bundle = nerve.load(path)
    except (ValueError, KeyError, TypeError) as err:
        raise DataError(f"{path}: not a readable nerve model file ({err})") from err
    spec, schema = check_bundle(bundle, path)  # every size checked before anything is built
    try:
        task = str(bundle["task"])
        model = build_model(spec, task)
        model.load_state_dict(bundle["model"])
        model.eval()
        scaler_state = {
            k: (v if isinstance(v, str) else np.asarray(v)) for k, v in bundle["scaler"].items()
        }
        scaler = scaler_from_state_dict(scaler_state)
    except (KeyError, TypeError, RuntimeError, DataError) as err:
        raise DataError(f"{path}: malformed run bundle ({err})") from err
    if getattr(scaler, "n_features", spec.input_size) not in (None, spec.input_size):
        raise DataError(
            f"{path}: key 'scaler': fitted on {scaler.n_features} features, "
            f"the model takes {spec.input_size}"
        )
    saved = SavedRun(
        run_dir=root,
        model=model,
        spec=spec,
        task=task,
        scaler=scaler,
        class_names=list(bundle["class_names"]),
        feature_names=list(bundle["feature_names"]),
        schema=schema,
        train_targets=dict(bundle["train_targets"]),
    )
    config_path = root / "config.toml"
    if config_path.is_file():
        saved.config = load_config(config_path)
    return saved
