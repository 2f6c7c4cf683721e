"""Splitting a data set into training, validation and test parts.

The lecture's rule: fit everything (weights, scalers, the choice of hyper-parameters) on the
training part only, pick models on the validation part, and look at the test part once at the
end. ``train_val_test_split`` returns *index arrays* rather than data so that the same split can
be applied to ``X``, ``y`` and anything else row-aligned (``ArrayData.subset(idx)``).

Stratification keeps every class's share the same in all three parts, which matters most for
imbalanced data: without it a rare class can vanish from the validation set by chance.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import DataError, as_labels, check_fraction, check_int

__all__ = ["train_val_test_split", "split_sizes"]


def train_val_test_split(
    y: Any,
    val: float = 0.2,
    test: float = 0.2,
    stratify: bool = True,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return shuffled, disjoint ``(train, val, test)`` int64 index arrays covering ``range(n)``.

    Args:
        y: targets, shape ``(n,)``; integer class labels when ``stratify`` is True.
        val: fraction of samples for validation, ``0 <= val``; 0 gives an empty array.
        test: fraction for testing, ``0 <= test`` and ``val + test < 1``.
        stratify: split each class proportionally (classification). Use False for regression.
        seed: seed of the shuffle; the same arguments always give the same split.

    Stratified guarantees: every class gets at least one training sample, and a class with at
    least 3 samples also gets at least one validation and one test sample (when ``val`` /
    ``test`` are non-zero), so per-class metrics are defined on every split.

    Example:
        >>> y = np.array([0] * 8 + [1] * 2)
        >>> train, val, test = train_val_test_split(y, val=0.2, test=0.2, seed=0)
        >>> len(train), len(val), len(test), sorted(y[train].tolist())
        (6, 2, 2, [0, 0, 0, 0, 1, 1])
    """
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise DataError(f"y must be 1-D with shape (n,), got shape {arr.shape}")
    n = arr.shape[0]
    if n == 0:
        raise DataError("cannot split an empty data set")
    val = check_fraction("val", val)
    test = check_fraction("test", test)
    if val + test >= 1.0:
        raise DataError(
            f"val + test must be below 1 to leave training data, got {val:g} + {test:g}"
        )
    rng = np.random.default_rng(check_int("seed", seed, minimum=0))

    if not stratify:
        order = rng.permutation(n)
        n_val, n_test = _counts(n, val, test)
        return _as_index(order[n_val + n_test :], order[:n_val], order[n_val : n_val + n_test])

    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr) & (arr == np.round(arr))):
        raise DataError(
            "stratify=True needs integer class labels; pass stratify=False for regression"
        )
    labels = as_labels("y", arr)
    classes, sizes = np.unique(labels, return_counts=True)
    # Allocate the global val / test sizes across classes by largest remainder, so the totals
    # match a non-stratified split instead of drifting with per-class rounding.
    val_sizes = _allocate(int(round(val * n)), sizes, val)
    test_sizes = _allocate(int(round(test * n)), sizes, test)
    parts: tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]] = ([], [], [])
    for c, size, n_val, n_test in zip(classes, sizes, val_sizes, test_sizes):
        members = rng.permutation(np.flatnonzero(labels == c))
        n_val, n_test = _fix_counts(int(size), int(n_val), int(n_test), val, test)
        parts[0].append(members[n_val + n_test :])
        parts[1].append(members[:n_val])
        parts[2].append(members[n_val : n_val + n_test])
    # Shuffle within each part so that the classes are interleaved, not in blocks.
    train, val_idx, test_idx = (rng.permutation(np.concatenate(p)) for p in parts)
    return _as_index(train, val_idx, test_idx)


def split_sizes(n: int, val: float = 0.2, test: float = 0.2) -> tuple[int, int, int]:
    """The ``(train, val, test)`` sizes of a non-stratified split of ``n`` samples.

    Example:
        >>> split_sizes(10, 0.2, 0.1)
        (7, 2, 1)
    """
    n = check_int("n", n, minimum=1)
    val = check_fraction("val", val)
    test = check_fraction("test", test)
    if val + test >= 1.0:
        raise DataError(f"val + test must be below 1, got {val:g} + {test:g}")
    n_val, n_test = _counts(n, val, test)
    return n - n_val - n_test, n_val, n_test


def _counts(n: int, val: float, test: float) -> tuple[int, int]:
    """Non-stratified validation and test sizes: rounded to nearest, training keeps one."""
    return _fix_counts(n, int(round(val * n)), int(round(test * n)), 0.0, 0.0)


def _allocate(total: int, sizes: np.ndarray, frac: float) -> np.ndarray:
    """Split ``total`` across groups proportionally to ``sizes`` (largest-remainder method)."""
    quota = frac * sizes.astype(np.float64)
    counts = np.floor(quota).astype(np.int64)
    rest = max(0, total - int(counts.sum()))
    # Stable sort: equal remainders go to the lower class label first, deterministically.
    order = np.argsort(-(quota - counts), kind="stable")
    counts[order[:rest]] += 1
    return counts


def _fix_counts(n: int, n_val: int, n_test: int, val: float, test: float) -> tuple[int, int]:
    """Adjust one group's sizes: at least one in each non-empty split when the group has 3 or
    more samples (``val`` / ``test`` > 0), and always at least one left for training."""
    if n >= 3:
        n_val = max(n_val, 1) if val > 0 else n_val
        n_test = max(n_test, 1) if test > 0 else n_test
    # Give back to training, taking from the larger of val / test first, until it has one.
    while n_val + n_test > n - 1:
        if n_val >= n_test and n_val > 0:
            n_val -= 1
        else:
            n_test -= 1
    return n_val, n_test


def _as_index(
    train: np.ndarray, val: np.ndarray, test: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (
        train.astype(np.int64, copy=False),
        val.astype(np.int64, copy=False),
        test.astype(np.int64, copy=False),
    )
