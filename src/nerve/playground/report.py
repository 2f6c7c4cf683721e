"""The numbers beside the loss: metrics on the test points and the baseline to beat.

The lecture's step 04 asks "which metrics tell us how well we are doing on unseen data?" and
its workflow asks "is it better than a baseline?". This module answers both for the page with
the workflow's metrics: accuracy, precision, recall, F1 and the confusion matrix on the test
points (or the training points while there are none), next to the same numbers for always
predicting the most frequent training class (the mean, for regression).

"Better than the baseline" needs a margin that means something: an untrained network that
gets 55 % of 100 test points right, against a baseline's 50 %, has not beaten it. For classes,
a one-sided binomial test asks how likely the model's count of correct test points would be if
its true accuracy were only the baseline's; for regression, a one-sided paired test on the
squared errors asks the same of the mean squared error. Below :data:`SIGNIFICANCE` the page
says "better"; otherwise "not yet".
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

__all__ = ["evaluate", "binomial_tail", "SIGNIFICANCE"]

SIGNIFICANCE = 0.05  # the chance of a "better" verdict for a model no better than the baseline

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
    n = int(evaluated.size)
    correct = int(np.sum(pred[evaluated] == y[evaluated]))
    p_value = binomial_tail(correct, n, base["accuracy"] or 0.0)
    better = p_value < SIGNIFICANCE and _better(model["f1"], base["f1"])
    return {
        "task": points.task,
        "on": on,
        "model": model,
        "baseline": base,
        "train_accuracy": None if train_acc is None else round(train_acc, 4),
        "confusion": confusion_matrix(y[evaluated], pred[evaluated], k).tolist(),
        "class_names": points.class_names,
        "majority_class": points.class_names[int(np.bincount(y[train], minlength=k).argmax())],
        "better_than_baseline": bool(better),
        "p_value": round(p_value, 4),
        "n_evaluated": n,
    }


def binomial_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p): how likely ``k`` or more correct answers out of ``n``
    are from a model whose accuracy is only ``p`` (the one-sided binomial test's p-value).

    Example:
        >>> round(binomial_tail(55, 100, 0.5), 3), round(binomial_tail(65, 100, 0.5), 4)
        (0.184, 0.0018)
    """
    if n <= 0 or k <= 0:
        return 1.0
    if p <= 0.0:
        return 0.0
    if p >= 1.0 or k > n:
        return 1.0 if k <= n else 0.0
    # terms in log space: n is at most a few thousand, where the plain product underflows
    logs = [
        math.lgamma(n + 1)
        - math.lgamma(i + 1)
        - math.lgamma(n - i + 1)
        + i * math.log(p)
        + (n - i) * math.log1p(-p)
        for i in range(k, n + 1)
    ]
    top = max(logs)
    return min(1.0, math.exp(top) * sum(math.exp(v - top) for v in logs))


def _paired_p_value(model_err: np.ndarray, base_err: np.ndarray) -> float:
    """One-sided p-value that the model's squared errors are no smaller than the baseline's
    (a paired z-test on their differences; the test sets here have tens of points or more)."""
    d = np.asarray(base_err, dtype=np.float64) - np.asarray(model_err, dtype=np.float64)
    if d.size < 2 or not np.all(np.isfinite(d)):
        return 1.0
    sd = float(d.std(ddof=1))
    if sd == 0.0:
        return 0.0 if d.mean() > 0 else 1.0
    z = float(d.mean()) / (sd / math.sqrt(d.size))
    return 0.5 * math.erfc(z / math.sqrt(2))


def _regression(
    points: PointSet, proba: np.ndarray, train: np.ndarray, evaluated: np.ndarray, on: str
) -> dict[str, Any]:
    keys = {"mse": "mse", "mae": "mae", "r2": "r2"}
    pred = np.nan_to_num(proba, nan=0.0, posinf=0.0, neginf=0.0)
    y = points.y
    model = _clean(regression_report(y[evaluated], pred[evaluated]), keys)
    base = _clean(mean_baseline(y[train], y[evaluated]), keys)
    mean = float(np.mean(y[train])) if train.size else 0.0
    p_value = _paired_p_value((pred[evaluated] - y[evaluated]) ** 2, (mean - y[evaluated]) ** 2)
    return {
        "task": "regression",
        "on": on,
        "model": model,
        "baseline": base,
        "better_than_baseline": bool(p_value < SIGNIFICANCE),
        "p_value": round(p_value, 4),
        "n_evaluated": int(evaluated.size),
    }


def _better(model: float | None, baseline: float | None) -> bool:
    return model is not None and (baseline is None or model > baseline)
