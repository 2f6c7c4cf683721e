"""Feature scaling and class-imbalance tools.

Scalers follow the lecture's rule: **fit on the training split only**, then apply the same
transformation to validation, test and prediction inputs -- fitting on all data leaks test
statistics into training. Their state is a small dict of arrays (``state_dict``) so that it can
be saved beside the model and restored with ``scaler_from_state_dict``.

Imbalance tools turn class counts into the two usual remedies: per-class loss weights
(``class_weights``) and per-sample drawing weights for a weighted sampler (``sample_weights``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import DataError, as_labels, check_choice, check_int

__all__ = [
    "StandardScaler",
    "MinMaxScaler",
    "NoScaler",
    "SCALERS",
    "make_scaler",
    "scaler_from_state_dict",
    "class_counts",
    "imbalance_report",
    "class_weights",
    "sample_weights",
]

State = dict[str, np.ndarray | str]


class _Scaler:
    """Shared plumbing: input checks, fitted-state checks, dtype handling."""

    kind = ""

    def __init__(self) -> None:
        self.n_features: int | None = None

    def _check(self, X: Any, fitting: bool = False) -> np.ndarray:
        arr = np.asarray(X)
        if arr.ndim != 2:
            raise DataError(f"X must be 2-D with shape (n, n_features), got shape {arr.shape}")
        if arr.dtype.kind not in "biuf":
            raise DataError(f"X must be numeric, got dtype {arr.dtype}")
        if fitting:
            if arr.shape[0] == 0:
                raise DataError("cannot fit a scaler on zero samples")
            self.n_features = arr.shape[1]
        elif self.n_features is None:
            raise DataError(f"the {self.kind} scaler is not fitted; call fit(X_train) first")
        elif arr.shape[1] != self.n_features:
            raise DataError(
                f"X has {arr.shape[1]} features but the scaler was fitted on {self.n_features}"
            )
        return arr

    @staticmethod
    def _out_dtype(arr: np.ndarray) -> np.dtype:
        # Keep float64 inputs float64; everything else (ints, float32/16) becomes float32,
        # the library's default dtype.
        return np.dtype(np.float64) if arr.dtype == np.float64 else np.dtype(np.float32)

    def fit(self, X: Any) -> _Scaler:
        raise NotImplementedError

    def transform(self, X: Any) -> np.ndarray:
        raise NotImplementedError

    def fit_transform(self, X: Any) -> np.ndarray:
        """Fit on ``X`` and return ``X`` transformed."""
        return self.fit(X).transform(X)

    def _base_state(self) -> State:
        if self.n_features is None:
            raise DataError(f"the {self.kind} scaler is not fitted; nothing to save")
        return {"kind": self.kind, "n_features": np.array(self.n_features, dtype=np.int64)}

    def __repr__(self) -> str:
        fitted = "unfitted" if self.n_features is None else f"n_features={self.n_features}"
        return f"{type(self).__name__}({fitted})"


class StandardScaler(_Scaler):
    """Standardise each column to zero mean and unit variance: ``(x - mean) / std``.

    Constant columns get scale 1 (they become 0) instead of a division by zero.

    Example:
        >>> scaler = StandardScaler().fit(np.array([[1.0, 5.0], [3.0, 5.0]]))
        >>> scaler.transform(np.array([[2.0, 5.0], [3.0, 6.0]])).tolist()
        [[0.0, 0.0], [1.0, 1.0]]
    """

    kind = "standard"

    def fit(self, X: Any) -> StandardScaler:
        arr = self._check(X, fitting=True).astype(np.float64)
        self.mean = arr.mean(axis=0)
        std = arr.std(axis=0)
        # Treat spreads at rounding-error level as constant, relative to the column's size.
        tiny = 10 * np.finfo(np.float64).eps * np.maximum(1.0, np.abs(self.mean))
        self.scale = np.where(std > tiny, std, 1.0)
        return self

    def transform(self, X: Any) -> np.ndarray:
        arr = self._check(X)
        return ((arr - self.mean) / self.scale).astype(self._out_dtype(arr))

    def inverse_transform(self, X: Any) -> np.ndarray:
        arr = self._check(X)
        return (arr * self.scale + self.mean).astype(self._out_dtype(arr))

    def state_dict(self) -> State:
        return {**self._base_state(), "mean": self.mean.copy(), "scale": self.scale.copy()}

    @classmethod
    def from_state_dict(cls, d: dict[str, Any]) -> StandardScaler:
        scaler = cls()
        scaler.mean, scaler.scale = _restore(d, cls.kind, ("mean", "scale"), scaler)
        return scaler


class MinMaxScaler(_Scaler):
    """Rescale each column linearly so the training minimum/maximum map to ``feature_range``.

    Constant columns map to the lower end of the range.

    Example:
        >>> MinMaxScaler(feature_range=(-1, 1)).fit_transform(np.array([[0.0], [5.0], [10.0]]))
        array([[-1.],
               [ 0.],
               [ 1.]])
    """

    kind = "minmax"

    def __init__(self, feature_range: tuple[float, float] = (0.0, 1.0)) -> None:
        super().__init__()
        lo, hi = (float(v) for v in feature_range)
        if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
            raise DataError(
                f"feature_range must be (low, high) with low < high, got {feature_range}"
            )
        self.feature_range = (lo, hi)

    def fit(self, X: Any) -> MinMaxScaler:
        arr = self._check(X, fitting=True).astype(np.float64)
        self.data_min = arr.min(axis=0)
        self.data_max = arr.max(axis=0)
        return self

    def _scale(self) -> np.ndarray:
        span = self.data_max - self.data_min
        lo, hi = self.feature_range
        return (hi - lo) / np.where(span > 0, span, 1.0)

    def transform(self, X: Any) -> np.ndarray:
        arr = self._check(X)
        out = (arr - self.data_min) * self._scale() + self.feature_range[0]
        return out.astype(self._out_dtype(arr))

    def inverse_transform(self, X: Any) -> np.ndarray:
        arr = self._check(X)
        out = (arr - self.feature_range[0]) / self._scale() + self.data_min
        return out.astype(self._out_dtype(arr))

    def state_dict(self) -> State:
        return {
            **self._base_state(),
            "data_min": self.data_min.copy(),
            "data_max": self.data_max.copy(),
            "feature_range": np.array(self.feature_range, dtype=np.float64),
        }

    @classmethod
    def from_state_dict(cls, d: dict[str, Any]) -> MinMaxScaler:
        fr = np.asarray(d.get("feature_range", (0.0, 1.0)), dtype=np.float64)
        if fr.shape != (2,):
            raise DataError(f"feature_range in the saved scaler must have 2 values, got {fr}")
        scaler = cls(feature_range=(float(fr[0]), float(fr[1])))
        scaler.data_min, scaler.data_max = _restore(d, cls.kind, ("data_min", "data_max"), scaler)
        return scaler


class NoScaler(_Scaler):
    """The identity, with the scaler interface, for ``--scaler none``.

    Example:
        >>> NoScaler().fit_transform(np.array([[2, 3]]))
        array([[2., 3.]], dtype=float32)
    """

    kind = "none"

    def fit(self, X: Any) -> NoScaler:
        self._check(X, fitting=True)
        return self

    def transform(self, X: Any) -> np.ndarray:
        arr = self._check(X)
        return arr.astype(self._out_dtype(arr))

    inverse_transform = transform

    def state_dict(self) -> State:
        return self._base_state()

    @classmethod
    def from_state_dict(cls, d: dict[str, Any]) -> NoScaler:
        scaler = cls()
        _restore(d, cls.kind, (), scaler)
        return scaler


SCALERS: dict[str, type[_Scaler]] = {
    "standard": StandardScaler,
    "minmax": MinMaxScaler,
    "none": NoScaler,
}


def make_scaler(kind: str | None) -> StandardScaler | MinMaxScaler | NoScaler:
    """Create an unfitted scaler: ``"standard"``, ``"minmax"`` or ``"none"`` / None.

    Example:
        >>> make_scaler("minmax")
        MinMaxScaler(unfitted)
    """
    name = "none" if kind is None else str(kind).lower()
    return SCALERS[check_choice("scaler", name, SCALERS)]()  # type: ignore[return-value]


def scaler_from_state_dict(d: dict[str, Any]) -> StandardScaler | MinMaxScaler | NoScaler:
    """Restore whichever scaler wrote ``d`` (dispatching on its ``"kind"`` entry).

    Example:
        >>> s = StandardScaler().fit(np.array([[0.0], [2.0]]))
        >>> scaler_from_state_dict(s.state_dict()).transform(np.array([[2.0]])).tolist()
        [[1.0]]
    """
    kind = d.get("kind") if isinstance(d, dict) else None
    kind = str(kind.item() if isinstance(kind, np.ndarray) else kind)
    cls = SCALERS[check_choice("scaler kind", kind, SCALERS)]
    return cls.from_state_dict(d)  # type: ignore[return-value,attr-defined]


def _restore(
    d: dict[str, Any], kind: str, keys: tuple[str, ...], scaler: _Scaler
) -> tuple[np.ndarray, ...]:
    """Check a saved state and return its arrays as float64; sets ``scaler.n_features``."""
    saved = d.get("kind")
    saved = saved.item() if isinstance(saved, np.ndarray) else saved
    if saved != kind:
        raise DataError(f"state is for a {saved!r} scaler, not {kind!r}")
    try:
        n = int(np.asarray(d["n_features"]))
        arrays = tuple(np.asarray(d[k], dtype=np.float64) for k in keys)
    except (KeyError, TypeError, ValueError) as err:
        raise DataError(f"malformed {kind} scaler state: {err!r}") from err
    for key, arr in zip(keys, arrays):
        if arr.shape != (n,) or not np.all(np.isfinite(arr)):
            raise DataError(f"malformed {kind} scaler state: {key!r} must be {n} finite values")
    scaler.n_features = n
    return arrays


# --------------------------------------------------------------------------------------------
# Class imbalance


def class_counts(y: Any, n_classes: int) -> np.ndarray:
    """Number of samples of each class, as int64 of shape ``(n_classes,)``.

    Example:
        >>> class_counts(np.array([0, 2, 2]), 3).tolist()
        [1, 0, 2]
    """
    k = check_int("n_classes", n_classes, minimum=1)
    return np.bincount(as_labels("y", y, n_classes=k), minlength=k).astype(np.int64)


def imbalance_report(y: Any, class_names: list[str]) -> str:
    """A short text report of class counts and shares, warning when majority/minority > 3.

    Example:
        >>> print(imbalance_report(np.array([0, 0, 0, 0, 1]), ["neg", "pos"]))
        class counts (5 samples):
          neg  4   80.0%
          pos  1   20.0%
        majority/minority ratio: 4.0
        warning: imbalanced classes (ratio 4.0 > 3): always predicting 'neg' scores 80.0% accuracy
          compare F1 / per-class recall, or use class weights or a weighted sampler
    """
    counts = class_counts(y, len(class_names))
    n = int(counts.sum())
    width = max(len(str(c)) for c in class_names)
    digits = len(str(int(counts.max()))) if n else 1
    lines = [f"class counts ({n} samples):"]
    for name, count in zip(class_names, counts):
        share = 100.0 * count / n if n else 0.0
        lines.append(f"  {name:<{width}}  {count:>{digits}}  {share:5.1f}%")
    if n == 0:
        return "\n".join(lines)
    major = int(np.argmax(counts))
    minor = int(counts.min())
    ratio = float("inf") if minor == 0 else counts[major] / minor
    lines.append(f"majority/minority ratio: {ratio:.1f}")
    if minor == 0:
        empty = [class_names[i] for i in np.flatnonzero(counts == 0)]
        lines.append(f"warning: no samples of class(es) {', '.join(map(repr, empty))}")
    if ratio > 3:
        lines.append(
            f"warning: imbalanced classes (ratio {ratio:.1f} > 3): always predicting "
            f"{class_names[major]!r} scores {100.0 * counts[major] / n:.1f}% accuracy"
        )
        lines.append("  compare F1 / per-class recall, or use class weights or a weighted sampler")
    return "\n".join(lines)


def class_weights(y: Any, n_classes: int) -> np.ndarray:
    """'Balanced' loss weights ``n / (k * count_c)``; absent classes get weight 0.

    ``k`` is the number of classes present, so the weighted sample count stays ``n`` (the loss
    keeps its scale); with all classes present this equals scikit-learn's "balanced".

    Example:
        >>> class_weights(np.array([0, 0, 0, 1]), 2).tolist()
        [0.6666666865348816, 2.0]
    """
    counts = class_counts(y, n_classes).astype(np.float64)
    present = counts > 0
    if not present.any():
        raise DataError("cannot compute class weights from zero samples")
    weights = np.zeros_like(counts)
    weights[present] = counts.sum() / (present.sum() * counts[present])
    return weights.astype(np.float32)


def sample_weights(y: Any, n_classes: int) -> np.ndarray:
    """Per-sample drawing probabilities (summing to 1) under which every present class is
    drawn equally often in expectation -- the weights for a weighted random sampler.

    Example:
        >>> sample_weights(np.array([0, 0, 0, 1]), 2).tolist()
        [0.16666666666666666, 0.16666666666666666, 0.16666666666666666, 0.5]
    """
    labels = as_labels("y", y, n_classes=check_int("n_classes", n_classes, minimum=1))
    counts = np.bincount(labels, minlength=n_classes).astype(np.float64)
    if labels.size == 0:
        raise DataError("cannot compute sample weights from zero samples")
    k_present = np.count_nonzero(counts)
    return 1.0 / (k_present * counts[labels])
