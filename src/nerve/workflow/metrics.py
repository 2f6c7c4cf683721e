"""Evaluation metrics, baselines and the warnings that keep an evaluation honest.

Metrics take array-likes and return Python floats; classification metrics follow scikit-learn
(``zero_division=0``) and are tested against ``sklearn.metrics``.

The lecture's evaluation advice is built in: always compare against a trivial **baseline**
(majority class / training mean), choose a metric that suits the problem (accuracy misleads on
imbalanced data -- look at F1 and balanced accuracy), and distrust perfect scores (they usually
mean information leaked from the evaluation split into training).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .errors import DataError, as_labels, as_vector, check_choice
from .toy import TOY_DATASETS

__all__ = [
    "accuracy",
    "balanced_accuracy",
    "precision",
    "recall",
    "f1",
    "confusion_matrix",
    "roc_auc",
    "mse",
    "mae",
    "r2",
    "classification_report",
    "regression_report",
    "majority_baseline",
    "mean_baseline",
    "baseline_warnings",
    "perfect_score_note",
    "main_metric",
    "greater_is_better",
    "format_metrics_table",
]

_AVERAGES = ("binary", "macro", "weighted")


def _pair(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    t, p = as_labels("y_true", y_true), as_labels("y_pred", y_pred)
    if t.shape != p.shape:
        raise DataError(f"y_true has {t.size} labels but y_pred has {p.size}")
    if t.size == 0:
        raise DataError("cannot compute a metric on zero samples")
    return t, p


def accuracy(y_true: Any, y_pred: Any) -> float:
    """Fraction of correct predictions.

    Example:
        >>> accuracy([0, 1, 1, 0], [0, 1, 0, 0])
        0.75
    """
    t, p = _pair(y_true, y_pred)
    return float(np.mean(t == p))


def balanced_accuracy(y_true: Any, y_pred: Any) -> float:
    """Mean recall over the classes present in ``y_true`` (robust to imbalance).

    Example:
        >>> balanced_accuracy([0, 0, 0, 1], [0, 0, 0, 0])
        0.5
    """
    t, p = _pair(y_true, y_pred)
    return float(np.mean([np.mean(p[t == c] == c) for c in np.unique(t)]))


def _prf(y_true: Any, y_pred: Any, average: str, pos_label: int) -> tuple[float, float, float]:
    """Precision, recall and F1 with scikit-learn's conventions and zero_division=0."""
    check_choice("average", average, _AVERAGES)
    t, p = _pair(y_true, y_pred)
    labels = np.unique(np.concatenate([t, p]))
    if average == "binary":
        if labels.size > 2:
            raise DataError(
                f"average='binary' needs 2 classes but found labels {labels.tolist()}; "
                "use average='macro' or 'weighted'"
            )
        if labels.size == 2 and pos_label not in labels:
            raise DataError(f"pos_label={pos_label} is not one of the labels {labels.tolist()}")
        labels = np.array([pos_label])
    # Per-label counts: true positives, predicted and true totals.
    tp = np.array([np.sum((t == c) & (p == c)) for c in labels], dtype=np.float64)
    pred_sum = np.array([np.sum(p == c) for c in labels], dtype=np.float64)
    true_sum = np.array([np.sum(t == c) for c in labels], dtype=np.float64)
    prec = _divide(tp, pred_sum)
    rec = _divide(tp, true_sum)
    # F1 from counts, 2tp / (2tp + fp + fn), exactly as scikit-learn computes it.
    f = _divide(2 * tp, true_sum + pred_sum)
    # "weighted" weights each class by its true count (never all zero: y_true is non-empty).
    weights = true_sum if average == "weighted" else None
    avg = np.average(np.stack([prec, rec, f]), axis=1, weights=weights)
    return float(avg[0]), float(avg[1]), float(avg[2])


def _divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` with 0 where ``den == 0`` (scikit-learn's zero_division=0)."""
    return np.divide(num, den, out=np.zeros_like(num), where=den != 0)


def precision(y_true: Any, y_pred: Any, average: str = "binary", pos_label: int = 1) -> float:
    """Of the samples predicted positive, the fraction that are positive (per class, averaged).

    Example:
        >>> precision([0, 1, 1, 0], [1, 1, 1, 0])
        0.6666666666666666
    """
    return _prf(y_true, y_pred, average, pos_label)[0]


def recall(y_true: Any, y_pred: Any, average: str = "binary", pos_label: int = 1) -> float:
    """Of the positive samples, the fraction predicted positive (per class, averaged).

    Example:
        >>> recall([0, 1, 1, 0], [0, 1, 0, 0])
        0.5
    """
    return _prf(y_true, y_pred, average, pos_label)[1]


def f1(y_true: Any, y_pred: Any, average: str = "binary", pos_label: int = 1) -> float:
    """Harmonic mean of precision and recall (per class, averaged).

    Example:
        >>> f1([0, 1, 1, 0], [0, 1, 0, 0])
        0.6666666666666666
    """
    return _prf(y_true, y_pred, average, pos_label)[2]


def confusion_matrix(y_true: Any, y_pred: Any, n_classes: int) -> np.ndarray:
    """Counts ``cm[i, j]`` of samples of true class ``i`` predicted as ``j``, int64 ``(k, k)``.

    Example:
        >>> confusion_matrix([0, 1, 1], [0, 1, 0], 2).tolist()
        [[1, 0], [1, 1]]
    """
    t, p = as_labels("y_true", y_true, n_classes), as_labels("y_pred", y_pred, n_classes)
    if t.shape != p.shape:
        raise DataError(f"y_true has {t.size} labels but y_pred has {p.size}")
    flat = np.bincount(t * n_classes + p, minlength=n_classes * n_classes)
    return flat.reshape(n_classes, n_classes).astype(np.int64)


def roc_auc(y_true: Any, scores: Any) -> float:
    """Area under the ROC curve for binary labels (0/1) and scores of the positive class.

    Computed from ranks (the Mann-Whitney statistic) with tied scores given their average rank.
    ``scores`` may also be ``(n, 2)`` class probabilities. Returns NaN when only one class is
    present, since the curve is then undefined.

    Example:
        >>> roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
        0.75
    """
    t = as_labels("y_true", y_true)
    s = np.asarray(scores)
    if s.ndim == 2 and s.shape[1] == 2:
        s = s[:, 1]
    s = as_vector("scores", s, allow_empty=True)
    if s.shape != t.shape:
        raise DataError(f"scores must have shape ({t.size},) or ({t.size}, 2), got {s.shape}")
    if t.size and (t.min() < 0 or t.max() > 1):
        raise DataError("roc_auc needs binary labels 0/1 in y_true")
    n_pos = int(t.sum())
    n_neg = t.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    _, inverse, counts = np.unique(s, return_inverse=True, return_counts=True)
    # Average rank of each distinct value: tied samples share the mean of their ranks 1..n.
    avg_rank = np.cumsum(counts) - (counts - 1) / 2.0
    rank_sum = avg_rank[inverse][t == 1].sum()
    return float((rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def _regression_pair(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    t, p = as_vector("y_true", y_true), as_vector("y_pred", y_pred)
    if t.shape != p.shape:
        raise DataError(f"y_true has {t.size} values but y_pred has {p.size}")
    return t, p


def mse(y_true: Any, y_pred: Any) -> float:
    """Mean squared error.

    Example:
        >>> mse([1.0, 2.0], [1.0, 4.0])
        2.0
    """
    t, p = _regression_pair(y_true, y_pred)
    return float(np.mean((t - p) ** 2))


def mae(y_true: Any, y_pred: Any) -> float:
    """Mean absolute error.

    Example:
        >>> mae([1.0, 2.0], [1.0, 4.0])
        1.0
    """
    t, p = _regression_pair(y_true, y_pred)
    return float(np.mean(np.abs(t - p)))


def r2(y_true: Any, y_pred: Any) -> float:
    """Coefficient of determination, ``1 - SS_res / SS_tot`` (1 is perfect, 0 = the mean).

    As in scikit-learn: constant ``y_true`` gives 1.0 for a perfect fit and 0.0 otherwise, and
    fewer than two samples give NaN.

    Example:
        >>> r2([1.0, 2.0, 3.0], [1.0, 2.0, 4.0])
        0.5
    """
    t, p = _regression_pair(y_true, y_pred)
    if t.size < 2:
        return float("nan")
    ss_res = float(np.sum((t - p) ** 2))
    ss_tot = float(np.sum((t - np.mean(t)) ** 2))
    if ss_res == 0.0:
        return 1.0
    return 0.0 if ss_tot == 0.0 else 1.0 - ss_res / ss_tot


def classification_report(
    y_true: Any, y_pred: Any, scores: Any = None, n_classes: int | None = None
) -> dict[str, float]:
    """Standard classification metrics in one dict.

    Binary (``n_classes == 2``): accuracy, balanced_accuracy, precision, recall, f1 (positive
    class 1) and, given ``scores`` (probability of class 1, or ``(n, 2)``), roc_auc.
    Multiclass: accuracy, balanced_accuracy and the ``_macro`` and ``_weighted`` variants of
    precision, recall and f1.

    Example:
        >>> classification_report([0, 1, 1, 0], [0, 1, 0, 0], [0.2, 0.9, 0.4, 0.1], 2)["roc_auc"]
        1.0
    """
    t, p = _pair(y_true, y_pred)
    k = max(2, int(max(t.max(), p.max())) + 1 if n_classes is None else int(n_classes))
    for name, labels in (("y_true", t), ("y_pred", p)):
        as_labels(name, labels, k)  # raises for labels outside 0..k-1
    report = {"accuracy": accuracy(t, p), "balanced_accuracy": balanced_accuracy(t, p)}
    if k == 2:
        prec, rec, f = _prf(t, p, "binary", 1)
        report.update(precision=prec, recall=rec, f1=f)
        if scores is not None:
            report["roc_auc"] = roc_auc(t, scores)
        return report
    for average in ("macro", "weighted"):
        prec, rec, f = _prf(t, p, average, 1)
        report.update({f"precision_{average}": prec, f"recall_{average}": rec, f"f1_{average}": f})
    return report


def regression_report(y_true: Any, y_pred: Any) -> dict[str, float]:
    """``{"mse", "mae", "r2"}`` of a regression.

    Example:
        >>> regression_report([1.0, 2.0, 3.0], [1.0, 2.0, 4.0])
        {'mse': 0.3333333333333333, 'mae': 0.3333333333333333, 'r2': 0.5}
    """
    return {"mse": mse(y_true, y_pred), "mae": mae(y_true, y_pred), "r2": r2(y_true, y_pred)}


def majority_baseline(y_train: Any, y_eval: Any, n_classes: int) -> dict[str, float]:
    """Report of always predicting the most frequent *training* class (roc_auc 0.5).

    Example:
        >>> majority_baseline([0, 0, 1], [0, 1, 1, 1], 2)["accuracy"]
        0.25
    """
    counts = np.bincount(as_labels("y_train", y_train, n_classes), minlength=n_classes)
    if counts.sum() == 0:
        raise DataError("y_train is empty; the baseline needs training labels")
    t = as_labels("y_eval", y_eval, n_classes)
    pred = np.full(t.shape, int(np.argmax(counts)), dtype=np.int64)
    report = classification_report(t, pred, None, n_classes)
    if n_classes == 2:
        report["roc_auc"] = 0.5  # a constant score ranks nothing: chance level by definition
    return report


def mean_baseline(y_train: Any, y_eval: Any) -> dict[str, float]:
    """Report of always predicting the mean of the *training* targets (r2 about 0).

    Example:
        >>> mean_baseline([1.0, 3.0], [2.0, 4.0])["mse"]
        2.0
    """
    mean = float(np.mean(as_vector("y_train", y_train)))
    t = as_vector("y_eval", y_eval)
    return regression_report(t, np.full(t.shape, mean))


def main_metric(task: str) -> str:
    """The headline metric of a task: ``"accuracy"`` for classification, ``"mse"`` otherwise.

    Example:
        >>> from nerve.workflow import main_metric
        >>> main_metric("binary"), main_metric("regression")
        ('accuracy', 'mse')
    """
    check_choice("task", task, ("binary", "multiclass", "regression"))
    return "mse" if task == "regression" else "accuracy"


def greater_is_better(metric: str) -> bool:
    """False for the error metrics (loss, mse, mae), True for scores such as accuracy or r2.

    Example:
        >>> from nerve.workflow import greater_is_better
        >>> greater_is_better("accuracy"), greater_is_better("mse")
        (True, False)
    """
    name = metric.removeprefix("train_").removeprefix("val_").removeprefix("test_")
    return name not in ("loss", "mse", "mae")


def _is_perfect(model: dict[str, float], task: str) -> bool:
    if task == "regression":
        return model.get("r2", math.nan) > 0.999
    return model.get("accuracy") == 1.0


def baseline_warnings(
    model: dict[str, float],
    baseline: dict[str, float],
    task: str,
    split: str = "validation",
    source: str | None = None,
) -> list[str]:
    """Warnings when the model does not beat the baseline or scores suspiciously perfectly.

    Call it with validation or test metrics (a perfect *training* score is no news).
    ``source`` names the data set; on a built-in toy set (``TOY_DATASETS``) a perfect score
    is no sign of leakage -- its points are drawn independently and, without noise, its classes
    are separable by construction -- so no leakage warning is given (see
    :func:`perfect_score_note` for what to say instead). User CSVs and real data sets keep it.

    Example:
        >>> baseline_warnings({"accuracy": 0.9}, {"accuracy": 0.6}, "binary")
        []
        >>> baseline_warnings({"accuracy": 0.5}, {"accuracy": 0.6}, "binary", split="test")
        ['test: accuracy 0.500 does not beat the majority-class baseline (0.600)']
        >>> baseline_warnings({"accuracy": 1.0}, {"accuracy": 0.5}, "binary", source="xor")
        []
    """
    metric = main_metric(task)
    leakage_possible = source not in TOY_DATASETS
    for name, d in (("model", model), ("baseline", baseline)):
        if metric not in d:
            raise DataError(f"{name} metrics have no {metric!r}; got {sorted(d)}")
    m, b = float(model[metric]), float(baseline[metric])
    warnings: list[str] = []
    if task == "regression":
        if m >= b:
            warnings.append(
                f"{split}: mse {m:.4g} does not beat predicting the training mean (mse {b:.4g})"
            )
        if leakage_possible and _is_perfect(model, task):
            warnings.append(
                f"{split}: r2 {model['r2']:.4f} is suspiciously close to perfect -- check for "
                "leakage between splits (duplicate rows, the target hidden in a feature)"
            )
        return warnings
    if m <= b:
        warnings.append(
            f"{split}: accuracy {m:.3f} does not beat the majority-class baseline ({b:.3f})"
        )
    f1_key = "f1" if task == "binary" else "f1_macro"
    if f1_key in model and f1_key in baseline and model[f1_key] <= baseline[f1_key]:
        warnings.append(
            f"{split}: {f1_key} {model[f1_key]:.3f} does not beat the baseline's "
            f"({baseline[f1_key]:.3f})"
        )
    if b > 0.75:
        warnings.append(
            f"{split}: the majority class alone gives {b:.1%} accuracy -- the classes are "
            "imbalanced, so judge the model by F1 / balanced accuracy, not accuracy"
        )
    if leakage_possible and _is_perfect(model, task):
        warnings.append(
            f"{split}: perfect accuracy is suspicious -- check for leakage between splits "
            "(duplicate rows, the target hidden in a feature)"
        )
    return warnings


def perfect_score_note(
    metrics: dict[str, dict[str, float]], task: str, source: str | None
) -> str | None:
    """One line that explains perfect evaluation scores on a built-in toy set, else None.

    ``metrics`` maps split names to their metrics; the training split is ignored (a perfect
    training score is no news). Used in place of the leakage warning that
    :func:`baseline_warnings` gives for the same scores on a user's or a real data set.

    Example:
        >>> perfect_score_note({"train": {"accuracy": 1.0}, "test": {"accuracy": 1.0}},
        ...                    "binary", "xor")  # doctest: +NORMALIZE_WHITESPACE
        'perfect test accuracy is expected on xor, a synthetic set separable by construction --
        no sign of leakage (--noise 0.3 makes the classes overlap)'
        >>> perfect_score_note({"test": {"accuracy": 1.0}}, "binary", "digits") is None
        True
    """
    if source not in TOY_DATASETS:
        return None
    perfect = [s for s, m in metrics.items() if s != "train" and _is_perfect(m, task)]
    if not perfect:
        return None
    what = "r2 (> 0.999)" if task == "regression" else "accuracy"
    kind = "noiseless by construction" if task == "regression" else "separable by construction"
    change = "the targets noisy" if task == "regression" else "the classes overlap"
    return (
        f"perfect {' and '.join(perfect)} {what} is expected on {source}, a synthetic set "
        f"{kind} -- no sign of leakage (--noise 0.3 makes {change})"
    )


def _fmt(value: Any) -> str:
    v = math.nan if value is None else float(value)
    if math.isnan(v):
        return "-" if value is None else "nan"
    if v == 0 or 1e-3 <= abs(v) < 1e5:
        return f"{v:.4f}"
    return f"{v:.3e}"


def format_metrics_table(rows: dict[str, dict[str, float]]) -> str:
    """An aligned plain-text table: one column per entry of ``rows``, one line per metric.

    Example:
        >>> print(format_metrics_table({"train": {"accuracy": 1.0}, "test": {"accuracy": 0.5}}))
        metric     train    test
        accuracy  1.0000  0.5000
    """
    if not rows:
        return "(no metrics)"
    metrics: list[str] = []
    for values in rows.values():
        metrics.extend(k for k in values if k not in metrics)
    header = ["metric", *rows]
    body = [[m, *(_fmt(values.get(m)) for values in rows.values())] for m in metrics]
    widths = [max(len(r[j]) for r in [header, *body]) for j in range(len(header))]
    lines = []
    for r in [header, *body]:
        cells = [r[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(r[1:], widths[1:])]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)
