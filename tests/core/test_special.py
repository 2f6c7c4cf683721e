"""backend/special: the vectorized float32 erf against SciPy's float64 erf (units in the last
place over a dense grid), its limits, symmetry and special values; and ops/unary's choice of
kernel by size (the rational erf and NumPy's exp-based sigmoid from a size on)."""

from __future__ import annotations

import numpy as np
import pytest

import nerve
from nerve.backend.special import LIMIT, erf_float32
from nerve.ops import unary

special = pytest.importorskip("scipy.special")


def _ulps(got: np.ndarray, x: np.ndarray) -> np.ndarray:
    """How many float32 steps ``got`` lies from erf(x) (float64), at erf(x)'s rounding."""
    exact = special.erf(x.astype(np.float64))
    return np.abs(got.astype(np.float64) - exact) / np.spacing(exact.astype(np.float32))


def test_erf_float32_is_within_seven_units_in_the_last_place() -> None:
    grid = np.linspace(-6, 6, 4_000_001, dtype=np.float32)
    tiny = np.float32(10) ** np.linspace(-38, 0, 20_001, dtype=np.float32)
    for x in (grid, tiny, -tiny):
        got = erf_float32(x)
        assert got.dtype == np.float32
        assert _ulps(got, x).max() <= 7
        assert np.abs(got).max() <= 1


def test_erf_float32_limits_symmetry_and_special_values() -> None:
    x = np.linspace(0, 10, 100_001, dtype=np.float32)
    np.testing.assert_array_equal(erf_float32(-x), -erf_float32(x))  # odd, exactly
    assert (erf_float32(x[x >= LIMIT]) == 1).all()
    values = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0], np.float32)
    got = erf_float32(values)
    assert np.isnan(got[0]) and list(got[1:3]) == [1, -1]
    assert got[3] == 0 and not np.signbit(got[3]) and np.signbit(got[4])
    assert erf_float32(np.array(0.5, np.float32)).shape == ()


def test_erf_and_sigmoid_take_the_vectorized_kernels_from_their_sizes() -> None:
    rng = np.random.default_rng(0)
    small = rng.standard_normal(unary.MIN_RATIONAL_ERF - 1).astype(np.float32)
    large = rng.standard_normal(unary.MIN_RATIONAL_ERF).astype(np.float32)
    np.testing.assert_array_equal(unary.erf_array(small), special.erf(small))  # SciPy's
    np.testing.assert_array_equal(unary.erf_array(large), erf_float32(large))
    np.testing.assert_array_equal(  # float64 keeps SciPy's, accurate to its last bits
        unary.erf_array(large.astype(np.float64)), special.erf(large.astype(np.float64))
    )
    x = np.concatenate([rng.standard_normal(unary.MIN_EXP_SIGMOID) * 30, [-1e4, 1e4, np.nan]])
    for dtype in (np.float32, np.float64):
        got = unary.sigmoid_array(x.astype(dtype))
        assert got.dtype == dtype
        expected = special.expit(x.astype(dtype))
        np.testing.assert_allclose(got, expected, rtol=4 * np.finfo(dtype).eps, atol=0)
    with np.errstate(over="raise"):  # exp's overflow to inf is expected, and silent
        assert nerve.sigmoid(nerve.tensor(x.astype(np.float32)))[-3].item() == 0


def test_gelu_of_a_zero_dimensional_tensor() -> None:
    torch = pytest.importorskip("torch")
    for dtype in (nerve.float32, nerve.float64):
        x = nerve.tensor(0.5, dtype=dtype, requires_grad=True)
        out = nerve.nn.functional.gelu(x)
        out.backward()
        expected = torch.nn.functional.gelu(torch.tensor(0.5, dtype=torch.float64))
        assert out.shape == () and abs(out.item() - expected.item()) < 1e-6
        assert x.grad is not None
