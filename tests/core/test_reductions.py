"""backend/reductions: ``extreme``, the same values as NumPy's max and min along any axis,
whether it takes the transposed copy (a short last axis of many rows) or NumPy's own
reduction; ``total``, NumPy's sums (to rounding) whether it takes a product with ones or
NumPy's own sum; and the read-only zeros and ones of backend/constants that they use."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nerve.backend import constants
from nerve.backend.reductions import MAX_DOT_AXIS, _short_axis, extreme, total

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


@settings(max_examples=80, deadline=None)
@given(
    shape=st.lists(st.integers(0, 40), min_size=1, max_size=4).filter(
        lambda s: int(np.prod(s)) <= 20_000
    ),
    data=st.data(),
    keepdims=st.booleans(),
)
def test_total_matches_numpy_sum(shape, data, keepdims) -> None:
    ndim = len(shape)
    axes = data.draw(
        st.one_of(
            st.none(),
            st.integers(-ndim, ndim - 1).map(lambda a: (a,)),
            st.just(tuple(range(ndim))),
        )
    )
    dtype = data.draw(st.sampled_from([np.float32, np.float64, np.float16, np.int64]))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    x = (rng.standard_normal(shape) * 3).astype(dtype)
    if data.draw(st.booleans()) and ndim > 1:
        x = x.swapaxes(0, -1)  # not contiguous
    expected = x.sum(axis=axes, keepdims=keepdims)
    got = total(x, axes, keepdims)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    tolerance = (
        {np.float32: 1e-5, np.float64: 1e-12, np.float16: 0}[dtype] if dtype != np.int64 else 0
    )
    np.testing.assert_allclose(
        got, expected, rtol=tolerance, atol=tolerance * x.shape[0] if ndim else 0
    )


def test_total_of_a_last_axis_of_several_dimensions() -> None:
    x = np.random.default_rng(0).standard_normal((3, 4, 5, 6)).astype(np.float32)
    for keepdims in (False, True):
        got, want = total(x, (-1,), keepdims), x.sum(axis=-1, keepdims=keepdims)
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    assert total(np.zeros((2, 0, 5), np.float32), (2,)).shape == (2, 0)


def test_total_keeps_numpys_pairwise_sum_on_a_long_last_axis() -> None:
    x = np.full((2, MAX_DOT_AXIS + 1), 0.1, np.float32)
    np.testing.assert_array_equal(total(x, (1,)), x.sum(axis=1))
    nan = np.ones((3, 4), np.float32)
    nan[1, 2] = np.nan
    assert np.isnan(total(nan, (0,))[2]) and np.isnan(total(nan, (-1,))[1])


def test_zeros_and_ones_are_read_only_constants() -> None:
    z = constants.zeros((3, 5), np.float32)
    assert z.shape == (3, 5) and z.dtype == np.float32 and not z.any()
    assert not z.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        z[0, 0] = 1
    assert constants.zeros((3, 5), np.float32) is z  # the same view, not a new one
    big = constants.zeros((1 << 16, 3), np.float64)  # a larger mapping, the old view intact
    assert not big.any() and not z.any() and big.dtype == np.float64
    assert constants.zeros((0, 4), np.float32).shape == (0, 4)
    o = constants.ones(7, np.float64)
    assert o.shape == (7,) and (o == 1).all() and not o.flags.writeable
    assert (constants.ones(100_000, np.float32) == 1).all() and (
        constants.ones(7, np.float64) == 1
    ).all()
    assert constants.ones(0, np.float32).shape == (0,)
    # one table each: a length and a 1-D shape given as an int do not collide
    assert (constants.ones(3, np.float64) == 1).all() and not constants.zeros(3, np.float64).any()


def _resident_kib() -> dict[str, int]:
    with open("/proc/self/status", encoding="utf-8") as status:
        fields = dict(line.split(":", 1) for line in status)
    return {name: int(fields[name].split()[0]) for name in ("RssAnon", "RssFile", "RssShmem")}


@pytest.mark.skipif(
    not (constants.zeros_are_free() and os.path.exists("/proc/self/status")),
    reason="needs Linux's /proc and a private read-only mmap",
)
def test_zeros_take_no_memory_when_read() -> None:
    before = _resident_kib()
    z = constants.zeros((64 << 20,), np.float32)  # 256 MiB of zeros
    assert float(z[::1024].sum()) == 0.0  # a read of every page
    after = _resident_kib()
    grown = {name: after[name] - before[name] for name in before}
    assert all(kib < 16 << 10 for kib in grown.values()), grown  # far below 256 MiB
