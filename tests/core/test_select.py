"""backend/select: ``select`` is ``np.where`` bit for bit (NaN payloads, infinities, signed
zeros, every integer and float width, Python numbers taking the array's dtype), whether it
takes the branch-free way or hands the call to ``np.where``; and ops that use it keep their
results on large arrays."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nerve
from nerve.backend import select as select_module
from nerve.backend.select import MIN_SIZE, _common_dtype, select

DTYPES = [np.float16, np.float32, np.float64, np.int8, np.int16, np.int32, np.int64, np.uint8]
NUMBERS = [0, 1, -1, 2.5, -0.0, float("nan"), float("inf"), 300, 70000, 1e300, 2**70]


def _operand(draw, rng, dtype, shape):
    """An array of ``dtype`` (with specials for floats) or a Python number."""
    if draw(st.booleans()):
        return draw(st.sampled_from(NUMBERS))
    if np.dtype(dtype).kind == "f":
        values = (rng.standard_normal(shape) * 1e3).astype(dtype)
        specials = np.array([np.nan, -np.nan, np.inf, -np.inf, -0.0, 0.0], dtype)
        values.reshape(-1)[: min(values.size, 6)] = specials[: min(values.size, 6)]
        return values
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)


def _same(got, expected) -> bool:
    return (
        got.dtype == expected.dtype
        and got.shape == expected.shape
        and (np.ascontiguousarray(got).tobytes() == np.ascontiguousarray(expected).tobytes())
    )


@settings(max_examples=120, deadline=None)
@given(data=st.data())
def test_select_is_np_where_bit_for_bit(data) -> None:
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    dtype = data.draw(st.sampled_from(DTYPES))
    shape = tuple(data.draw(st.lists(st.integers(1, 9), min_size=0, max_size=3)))
    condition = rng.random(shape) < data.draw(st.sampled_from([0.0, 0.5, 1.0]))
    condition = np.asarray(condition)
    a = _operand(data.draw, rng, dtype, shape)
    b = _operand(data.draw, rng, dtype, shape)
    try:
        with np.errstate(all="ignore"):
            expected = np.where(condition, a, b)
    except (OverflowError, TypeError):  # an int that no dtype holds: nothing to compare with
        return
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(select_module, "MIN_SIZE", 1)  # the branch-free way for any size
        with np.errstate(all="ignore"):
            got = select(condition, a, b)
    assert _same(got, expected)


def test_large_calls_take_the_branch_free_way_and_others_np_where() -> None:
    n = MIN_SIZE
    condition = np.arange(n) % 3 == 0
    x, y = np.arange(n, dtype=np.float32), -np.arange(n, dtype=np.float32)
    assert _common_dtype(condition, x, y) == np.float32
    assert _common_dtype(condition, x, 0.5) == np.float32
    assert _common_dtype(condition[:-1], x[:-1], y[:-1]) is None  # small
    assert _common_dtype(condition, x, y.astype(np.float64)) is None  # mixed dtypes
    assert _common_dtype(condition, x[::-1], y) is None  # not contiguous
    assert _common_dtype(condition, x, np.float32(1)) is None  # a NumPy scalar
    assert _common_dtype(condition, x.reshape(1, -1), y) is None  # broadcasting
    assert _common_dtype(condition, x.astype(np.int32), 0.5) is None  # a float into ints
    assert _common_dtype(condition, x, 1e300) is None  # beyond float32
    assert _common_dtype(condition.astype(np.int8), x, y) is None  # not a bool condition
    assert _common_dtype(condition, x.astype(">f4"), y.astype(">f4")) is None  # byte order
    swapped = y.astype(">f4")
    for a, b in [(x, y), (x, 0.5), (x[::-1], y), (x, y.astype(np.float64)), (3, y), (swapped, 1.0)]:
        assert _same(select(condition, a, b), np.where(condition, a, b))


def test_where_and_leaky_relu_on_a_large_map_keep_their_values() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 8, 32, 32)).astype(np.float32)
    x.reshape(-1)[:5] = [np.nan, np.inf, -np.inf, -0.0, 0.0]
    t = nerve.tensor(x)
    assert _same(nerve.where(t > 0, t, 0.0).numpy(), np.where(x > 0, x, np.float32(0)))
    leaky = nerve.nn.functional.leaky_relu(t, 0.1).numpy()
    with np.errstate(invalid="ignore"):
        expected = np.where(x > 0, x, x * np.float32(0.1))
    np.testing.assert_array_equal(leaky, expected)
