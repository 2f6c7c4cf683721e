"""ops/standardize: the one-op normalization under BatchNorm, LayerNorm, GroupNorm and
InstanceNorm. Its means equal NumPy's on every axis pattern; an in-place op on its output (a
ReLU(inplace=True) after the layer) changes no gradient, as in torch, while one on its input is
torch's error; first and second derivatives against torch and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nerve
import nerve.nn.functional as F
from nerve.autograd import gradcheck, gradgradcheck
from nerve.ops.standardize import mean_over, standardize

torch = pytest.importorskip("torch")

rng = np.random.default_rng(0)


@settings(max_examples=60, deadline=None)
@given(
    shape=st.lists(st.integers(1, 9), min_size=2, max_size=4),
    pattern=st.sampled_from(["trailing", "channels", "other"]),
    dtype=st.sampled_from([np.float32, np.float64]),
    seed=st.integers(0, 2**16),
)
def test_mean_over_matches_numpy(shape, pattern, dtype, seed) -> None:
    ndim = len(shape)
    axes = {
        "trailing": tuple(range(ndim // 2, ndim)),
        "channels": (0,) + tuple(range(2, ndim)),
        "other": (1,),
    }[pattern]
    a = np.random.default_rng(seed).standard_normal(shape).astype(dtype) * 3
    got = mean_over(a, axes)
    expected = a.mean(axis=axes, keepdims=True)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    # (sums in another order: a mean near zero is exact only to the values' own rounding)
    atol = 8 * np.finfo(dtype).eps * float(np.abs(a).max())
    np.testing.assert_allclose(got, expected, rtol=0, atol=atol)


LAYERS = {
    "batch_norm": (lambda lib: lib.nn.BatchNorm2d(6, affine=False), (4, 6, 5, 5)),
    "layer_norm": (lambda lib: lib.nn.LayerNorm(7, elementwise_affine=False), (3, 4, 7)),
    "group_norm": (lambda lib: lib.nn.GroupNorm(3, 6, affine=False), (4, 6, 5, 5)),
    "instance_norm": (lambda lib: lib.nn.InstanceNorm2d(6), (4, 6, 5, 5)),
}


@pytest.mark.parametrize("name", list(LAYERS))
def test_an_in_place_op_on_the_output_changes_no_gradient(name) -> None:
    make, shape = LAYERS[name]
    x = rng.standard_normal(shape)
    upstream = rng.standard_normal(shape)
    grads = []
    for lib in (nerve, torch):
        leaf = lib.tensor(x, requires_grad=True)
        out = make(lib).double()(leaf)
        out.relu_()  # the output itself, changed in place (as ReLU(inplace=True) in torch)
        (out * lib.tensor(upstream)).sum().backward()
        grads.append(np.asarray(leaf.grad.detach().numpy()))
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-10, atol=1e-12)


def test_changes_to_the_output_that_no_version_counter_sees_change_no_gradient() -> None:
    """A group norm with one channel per group of a 3-D input gives its output back through a
    same-shape reshape, and ``.data`` bypasses version counters: the node reads neither."""
    a = rng.standard_normal((2, 4, 6))
    weights = nerve.tensor(rng.standard_normal((2, 4, 6)))
    for norm in (lambda x: F.group_norm(x, 4), lambda x: F.layer_norm(x, (6,))):
        x = nerve.tensor(a, requires_grad=True)
        y = norm(x)
        total = (y * weights).sum()  # linear in y: its gradient never reads y
        total.backward(retain_graph=True)
        before = x.grad.numpy().copy()
        y.data.mul_(3)
        x.grad = None
        total.backward()
        np.testing.assert_allclose(x.grad.numpy(), before, rtol=1e-12, atol=1e-12)


def test_an_in_place_change_of_the_input_is_an_error() -> None:
    x = nerve.tensor(rng.standard_normal((4, 6)), requires_grad=True)
    h = x * 1
    out, _, _ = standardize(h, (1,), 1e-5)
    h.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


@pytest.mark.parametrize(
    "axes, shape", [((1,), (3, 5)), ((0, 2, 3), (3, 2, 2, 3)), ((2,), (2, 3, 4))]
)
def test_first_and_second_derivatives_by_finite_differences(axes, shape) -> None:
    x = nerve.tensor(rng.standard_normal(shape), requires_grad=True)
    weights = nerve.tensor(rng.standard_normal(shape))

    def fn(x: nerve.Tensor) -> nerve.Tensor:
        return (standardize(x, axes, 1e-3)[0] * weights).tanh()

    assert gradcheck(fn, [x])
    assert gradgradcheck(fn, [x])


def test_moments_are_the_mean_and_biased_variance() -> None:
    x = rng.standard_normal((5, 3, 4, 4)).astype(np.float32)
    out, mean, var = standardize(nerve.tensor(x), (0, 2, 3), 1e-5)
    np.testing.assert_allclose(mean.numpy(), x.mean(axis=(0, 2, 3), keepdims=True), atol=1e-6)
    np.testing.assert_allclose(var.numpy(), x.var(axis=(0, 2, 3), keepdims=True), rtol=1e-5)
    assert not mean.requires_grad and out.dtype == nerve.float32
