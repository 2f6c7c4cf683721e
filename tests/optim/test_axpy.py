"""``add_scaled_`` (``y += a * x`` through BLAS axpy for large arrays): in place, the same
values as NumPy's two calls within one rounding, and NumPy's path for whatever BLAS cannot
take (small, non-contiguous, mixed dtypes, other dtypes, no SciPy)."""

from __future__ import annotations

import numpy as np
import pytest

import nerve
from nerve.optim import axpy
from nerve.optim.axpy import MIN_SIZE, add_scaled_


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_large_array_is_updated_in_place_within_one_rounding(dtype):
    rng = np.random.default_rng(0)
    y = rng.standard_normal((300, 200)).astype(dtype)
    x = rng.standard_normal((300, 200)).astype(dtype)
    assert y.size >= MIN_SIZE
    expected = y.astype(np.float64) - 0.01 * x.astype(np.float64)
    two_calls = y - dtype(0.01) * x
    buffer = y
    add_scaled_(y, -0.01, x)
    assert y is buffer
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(y, expected, rtol=2 * eps, atol=2 * eps)
    np.testing.assert_allclose(y, two_calls, rtol=2 * eps, atol=2 * eps)


@pytest.mark.parametrize(
    "make_y, make_x",
    [
        (lambda r: r.standard_normal(10), lambda r: r.standard_normal(10)),  # small
        (lambda r: r.standard_normal((400, 200)).T, lambda r: r.standard_normal((200, 400))),
        (
            lambda r: r.standard_normal((300, 200)).astype(np.float32),
            lambda r: r.standard_normal((300, 200)),  # float64 into float32
        ),
        (lambda r: r.standard_normal((300, 200)).astype(np.float16), lambda r: r.random(1)),
    ],
    ids=["small", "non-contiguous", "mixed-dtypes", "float16-broadcast"],
)
def test_what_blas_cannot_take_goes_through_numpy(make_y, make_x):
    rng = np.random.default_rng(1)
    y, x = make_y(rng), make_x(rng)
    expected = y.copy()
    expected += -0.5 * x
    add_scaled_(y, -0.5, x)
    np.testing.assert_array_equal(y, expected)


def test_without_scipy_it_is_numpy_exactly(monkeypatch):
    monkeypatch.setattr(axpy, "_routines", {})
    rng = np.random.default_rng(2)
    y, x = rng.standard_normal(MIN_SIZE), rng.standard_normal(MIN_SIZE)
    expected = y - 0.25 * x
    add_scaled_(y, -0.25, x)
    np.testing.assert_array_equal(y, expected)


def test_sgd_with_momentum_on_a_large_layer_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    w0 = rng.standard_normal((256, 160)).astype(np.float32)
    grads = [rng.standard_normal(w0.shape).astype(np.float32) for _ in range(5)]
    ours = nerve.nn.Parameter(nerve.tensor(w0.copy()))
    theirs = torch.nn.Parameter(torch.tensor(w0.copy()))
    opt_ours = nerve.optim.SGD([ours], lr=0.05, momentum=0.9)
    opt_theirs = torch.optim.SGD([theirs], lr=0.05, momentum=0.9)
    for g in grads:
        ours.grad, theirs.grad = nerve.tensor(g), torch.tensor(g)
        opt_ours.step()
        opt_theirs.step()
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-5, atol=1e-6)
