"""Padding layers, pixel shuffling, the distance layers, KLDivLoss and RMSNorm against torch
2.13: values and gradients in float64 and float32, reprs, errors, finite differences."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nerve  # noqa: E402
import nerve.nn.functional as F  # noqa: E402
from nerve import nn  # noqa: E402
from parity import (  # noqa: E402
    DTYPE_IDS,
    DTYPES,
    check_function,
    check_module,
    gradcheck,
    gradgradcheck,
)

TF = torch.nn.functional
RNG = np.random.default_rng(0)

PADDINGS = [
    ("ZeroPad1d", (2,)),
    ("ZeroPad1d", ((1, 3),)),
    ("ZeroPad2d", (1,)),
    ("ZeroPad2d", ((1, 2, 0, 3),)),
    ("ConstantPad1d", (2, 3.5)),
    ("ConstantPad2d", ((1, 0, 2, 1), -1.0)),
    ("ReflectionPad1d", (2,)),
    ("ReflectionPad2d", ((1, 2, 3, 0),)),
    ("ReplicationPad1d", ((3, 1),)),
    ("ReplicationPad2d", (2,)),
    ("CircularPad1d", (1,)),
    ("CircularPad2d", ((2, 1, 0, 1),)),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name,args", PADDINGS, ids=[f"{n}{a}" for n, a in PADDINGS])
def test_padding_layers(name, args, dtype):
    ours, theirs = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(ours) == repr(theirs)
    shape = (2, 3, 6) if name.endswith("1d") else (2, 3, 5, 6)
    check_module(ours, theirs, RNG.standard_normal(shape), dtype)


def test_reflection_padding_wider_than_the_input_raises():
    with pytest.raises(RuntimeError):
        nn.ReflectionPad2d(2)(nerve.zeros(1, 1, 2, 2))


SHUFFLES = [((2, 8, 3, 3), 2), ((1, 9, 2, 4), 3), ((2, 3, 4, 1, 2), 2), ((4, 1, 1), 1)]


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("shape,factor", SHUFFLES, ids=str)
def test_pixel_shuffle_and_unshuffle(shape, factor, dtype):
    x = RNG.standard_normal(shape)
    check_function(F.pixel_shuffle, TF.pixel_shuffle, [x], dtype, upscale_factor=factor)
    *batch, c, h, w = shape
    y = RNG.standard_normal((*batch, c // (factor * factor), h * factor, w * factor))
    check_function(F.pixel_unshuffle, TF.pixel_unshuffle, [y], dtype, downscale_factor=factor)
    back = F.pixel_unshuffle(F.pixel_shuffle(nerve.tensor(x), factor), factor)
    np.testing.assert_array_equal(back.numpy(), x)
    ours, theirs = nn.PixelShuffle(factor), torch.nn.PixelShuffle(factor)
    assert repr(ours) == repr(theirs)
    assert repr(nn.PixelUnshuffle(factor)) == repr(torch.nn.PixelUnshuffle(factor))
    check_module(ours, theirs, x, dtype)


@pytest.mark.parametrize(
    "call,message",
    [
        (lambda f, t: f.pixel_shuffle(t.zeros(1, 5, 2, 2), 2), "divisible by the square"),
        (lambda f, t: f.pixel_unshuffle(t.zeros(1, 1, 3, 4), 2), "height to be divisible"),
        (lambda f, t: f.pixel_unshuffle(t.zeros(1, 1, 4, 3), 2), "width to be divisible"),
        (lambda f, t: f.rms_norm(t.zeros(2, 3), [3, 4]), r"expected input with shape \[\*3, 4\]"),
    ],
)
def test_errors_as_torch(call, message):
    for functional, lib in ((F, nerve), (TF, torch)):
        with pytest.raises(RuntimeError, match=message):
            call(functional, lib)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_distance_layers(dtype):
    a, b = RNG.standard_normal((4, 5)), RNG.standard_normal((4, 5))
    for ours, theirs in (
        (nn.CosineSimilarity(dim=1), torch.nn.CosineSimilarity(dim=1)),
        (nn.CosineSimilarity(dim=0, eps=1e-6), torch.nn.CosineSimilarity(dim=0, eps=1e-6)),
        (nn.PairwiseDistance(), torch.nn.PairwiseDistance()),
        (nn.PairwiseDistance(p=1.0, keepdim=True), torch.nn.PairwiseDistance(p=1.0, keepdim=True)),
    ):
        assert repr(ours) == repr(theirs)
        check_function(ours, theirs, [a, b], dtype, grads=(0, 1))


KL = [
    {"reduction": "batchmean"},
    {"reduction": "sum"},
    {"reduction": "none"},
    {"reduction": "batchmean", "log_target": True},
    {"reduction": "none", "log_target": True},
]


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("kwargs", KL, ids=str)
def test_kl_div(kwargs, dtype):
    log_q = np.log(RNG.dirichlet(np.ones(5), 4))
    p = RNG.dirichlet(np.ones(5), 4)
    target = np.log(p) if kwargs.get("log_target") else p
    check_function(F.kl_div, TF.kl_div, [log_q, target], dtype, grads=(0, 1), **kwargs)
    ours, theirs = nn.KLDivLoss(**kwargs), torch.nn.KLDivLoss(**kwargs)
    assert repr(ours) == repr(theirs)
    check_function(ours, theirs, [log_q, target], dtype, grads=(0,))


def test_kl_div_zero_targets():
    """A zero target adds 0 (t log t taken as 0), with no warning for log(0); the input's
    gradient is torch's; the target's is -input there (torch's NaN, from 0 / 0)."""
    log_q = np.log(RNG.dirichlet(np.ones(4), 3))
    p = RNG.dirichlet(np.ones(4), 3)
    p[0, 2] = p[2, 0] = 0.0
    ours_x, ours_t = nerve.tensor(log_q, requires_grad=True), nerve.tensor(p, requires_grad=True)
    theirs_x = torch.tensor(log_q, requires_grad=True)
    theirs_t = torch.tensor(p, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = F.kl_div(ours_x, ours_t, reduction="sum")
    theirs = TF.kl_div(theirs_x, theirs_t, reduction="sum")
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12)
    ours.backward()
    theirs.backward()
    np.testing.assert_allclose(ours_x.grad.numpy(), theirs_x.grad.numpy(), rtol=1e-12)
    zero = p == 0
    np.testing.assert_allclose(ours_t.grad.numpy()[~zero], theirs_t.grad.numpy()[~zero])
    assert np.isnan(theirs_t.grad.numpy()[zero]).all()
    np.testing.assert_array_equal(ours_t.grad.numpy()[zero], -log_q[zero])


def test_kl_div_mean_warns_as_torch():
    x, y = nerve.zeros(2, 3), nerve.full((2, 3), 0.5)
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        ours = F.kl_div(x, y)
    with pytest.warns(UserWarning):
        theirs = TF.kl_div(torch.zeros(2, 3), torch.full((2, 3), 0.5))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        F.kl_div(x, y, reduction="average")


RMS = [
    ((3, 4), 4, {}),
    ((2, 3, 4), (3, 4), {"eps": 1e-5}),
    ((5, 6), 6, {"elementwise_affine": False}),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("shape,normalized,kwargs", RMS, ids=str)
def test_rms_norm(shape, normalized, kwargs, dtype):
    ours, theirs = nn.RMSNorm(normalized, **kwargs), torch.nn.RMSNorm(normalized, **kwargs)
    assert repr(ours) == repr(theirs)
    if ours.weight is not None:  # a weight that is not all ones, to test its gradient
        weight = RNG.standard_normal(ours.weight.shape)
        with torch.no_grad(), nerve.no_grad():
            ours.weight.copy_(nerve.tensor(weight))
            theirs.weight.copy_(torch.tensor(weight))
    check_module(ours, theirs, RNG.standard_normal(shape), dtype)
    shape_arg = [normalized] if isinstance(normalized, int) else list(normalized)
    weight = RNG.standard_normal(shape_arg)

    def ours_fn(x: nerve.Tensor, w: nerve.Tensor) -> nerve.Tensor:
        return F.rms_norm(x, shape_arg, w, kwargs.get("eps"))

    def theirs_fn(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return TF.rms_norm(x, shape_arg, w, kwargs.get("eps"))

    check_function(ours_fn, theirs_fn, [RNG.standard_normal(shape), weight], dtype, grads=(0, 1))


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: F.pixel_shuffle(x.reshape(1, 4, 2, 3), 2),
        lambda x: F.kl_div(x.log_softmax(dim=1), x.flip(0).softmax(dim=1), reduction="batchmean"),
        lambda x: F.kl_div(
            x.log_softmax(dim=1), x.flip(1).log_softmax(dim=1), reduction="sum", log_target=True
        ),
        lambda x: F.rms_norm(x, [6]),
        lambda x: nn.ReflectionPad1d(2)(x.reshape(1, 4, 6)),
    ],
    ids=["pixel_shuffle", "kl_div", "kl_div_log_target", "rms_norm", "reflection_pad"],
)
def test_finite_differences_first_and_second_order(fn):
    x = nerve.tensor(RNG.standard_normal((4, 6)), requires_grad=True)
    assert gradcheck(fn, [x])
    assert gradgradcheck(fn, [x])
