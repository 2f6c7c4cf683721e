"""backend/reductions.extreme: the same values as NumPy's max and min along any axis, whether it
takes the transposed copy (a short last axis of many rows) or NumPy's own reduction."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nerve.backend.reductions import _short_axis, extreme

shapes = st.lists(st.integers(1, 70), min_size=2, max_size=3).filter(
    lambda s: int(np.prod(s)) <= 20_000
)


@settings(max_examples=60, deadline=None)
@given(shape=shapes, data=st.data(), keepdims=st.booleans(), largest=st.booleans())
def test_extreme_matches_numpy(shape, data, keepdims, largest) -> None:
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    dtype = data.draw(st.sampled_from([np.float32, np.float64, np.int64, np.bool_]))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    x = (rng.standard_normal(shape) * 3).astype(dtype)
    if dtype in (np.float32, np.float64) and data.draw(st.booleans()):
        x.reshape(-1)[rng.integers(0, x.size, 3)] = np.nan  # NaN wins, as in max
    expected = (
        x.max(axis=axis, keepdims=keepdims) if largest else x.min(axis=axis, keepdims=keepdims)
    )
    got = extreme(x, axis, keepdims, largest)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


def test_short_axis_takes_the_copy_only_where_it_measured_faster() -> None:
    assert _short_axis(10, 64 * 10)  # the W2 logits
    assert _short_axis(64, 2048 * 64)
    assert not _short_axis(1000, 8 * 1000)  # few rows, a long axis: NumPy's own
    assert not _short_axis(128, 64 * 128)
    assert not _short_axis(0, 0)  # empty: max's own error


def test_views_tuples_and_full_reductions() -> None:
    x = np.arange(64 * 10, dtype=np.float32).reshape(10, 64).T  # a transposed view
    np.testing.assert_array_equal(extreme(x, (1,), True, True), x.max(axis=1, keepdims=True))
    assert extreme(x, None, False, False) == x.min()
    np.testing.assert_array_equal(extreme(x, (0, 1), False, True), x.max(axis=(0, 1)))
    with pytest.raises(ValueError):
        extreme(np.zeros((64, 0), np.float32), 1, False, True)
