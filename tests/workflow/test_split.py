"""Train / validation / test splitting (nerve.workflow.split)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nerve.workflow import DataError, split_sizes, train_val_test_split


def _check_partition(n, train, val, test):
    for part in (train, val, test):
        assert part.dtype == np.int64 and part.ndim == 1
    everything = np.concatenate([train, val, test])
    assert np.array_equal(np.sort(everything), np.arange(n)), "parts must partition range(n)"


def test_partition_sizes_and_dtypes():
    y = np.repeat([0, 1], 50)
    train, val, test = train_val_test_split(y, val=0.2, test=0.1, seed=0)
    _check_partition(100, train, val, test)
    assert (len(train), len(val), len(test)) == (70, 20, 10)


def test_deterministic_and_shuffled():
    y = np.repeat([0, 1, 2], 40)
    a = train_val_test_split(y, seed=3)
    b = train_val_test_split(y, seed=3)
    c = train_val_test_split(y, seed=4)
    for x, z in zip(a, b):
        np.testing.assert_array_equal(x, z)
    assert not np.array_equal(a[0], c[0])
    train = a[0]
    assert not np.all(np.diff(train) > 0), "indices are shuffled, not sorted"
    # Classes are interleaved rather than in blocks.
    assert not np.all(np.diff(y[train]) >= 0)


def test_stratification_keeps_class_proportions():
    y = np.array([0] * 600 + [1] * 300 + [2] * 100)
    train, val, test = train_val_test_split(y, val=0.2, test=0.2, seed=1)
    for part, size in ((train, 600), (val, 200), (test, 200)):
        assert len(part) == size
        shares = np.bincount(y[part], minlength=3) / len(part)
        np.testing.assert_allclose(shares, [0.6, 0.3, 0.1], atol=0.006)


def test_stratified_totals_do_not_drift_with_many_small_classes():
    # Per-class rounding would give 10 x round(1.4) = 10; largest remainder keeps 14.
    y = np.repeat(np.arange(10), 7)
    train, val, test = train_val_test_split(y, val=0.2, test=0.2, seed=0)
    assert len(val) == 14 and len(test) == 14 and len(train) == 42


def test_small_classes_get_training_and_evaluation_samples():
    y = np.array([0] * 50 + [1] * 3 + [2] * 2 + [3])
    train, val, test = train_val_test_split(y, val=0.2, test=0.2, seed=0)
    _check_partition(len(y), train, val, test)
    assert set(y[train].tolist()) == {0, 1, 2, 3}  # every class is seen in training
    assert 1 in y[val] and 1 in y[test]  # a class of 3 reaches every split
    assert 3 not in y[val] and 3 not in y[test]  # the singleton stays in training


def test_zero_fractions_give_empty_arrays():
    y = np.repeat([0, 1], 10)
    train, val, test = train_val_test_split(y, val=0.0, test=0.25, seed=0)
    assert val.size == 0 and val.dtype == np.int64
    assert len(test) == 5 and len(train) == 15
    train, val, test = train_val_test_split(y, val=0.0, test=0.0)
    assert len(train) == 20 and val.size == 0 and test.size == 0


def test_regression_split_without_stratification():
    y = np.linspace(0, 1, 33).astype(np.float32)
    train, val, test = train_val_test_split(y, val=0.2, test=0.2, stratify=False, seed=2)
    _check_partition(33, train, val, test)
    assert (len(train), len(val), len(test)) == split_sizes(33, 0.2, 0.2) == (19, 7, 7)


def test_training_keeps_at_least_one_sample():
    train, val, test = train_val_test_split(np.array([0.0, 1.0]), 0.45, 0.45, stratify=False)
    assert len(train) == 1 and len(val) + len(test) == 1
    train, val, test = train_val_test_split(np.array([5]), 0.3, 0.3)
    assert train.tolist() == [0] and val.size == test.size == 0


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"val": 0.5, "test": 0.5}, "val \\+ test must be below 1"),
        ({"val": -0.1}, "val must be in"),
        ({"test": 1.2}, "test must be in"),
        ({"val": float("nan")}, "val must be in"),
        ({"seed": -1}, "seed"),
    ],
)
def test_invalid_fractions(kwargs, pattern):
    with pytest.raises(DataError, match=pattern):
        train_val_test_split(np.repeat([0, 1], 5), **kwargs)


def test_invalid_labels():
    with pytest.raises(DataError, match="stratify=False for regression"):
        train_val_test_split(np.array([0.5, 1.5, 2.0]))
    with pytest.raises(DataError, match="1-D"):
        train_val_test_split(np.zeros((3, 2)))
    with pytest.raises(DataError, match="empty"):
        train_val_test_split(np.array([], dtype=np.int64))
    with pytest.raises(DataError, match="integer class labels"):
        train_val_test_split(np.array(["a", "b"]))
    # Whole-number floats are fine as labels.
    assert len(train_val_test_split(np.array([0.0, 1.0] * 5))[0]) == 6


@settings(max_examples=25, deadline=None)
@given(
    labels=st.lists(st.integers(0, 4), min_size=1, max_size=80),
    val=st.floats(0.0, 0.45),
    test=st.floats(0.0, 0.45),
    seed=st.integers(0, 2**16),
    stratify=st.booleans(),
)
def test_split_properties(labels, val, test, seed, stratify):
    y = np.array(labels)
    train, val_idx, test_idx = train_val_test_split(y, val, test, stratify=stratify, seed=seed)
    _check_partition(len(y), train, val_idx, test_idx)
    assert len(train) >= 1
    if stratify:
        # Every class is represented in training.
        assert set(y[train].tolist()) == set(labels)
        for c in set(labels):
            n_c = labels.count(c)
            if n_c >= 3 and val > 0:
                assert c in y[val_idx]
            # Proportional: each split's class count is within 2 of its share (rounding plus
            # the one-sample minimums).
            for part, frac in ((val_idx, val), (test_idx, test)):
                assert abs(np.sum(y[part] == c) - frac * n_c) <= 2
    else:
        n = len(y)
        assert (len(train), len(val_idx), len(test_idx)) == split_sizes(n, val, test)
