"""``ArrayData``: a data set as plain NumPy arrays plus the metadata the workflow needs.

Every loader of the package (toy sets, scikit-learn sets, CSV files) returns an ``ArrayData``, and
the Trainer consumes one. Keeping it NumPy-only means the workflow does not depend on the tensor
core: conversion to tensors happens at the boundary, in the Trainer.

Conventions, checked in ``__post_init__`` so that a bad loader fails loudly at construction time
instead of deep inside training:

* ``X`` is float32 with shape ``(n, d)`` and only finite values;
* classification (``"binary"`` / ``"multiclass"``): ``y`` is int64 with labels ``0..k-1`` and
  ``class_names[i]`` names label ``i``; a binary task has exactly two classes;
* regression: ``y`` is float32 with shape ``(n,)`` and ``class_names`` is empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import DataError, as_labels, check_choice

__all__ = ["TASKS", "ArrayData", "as_features"]

TASKS = ("binary", "multiclass", "regression")


@dataclass
class ArrayData:
    """Features ``X``, targets ``y`` and their description.

    Args:
        X: features, converted to float32 with shape ``(n, d)``.
        y: class labels ``0..k-1`` (converted to int64) or regression targets (float32).
        task: ``"binary"``, ``"multiclass"`` or ``"regression"``.
        name: a short name for reports and plot titles.
        feature_names: one name per column of ``X``; defaults to ``x1..xd``.
        class_names: one name per class; defaults to ``"0".."k-1"`` for classification and must
            stay empty for regression.

    Example:
        >>> data = ArrayData(np.array([[0.9, -0.2], [0.75, 0.6]]), np.array([0, 1]), "binary")
        >>> data.n_classes, data.feature_names, data.X.dtype
        (2, ['x1', 'x2'], dtype('float32'))
        >>> data.subset([1]).y
        array([1])
    """

    X: np.ndarray
    y: np.ndarray
    task: str
    name: str = "data"
    feature_names: list[str] = field(default_factory=list)
    class_names: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        check_choice("task", self.task, TASKS)
        self.X = as_features(self.X)
        n, d = self.X.shape
        y = np.asarray(self.y)
        if y.ndim != 1 or y.shape[0] != n:
            raise DataError(f"y must have shape ({n},) to match X {self.X.shape}, got {y.shape}")

        if not self.feature_names:
            self.feature_names = [f"x{i + 1}" for i in range(d)]
        self.feature_names = [str(f) for f in self.feature_names]
        if len(self.feature_names) != d:
            raise DataError(
                f"feature_names has {len(self.feature_names)} names but X has {d} columns"
            )
        self.class_names = [str(c) for c in self.class_names]

        if self.task == "regression":
            self._check_regression(y)
        else:
            self._check_classification(y)

    def _check_regression(self, y: np.ndarray) -> None:
        if self.class_names:
            raise DataError("class_names must be empty for a regression task")
        if y.dtype.kind not in "biuf":
            raise DataError(f"regression targets must be numeric, got dtype {y.dtype}")
        y = y.astype(np.float32)
        if not np.all(np.isfinite(y)):
            raise DataError("regression targets contain NaN or infinite values")
        self.y = y

    def _check_classification(self, y: np.ndarray) -> None:
        labels = as_labels("y", y)
        if labels.size and labels.min() < 0:
            raise DataError(f"class labels must be 0..k-1, found {int(labels.min())}")
        if not self.class_names:
            # Binary data always has two classes, even a subset that happens to hold only one.
            k = int(labels.max()) + 1 if labels.size else 0
            k = 2 if self.task == "binary" else max(k, 2)
            self.class_names = [str(i) for i in range(k)]
        k = len(self.class_names)
        if self.task == "binary" and k != 2:
            raise DataError(f"a binary task needs exactly 2 class names, got {k}")
        if k < 2:
            raise DataError(f"a classification task needs at least 2 classes, got {k}")
        self.y = as_labels("y", labels, n_classes=k)

    @property
    def n_classes(self) -> int:
        """Number of classes (0 for regression)."""
        return 0 if self.task == "regression" else len(self.class_names)

    @property
    def n_samples(self) -> int:
        """Number of rows of ``X``."""
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        """Number of columns of ``X``."""
        return int(self.X.shape[1])

    def __len__(self) -> int:
        return self.n_samples

    def subset(self, idx: Any) -> ArrayData:
        """Return the rows selected by ``idx`` (integer indices or a boolean mask), as a copy.

        The metadata (task, names) is kept, so a split of a data set still knows all its classes
        even when one of them is absent from that split.

        Example:
            >>> data = ArrayData(np.zeros((3, 1)), np.array([0, 1, 0]), "binary")
            >>> len(data.subset(np.array([True, False, True])))
            2
        """
        index = np.asarray(idx)
        if index.dtype == bool:
            if index.shape != (self.n_samples,):
                raise DataError(
                    f"a boolean mask must have shape ({self.n_samples},), got {index.shape}"
                )
        elif index.size == 0:
            index = index.astype(np.int64)  # an empty list comes in as float64
        elif index.dtype.kind not in "iu":
            raise DataError(f"subset indices must be integers or a boolean mask, got {index.dtype}")
        elif index.ndim != 1:
            raise DataError(f"subset indices must be 1-D, got shape {index.shape}")
        elif index.max() >= self.n_samples or index.min() < -self.n_samples:
            raise DataError(f"subset index out of range for {self.n_samples} samples")
        return ArrayData(
            X=self.X[index],
            y=self.y[index],
            task=self.task,
            name=self.name,
            feature_names=list(self.feature_names),
            class_names=list(self.class_names),
        )

    def describe(self) -> str:
        """A one-line summary, e.g. ``'iris: 150 samples x 4 features, multiclass (3 classes)'``.

        Example:
            >>> ArrayData(np.zeros((2, 3)), np.array([0.5, 1.0]), "regression", "toy").describe()
            'toy: 2 samples x 3 features, regression'
        """
        text = f"{self.name}: {self.n_samples} samples x {self.n_features} features, {self.task}"
        if self.task != "regression":
            text += f" ({self.n_classes} classes)"
        return text


def as_features(X: Any, name: str = "X") -> np.ndarray:
    """Convert ``X`` to a finite float32 ``(n, d)`` array or raise a DataError.

    The one rule for feature values, for training data and for inputs to predict alike.

    Example:
        >>> as_features([[1e39, 0.0]])
        Traceback (most recent call last):
        ...
        nerve.workflow.errors.DataError: X[0, 0] is 1e+39: NaN, infinite or beyond float32's range
    """
    arr = np.asarray(X)
    if arr.ndim != 2:
        raise DataError(
            f"{name} must be 2-D with shape (n_samples, n_features), got shape {arr.shape}"
        )
    if arr.dtype.kind not in "biuf":
        raise DataError(f"{name} must be numeric, got dtype {arr.dtype}")
    with np.errstate(over="ignore"):  # float64 values beyond float32's range become inf here
        out = np.ascontiguousarray(arr, dtype=np.float32)
    bad = np.argwhere(~np.isfinite(out))
    if len(bad):
        i, j = (int(k) for k in bad[0])
        raise DataError(
            f"{name}[{i}, {j}] is {float(arr[i, j])!r}: NaN, infinite or beyond float32's range"
        )
    return out
