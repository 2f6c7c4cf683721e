"""The data side of a run, shared by training and re-evaluation: load the data set a config
names, split and scale it exactly as training did (same seed, scaler fitted on train only),
and evaluate a model on each split beside the baseline."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from .config import RunConfig, data_kind
from .csvschema import CsvSchema
from .data import ArrayData
from .errors import DataError
from .images import ImageData, channel_scaler, load_image_source
from .metrics import (
    baseline_warnings,
    format_metrics_table,
    main_metric,
    majority_baseline,
    mean_baseline,
    perfect_score_note,
)
from .preprocess import make_scaler
from .rundir import SavedRun
from .split import train_val_test_split
from .tabular import load_csv, load_sklearn
from .toy import make_toy
from .trainer import Trainer

__all__ = [
    "SPLITS",
    "load_data",
    "split_data",
    "evaluate_splits",
    "evaluate_saved",
    "metrics_table",
]

SPLITS = ("train", "validation", "test")


def load_data(
    cfg: RunConfig, schema: CsvSchema | None = None
) -> tuple[ArrayData, CsvSchema | None]:
    """Load ``[data]``: a toy set, a scikit-learn set, images (an :class:`ImageData`: the
    digits for a CNN, MNIST, an image folder or IDX files) or a CSV file (with its fitted
    schema; pass a saved ``schema`` to encode a CSV exactly as in training)."""
    d = cfg.data
    kind = data_kind(d.source)
    if kind == "images" or (d.source == "digits" and cfg.model.type == "cnn"):
        return load_image_source(d.source, d.image_size, d.color), None
    if kind == "toy":
        data = make_toy(d.source, d.n_samples, d.noise, d.seed, d.n_classes, margin=d.margin)
        return data, None
    if kind == "sklearn":
        return load_sklearn(d.source), None
    if schema is not None:
        return load_csv(d.source, d.target, d.task, schema=schema), schema
    return load_csv(d.source, d.target, d.task, return_schema=True)


def split_data(
    cfg: RunConfig, data: ArrayData
) -> tuple[dict[str, np.ndarray], Any, dict[str, ArrayData]]:
    """Split indices, the scaler fitted on the training split only, and the scaled splits
    (empty splits left out)."""
    p = cfg.preprocess
    stratify = p.stratify and data.task != "regression"
    idx = dict(zip(SPLITS, train_val_test_split(data.y, p.val, p.test, stratify, cfg.data.seed)))
    if isinstance(data, ImageData):  # per channel, as transforms.Normalize does
        scaler = channel_scaler(p.scaler, data.X[idx["train"]], data.image_shape)
        scaled: ArrayData = dataclasses.replace(data, X=scaler.transform(data.X))
    else:
        scaler = make_scaler(p.scaler).fit(data.X[idx["train"]])  # never sees validation, test
        scaled = ArrayData(
            scaler.transform(data.X),
            data.y,
            data.task,
            data.name,
            data.feature_names,
            data.class_names,
        )
    parts = {name: scaled.subset(i) for name, i in idx.items() if len(i)}
    return idx, scaler, parts


def metrics_table(metrics: dict[str, Any]) -> str:
    """The model's metrics per split beside the baseline's (on the last split)."""
    columns = {name: metrics[name] for name in metrics["baseline"]}
    last = list(columns)[-1]
    columns[f"baseline ({last})"] = metrics["baseline"][last]
    return format_metrics_table(columns)


def evaluate_splits(
    trainer: Trainer, parts: dict[str, ArrayData], data: ArrayData, y_train: np.ndarray
) -> dict[str, Any]:
    metrics: dict[str, Any] = {"task": data.task, "main_metric": main_metric(data.task)}
    metrics["baseline"] = {}
    warnings: list[str] = []
    for name, part in parts.items():
        metrics[name] = trainer.evaluate(part)
        if data.task == "regression":
            base = mean_baseline(y_train, part.y)
        else:
            base = majority_baseline(y_train, part.y, data.n_classes)
        metrics["baseline"][name] = base
        if name != "train":  # a perfect training score is no news
            warnings += baseline_warnings(metrics[name], base, data.task, name, data.name)
    metrics["warnings"] = warnings
    # a toy set's name (make_toy's ArrayData.name); a CSV is named "csv", a real set its own
    note = perfect_score_note({n: metrics[n] for n in parts}, data.task, data.name)
    metrics["notes"] = [note] if note else []
    return metrics


def evaluate_saved(saved: SavedRun, cfg: RunConfig | None = None) -> dict[str, Any]:
    """Re-evaluate a saved run: on its own data and splits by default (as in training), or on
    all of the data set ``cfg`` names (a CSV is encoded with the run's saved schema).

    Returns metrics shaped like the run's ``metrics.json``: one entry per split (or
    ``"data"``), ``"baseline"`` and ``"warnings"``.

    Example:
        >>> import io, tempfile
        >>> from nerve.workflow import RunConfig, run
        >>> cfg = RunConfig().override({"training.epochs": "2", "training.batch_size": "16",
        ...     "output.plots": "false", "output.root": tempfile.mkdtemp()})
        >>> from nerve.workflow import evaluate_saved, load_run
        >>> saved = load_run(run(cfg, quiet=True, out=io.StringIO()).run_dir)
        >>> metrics = evaluate_saved(saved)
        >>> sorted(metrics)
        ['baseline', 'test', 'train', 'validation', 'warnings']
        >>> sorted(metrics["test"])
        ['accuracy', 'balanced_accuracy', 'f1', 'loss', 'precision', 'recall', 'roc_auc']
    """
    own = cfg is None
    cfg = cfg or saved.config
    if cfg is None:
        raise FileNotFoundError(f"'{saved.run_dir}' has no config.toml; name the data to use")
    data, _ = load_data(cfg, saved.schema if data_kind(cfg.data.source) == "csv" else None)
    if data.task != saved.task or data.n_features != saved.spec.input_size:
        raise DataError(
            f"the run was trained on a {saved.task} task with {saved.spec.input_size} features; "
            f"{data.name} is {data.task} with {data.n_features}"
        )
    if own:
        idx, _, _ = split_data(cfg, data)
        parts = {name: data.subset(i) for name, i in idx.items() if len(i)}
    else:
        parts = {"data": data}
    metrics: dict[str, Any] = {"baseline": {}, "warnings": []}
    for name, part in parts.items():
        metrics[name] = saved.evaluate(part)
        metrics["baseline"][name] = base = saved.baseline(part)
        if name != "train":
            metrics["warnings"] += baseline_warnings(
                metrics[name], base, saved.task, name, data.name
            )
    return metrics
