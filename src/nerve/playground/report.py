"""The numbers beside the loss: metrics on the test points and the baseline to beat.

The lecture's step 04 asks "which metrics tell us how well we are doing on unseen data?" and
its workflow asks "is it better than a baseline?". This module answers both for the page with
the workflow's metrics: accuracy, precision, recall, F1 and the confusion matrix on the test
points (or the training points while there are none), next to the same numbers for always
predicting the most frequent training class (the mean, for regression).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nerve.workflow import (
    classification_report,
    confusion_matrix,
    majority_baseline,
    mean_baseline,
    regression_report,
)
from nerve.workflow.model import predict_labels

from .dataset import TEST, TRAIN, PointSet

__all__ = ["evaluate"]

# Keys shown for binary and multiclass data (macro averages treat every class alike).
_BINARY_KEYS = {"accuracy": "accuracy", "precision": "precision", "recall": "recall", "f1": "f1"}
_MULTI_KEYS = {
    "accuracy": "accuracy",
    "precision": "precision_macro",
    "recall": "recall_macro",
    "f1": "f1_macro",
}


def _clean(report: dict[str, float], keys: dict[str, str]) -> dict[str, float | None]:
    """Chosen metrics, with NaN (an undefined metric) as None so that JSON can carry it."""
    out: dict[str, float | None] = {}
    for shown, key in keys.items():
        value = report.get(key)
        out[shown] = None if value is None or not math.isfinite(value) else round(value, 4)
    return out


def evaluate(points: PointSet, proba: np.ndarray) -> dict[str, Any]:
    """Metrics of the predictions ``proba`` (one row per point, in the points' order).

    ``proba`` holds class probabilities ``(n, k)`` for classification and values ``(n,)`` for
    regression, as :func:`~nerve.workflow.model.outputs_to_proba` returns them.
    """
    train = points.indices(TRAIN)
    evaluated = points.indices(TEST)
    on = "test"
    if evaluated.size == 0:
        evaluated, on = train, "train"
    if points.task == "regression":
        return _regression(points, proba, train, evaluated, on)
    return _classification(points, proba, train, evaluated, on)


def _classification(
    points: PointSet, proba: np.ndarray, train: np.ndarray, evaluated: np.ndarray, on: str
) -> dict[str, Any]:
    k = points.n_classes
    keys = _BINARY_KEYS if k == 2 else _MULTI_KEYS
    pred = predict_labels(np.nan_to_num(proba))
    y = points.y
    model = _clean(classification_report(y[evaluated], pred[evaluated], None, k), keys)
    base = _clean(majority_baseline(y[train], y[evaluated], k), keys)
    train_acc = float(np.mean(pred[train] == y[train])) if train.size else None
    better = _better(model["accuracy"], base["accuracy"]) and _better(model["f1"], base["f1"])
    return {
        "task": points.task,
        "on": on,
        "model": model,
        "baseline": base,
        "train_accuracy": None if train_acc is None else round(train_acc, 4),
        "confusion": confusion_matrix(y[evaluated], pred[evaluated], k).tolist(),
        "class_names": points.class_names,
        "majority_class": points.class_names[int(np.bincount(y[train], minlength=k).argmax())],
        "better_than_baseline": better,
    }


def _regression(
    points: PointSet, proba: np.ndarray, train: np.ndarray, evaluated: np.ndarray, on: str
) -> dict[str, Any]:
    keys = {"mse": "mse", "mae": "mae", "r2": "r2"}
    pred = np.nan_to_num(proba, nan=0.0, posinf=0.0, neginf=0.0)
    y = points.y
    model = _clean(regression_report(y[evaluated], pred[evaluated]), keys)
    base = _clean(mean_baseline(y[train], y[evaluated]), keys)
    better = model["mse"] is not None and base["mse"] is not None and model["mse"] < base["mse"]
    return {
        "task": "regression",
        "on": on,
        "model": model,
        "baseline": base,
        "better_than_baseline": bool(better),
    }


def _better(model: float | None, baseline: float | None) -> bool:
    return model is not None and (baseline is None or model > baseline)
