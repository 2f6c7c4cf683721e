"""F.interpolate and nn.Upsample against torch 2.13: nearest, linear and bilinear (with and
without align_corners), by size or scale factor, values and gradients in float64 and float32,
second derivatives, hypothesis over sizes, reprs and torch's errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

import torch.nn.functional as TF  # noqa: E402

import nerve  # noqa: E402
import nerve.nn.functional as F  # noqa: E402
from nerve import nn  # noqa: E402
from parity import DTYPE_IDS, DTYPES, check_function, check_module, gradgradcheck  # noqa: E402

RNG = np.random.default_rng(0)
IMAGE = RNG.standard_normal((2, 3, 5, 4))

CASES = [
    {"scale_factor": 2},
    {"scale_factor": 3},
    {"size": (7, 3)},
    {"scale_factor": 1.7},
    {"scale_factor": (3, 0.5)},
    {"size": (11, 9), "mode": "bilinear"},
    {"size": (11, 9), "mode": "bilinear", "align_corners": True},
    {"size": (3, 2), "mode": "bilinear"},
    {"scale_factor": 1.5, "mode": "bilinear"},
    {"scale_factor": 2.5, "mode": "bilinear", "recompute_scale_factor": True},
    {"size": (1, 1), "mode": "bilinear", "align_corners": True},
]


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("kwargs", CASES, ids=str)
def test_interpolate_images(kwargs, dtype):
    check_function(F.interpolate, TF.interpolate, [IMAGE], dtype, **kwargs)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize(
    "kwargs",
    [
        {"scale_factor": 2},
        {"size": 7},
        {"size": 13, "mode": "linear"},
        {"scale_factor": 0.37, "mode": "linear", "align_corners": True},
    ],
    ids=str,
)
def test_interpolate_sequences(kwargs, dtype):
    check_function(F.interpolate, TF.interpolate, [RNG.standard_normal((2, 3, 9))], dtype, **kwargs)


def test_long_sequences_gather_their_neighbours():
    # beyond the dense-matrix limit linear interpolation mixes two gathered neighbours
    x = RNG.standard_normal((1, 2, 300))
    check_function(F.interpolate, TF.interpolate, [x], size=401, mode="linear")


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
def test_second_order(mode):
    x = nerve.tensor(RNG.standard_normal((1, 2, 3, 3)), requires_grad=True)
    assert gradgradcheck(lambda t: F.interpolate(t * t, size=(5, 4), mode=mode), [x])


@settings(max_examples=20, deadline=None)
@given(
    h=st.integers(1, 6),
    w=st.integers(1, 6),
    ho=st.integers(1, 9),
    wo=st.integers(1, 9),
    mode=st.sampled_from(["nearest", "bilinear"]),
    corners=st.booleans(),
)
def test_sizes(h, w, ho, wo, mode, corners):
    options = {"align_corners": corners} if mode == "bilinear" else {}
    x = RNG.standard_normal((1, 2, h, w))
    check_function(F.interpolate, TF.interpolate, [x], size=(ho, wo), mode=mode, **options)


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.Upsample(scale_factor=2),
        lambda m: m.Upsample(size=(3, 7), mode="bilinear"),
        lambda m: m.UpsamplingBilinear2d(scale_factor=2),
        lambda m: m.UpsamplingNearest2d(size=6),
    ],
    ids=["nearest", "bilinear", "bilinear-corners", "nearest-size"],
)
def test_upsample_layers(make):
    ours, theirs = make(nn), make(torch.nn)
    assert repr(ours) == repr(theirs)
    check_module(ours, theirs, IMAGE)


ERRORS = [
    ({"scale_factor": 2, "mode": "linear"}, NotImplementedError, "linear mode needs 3D input"),
    ({"size": 3, "scale_factor": 2}, ValueError, "only one of size or scale_factor"),
    ({}, ValueError, "either size or scale_factor"),
    ({"size": 3, "mode": "nearest", "align_corners": True}, ValueError, "align_corners option"),
    ({"size": (3, 3, 3)}, ValueError, "same number of spatial dimensions"),
    ({"size": 0}, RuntimeError, "Input and output sizes should be greater than 0"),
    ({"size": 3, "mode": "foo"}, NotImplementedError, "Input Error"),
]


@pytest.mark.parametrize("kwargs, kind, message", ERRORS, ids=[e[2] for e in ERRORS])
def test_errors_as_torch(kwargs, kind, message):
    for lib, x in ((TF, torch.tensor(IMAGE)), (F, nerve.tensor(IMAGE))):
        with pytest.raises(kind) as raised:
            lib.interpolate(x, **kwargs)
        assert message in str(raised.value)
