"""Evaluating a model on a data set: its loss and metrics, computed in eval mode without a
graph, in chunks so that large data sets fit in memory."""

from __future__ import annotations

from typing import Any

import numpy as np

import nerve
from nerve import nn

from .data import ArrayData
from .errors import DataError
from .metrics import classification_report, main_metric, regression_report
from .model import head_of, outputs_to_proba, predict_labels, target_tensor

__all__ = ["evaluate_model", "headline_metric", "headline_metric_sum"]


def evaluate_model(
    model: nn.Module,
    loss_fn: nn.Module,
    data: ArrayData,
    metrics: bool = True,
    device: Any = None,
) -> dict[str, float]:
    """``{"loss": ..., <metrics>}`` of ``model`` on ``data``, in eval mode without a graph.

    With ``metrics=False`` only the loss and the headline metric (accuracy or mse) are
    computed, which is what the per-epoch validation needs.

    Example:
        >>> from nerve.workflow import make_toy
        >>> model = nn.Sequential(nn.Linear(2, 1), nn.Sigmoid())
        >>> sorted(evaluate_model(model, nn.BCELoss(), make_toy("xor", 20), metrics=False))
        ['accuracy', 'loss']
    """
    head = head_of(loss_fn, data.task)
    was_training = model.training
    model.eval()
    total, chunks = 0.0, []
    try:
        with nerve.no_grad():
            for start in range(0, len(data), 8192):
                xb = nerve.from_numpy(np.ascontiguousarray(data.X[start : start + 8192]))
                yb = target_tensor(data.y[start : start + 8192], head)
                if device is not None:
                    xb, yb = xb.to(device), yb.to(device)
                out = model(xb)
                total += loss_fn(out, yb).item() * len(xb)
                chunks.append(out.cpu().numpy().astype(np.float64).reshape(len(xb), -1))
    finally:
        model.train(was_training)
    if not chunks:
        raise DataError("cannot evaluate on zero samples")
    outputs = np.concatenate(chunks)
    result = {"loss": total / len(data)}
    if not metrics:
        return {**result, main_metric(data.task): headline_metric(outputs, data.y, data.task, head)}
    if data.task == "regression":
        return {**result, **regression_report(data.y, outputs[:, 0])}
    proba = outputs_to_proba(outputs, head)
    scores = proba[:, 1] if data.n_classes == 2 else None
    report = classification_report(data.y, predict_labels(proba), scores, data.n_classes)
    return {**result, **report}


def headline_metric_sum(outputs: np.ndarray, y: np.ndarray, task: str, head: str) -> float:
    """The sum behind :func:`headline_metric` over a batch: correct predictions, or squared
    errors for regression."""
    if task == "regression":
        return float(np.sum((outputs.reshape(-1).astype(np.float64) - y.reshape(-1)) ** 2))
    labels = predict_labels(outputs_to_proba(outputs.reshape(len(outputs), -1), head))
    return float(np.sum(labels == y.reshape(-1).astype(np.int64)))


def headline_metric(outputs: np.ndarray, y: np.ndarray, task: str, head: str) -> float:
    """The epoch's headline metric: accuracy, or mse for regression."""
    if task == "regression":
        return float(np.mean((outputs.reshape(-1) - y.reshape(-1)) ** 2))
    labels = predict_labels(outputs_to_proba(outputs.reshape(len(outputs), -1), head))
    return float(np.mean(labels == y.reshape(-1).astype(np.int64)))
