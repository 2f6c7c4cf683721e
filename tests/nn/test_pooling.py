"""Pooling (max, average, adaptive, unpooling) and unfold/fold against torch 2.13: values and
gradients in float64 and float32, torch's indices, finite differences of every op in float64
(first and second order), second derivatives against torch, hypothesis over window
geometries, the layers' reprs, and torch's errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

import torch.nn.functional as TF  # noqa: E402

import nerve  # noqa: E402
import nerve.nn.functional as F  # noqa: E402
from nerve import nn  # noqa: E402
from parity import (  # noqa: E402
    DTYPE_IDS,
    DTYPES,
    check_function,
    check_module,
    check_second_order,
    gradcheck,
    gradgradcheck,
)

RNG = np.random.default_rng(0)
IMAGE = RNG.standard_normal((2, 3, 7, 6))
RELU_IMAGE = np.maximum(IMAGE, 0)  # many ties (zeros): the first maximum takes the gradient
# 6x6 with values from {0, 1, 2}: windows of 2, 3 and (2, 3) tile it exactly (the two-stage
# kernel in ops/pool.py), with ties within rows, across rows and whole windows
TILED_IMAGE = RNG.integers(0, 3, (2, 3, 6, 6)).astype(np.float64)
SEQUENCE = RNG.standard_normal((2, 3, 9))

MAX_POOLS = [
    {"kernel_size": 2},
    {"kernel_size": 3, "stride": 2, "padding": 1},
    {"kernel_size": 3, "stride": 1, "padding": 1, "dilation": 2},
    {"kernel_size": (2, 3), "ceil_mode": True},
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
]
AVG_POOLS = [
    {"kernel_size": 2},
    {"kernel_size": 3, "stride": 2, "padding": 1},
    {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False},
    {"kernel_size": (2, 3), "padding": 1, "ceil_mode": True},
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False},
    {"kernel_size": 2, "divisor_override": 3},
]
ADAPTIVE_SIZES = [1, 2, (3, 4), (5, 4), (7, None)]
UNFOLDS = [
    {"kernel_size": 2},
    {"kernel_size": (2, 3), "padding": 1, "stride": 2, "dilation": (1, 2)},
]


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("image", [IMAGE, RELU_IMAGE, TILED_IMAGE], ids=["randn", "relu", "ties"])
@pytest.mark.parametrize("kwargs", MAX_POOLS + [{"kernel_size": 3}], ids=str)
def test_max_pool2d(kwargs, image, dtype):
    check_function(F.max_pool2d, TF.max_pool2d, [image], dtype, **kwargs)
    _, got = F.max_pool2d(nerve.tensor(image), return_indices=True, **kwargs)
    _, want = TF.max_pool2d(torch.tensor(image), return_indices=True, **kwargs)
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    assert got.dtype == nerve.int64


@pytest.mark.parametrize("kernel", [1, (1, 2), (2, 1), 3, (3, 2)], ids=str)
def test_tiled_max_pool_on_views_and_unbatched_images(kernel):
    """The tiling kernel (ops/pool.py) reads the image flattened: a transposed view and a 3-D
    image give torch's values, and a 1x1 pool returns a new array, never the input's memory."""
    views = [TILED_IMAGE, TILED_IMAGE.transpose(0, 1, 3, 2), TILED_IMAGE[0]]
    for image in views:
        got = F.max_pool2d(nerve.tensor(image), kernel)._data
        want = TF.max_pool2d(torch.tensor(np.ascontiguousarray(image)), kernel).numpy()
        np.testing.assert_array_equal(got, want)
        assert not np.shares_memory(got, image)


@pytest.mark.parametrize("kernel", [(2, 2), (2, 3), (3, 1), (1, 4), (3, 3)], ids=str)
def test_tiled_max_is_the_running_maximum_over_the_taps_bit_for_bit(kernel):
    """The two-stage kernel (each position against its right-hand neighbours over the flat
    image, then every kw-th of those over the rows) takes the same maxima in the same order as
    a running ``maximum`` over the window's taps in scan order: the same bits where -0.0 and
    0.0 tie and where NaNs are, in float32 and float64."""
    from nerve.ops.pool import tiled_max

    kh, kw = kernel
    for dtype in (np.float32, np.float64):
        image = RNG.choice([-0.0, 0.0, -1.0, np.nan, 2.0], size=(3, 2, 6 * kh, 4 * kw))
        image = image.astype(dtype)
        n, c, h, w = image.shape
        windows = image.reshape(n, c, h // kh, kh, w // kw, kw)
        want = windows[:, :, :, 0, :, 0]
        for i in range(kh):
            row = windows[:, :, :, i, :, 0]
            for j in range(1, kw):
                row = np.maximum(row, windows[:, :, :, i, :, j])
            want = row if i == 0 else np.maximum(want, row)
        assert tiled_max(image, kernel).tobytes() == np.ascontiguousarray(want).tobytes()


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("kwargs", AVG_POOLS, ids=str)
def test_avg_pool2d(kwargs, dtype):
    check_function(F.avg_pool2d, TF.avg_pool2d, [IMAGE], dtype, **kwargs)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("size", ADAPTIVE_SIZES, ids=str)
def test_adaptive_pools(size, dtype):
    check_function(F.adaptive_avg_pool2d, TF.adaptive_avg_pool2d, [IMAGE], dtype, output_size=size)
    check_function(
        F.adaptive_max_pool2d, TF.adaptive_max_pool2d, [RELU_IMAGE], dtype, output_size=size
    )
    _, got = F.adaptive_max_pool2d(nerve.tensor(RELU_IMAGE), size, return_indices=True)
    _, want = TF.adaptive_max_pool2d(torch.tensor(RELU_IMAGE), size, return_indices=True)
    np.testing.assert_array_equal(got.numpy(), want.numpy())


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_one_dimensional_pools(dtype):
    window = {"kernel_size": 3, "stride": 2, "padding": 1}
    check_function(F.max_pool1d, TF.max_pool1d, [SEQUENCE], dtype, **window)
    check_function(F.avg_pool1d, TF.avg_pool1d, [SEQUENCE], dtype, **window)
    check_function(F.adaptive_avg_pool1d, TF.adaptive_avg_pool1d, [SEQUENCE], dtype, output_size=4)
    check_function(F.adaptive_max_pool1d, TF.adaptive_max_pool1d, [SEQUENCE], dtype, output_size=4)
    check_function(F.max_pool2d, TF.max_pool2d, [IMAGE[0]], dtype, kernel_size=2)  # unbatched


def test_nan_is_the_maximum_and_takes_the_gradient():
    x = np.array([[[[1.0, np.nan, 3.0, np.nan], [0.0, 2.0, 5.0, 1.0]]]])
    check_function(F.max_pool2d, TF.max_pool2d, [x], kernel_size=2)
    check_function(F.adaptive_max_pool2d, TF.adaptive_max_pool2d, [x], output_size=1)


@pytest.mark.parametrize(
    "kwargs",
    [{"kernel_size": 2}, {"kernel_size": (2, 4)}, {"kernel_size": 3, "stride": 1, "padding": 1}],
    ids=["tiled", "tiled-2x4", "sliding"],
)
def test_non_finite_gradients_reach_only_the_chosen_position(kwargs):
    # a product by a 0/1 mask would put 0 * inf = NaN where torch writes 0
    x = RELU_IMAGE[..., :4, :4]
    got, want = nerve.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out = TF.max_pool2d(want, **kwargs)
    g = RNG.standard_normal(tuple(out.shape))
    g[0, 0, 0, 0], g[0, 1, 0, 0], g[1, 2, -1, -1] = np.inf, np.nan, -np.inf
    out.backward(torch.tensor(g))
    F.max_pool2d(got, **kwargs).backward(nerve.tensor(g))
    np.testing.assert_allclose(got.grad.numpy(), want.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("kwargs", [{"kernel_size": 2}, {"kernel_size": 3, "padding": 1}])
def test_half_precision_gradients_route_without_warnings(kwargs):
    # float16's squares overflow early: the finiteness test must neither warn nor misroute
    x = RNG.standard_normal((2, 3, 8, 8)).astype(np.float16) * 300
    got = nerve.tensor(x, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = F.max_pool2d(got, **kwargs)
        out.backward(nerve.ones(*out.shape, dtype=nerve.float16) * 100)
    want = torch.tensor(x.astype(np.float32), requires_grad=True)
    TF.max_pool2d(want, **kwargs).backward(torch.full(tuple(out.shape), 100.0))
    np.testing.assert_array_equal(got.grad.numpy().astype(np.float32), want.grad.numpy())


@settings(max_examples=40, deadline=None)
@given(
    kh=st.integers(1, 4),
    kw=st.sampled_from([1, 2, 3, 4, 8]),
    ho=st.integers(1, 4),
    wo=st.sampled_from([1, 2, 3, 5, 8, 9, 14, 32, 33]),
    float32=st.booleans(),
)
def test_whole_image_choice_equals_the_per_tap_one(kh, kw, ho, wo, float32):
    """TiledChoice (whole-image comparisons, ops/pool_select.py) picks exactly the positions
    WindowChoice (one comparison per tap, torch's order) picks, on images full of ties, and
    routes gradients both ways bit for bit; it declines what it does not handle."""
    from nerve.ops.pool import tiled_max
    from nerve.ops.pool_select import TiledChoice, WindowChoice
    from nerve.ops.pool_window import Window

    dtype = np.float32 if float32 else np.float64
    x = RNG.integers(0, 3, (2, 3, ho * kh, wo * kw)).astype(dtype)
    window = Window((kh, kw), (kh, kw), (0, 0))
    out = tiled_max(x, (kh, kw))
    ours, per_tap = TiledChoice.of(x, out, window), WindowChoice.of(x, out, window)
    if kw == 3 or wo > 32:
        assert ours is None
        return
    g = RNG.standard_normal(out.shape).astype(dtype)
    h = RNG.standard_normal(x.shape).astype(dtype)
    np.testing.assert_array_equal(ours.scatter(g), per_tap.scatter(g))
    np.testing.assert_array_equal(ours.gather(h), per_tap.gather(h))
    x[0, 0, 0, 0] = np.nan  # a NaN window is WindowChoice's
    assert TiledChoice.of(x, tiled_max(x, (kh, kw)), window) is None


@pytest.mark.parametrize("wo", [1, 7, 8, 9, 14, 16])
@pytest.mark.parametrize("kh,kw", [(1, 2), (2, 2), (3, 2), (2, 1), (2, 4)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_values_spread_over_their_windows(wo, kh, kw, dtype):
    """Each pooled value (or gradient) copied over its window, whichever way it is done (a 0/1
    product, or float32's bits copied on long rows of 2-wide windows); the bit copy is exact
    for NaN, infinities and the sign of zero too."""
    from nerve.ops.pool_select import MIN_COPIED_WIDTH, _spread_over_windows

    values = RNG.standard_normal((6, wo)).astype(dtype)
    want = np.repeat(np.repeat(values, kw, axis=1)[:, None, :], kh, axis=1).reshape(6, -1)
    np.testing.assert_array_equal(_spread_over_windows(values, kh, kw), want)
    if dtype == np.float32 and kw == 2 and wo >= MIN_COPIED_WIDTH:
        values[0, :4] = [np.nan, np.inf, -np.inf, -0.0]
        values[1, 0] = np.float32(1e-45)  # a subnormal
        values = values[:, ::-1]  # not contiguous
        want = np.repeat(np.repeat(values, kw, axis=1)[:, None, :], kh, axis=1).reshape(6, -1)
        got = _spread_over_windows(values, kh, kw)
        np.testing.assert_array_equal(got.view(np.uint32), want.view(np.uint32))


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_max_unpool2d(dtype):
    values, indices = TF.max_pool2d(torch.tensor(IMAGE), 2, return_indices=True)
    for size in (None, (7, 6)):
        check_function(
            F.max_unpool2d,
            TF.max_unpool2d,
            [values.numpy(), indices.numpy()],
            dtype,
            kernel_size=2,
            output_size=size,
        )


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("kwargs", UNFOLDS, ids=str)
def test_unfold_and_fold(kwargs, dtype):
    check_function(F.unfold, TF.unfold, [IMAGE], dtype, **kwargs)
    blocks = TF.unfold(torch.tensor(IMAGE), **kwargs).numpy()
    check_function(F.fold, TF.fold, [blocks], dtype, output_size=(7, 6), **kwargs)
    check_function(F.fold, TF.fold, [blocks[0]], dtype, output_size=(7, 6), **kwargs)


SMALL = RNG.standard_normal((1, 2, 5, 4))


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: F.max_pool2d(x, 2),
        lambda x: F.max_pool2d(x[..., :4, :], 2),  # windows that tile: the two-stage kernel
        lambda x: F.max_pool2d(x, 3, stride=2, padding=1, ceil_mode=True),
        lambda x: F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False),
        lambda x: F.avg_pool2d(x, 2, ceil_mode=True),
        lambda x: F.adaptive_max_pool2d(x, (3, 3)),
        lambda x: F.adaptive_avg_pool2d(x, (3, 3)),
        lambda x: F.unfold(x, 2, padding=1),
        lambda x: F.fold(F.unfold(x, 2, stride=1), (5, 4), 2),
        lambda x: F.max_unpool2d(*F.max_pool2d(x, 2, return_indices=True), 2),
    ],
    ids=[
        "max",
        "max-tiled",
        "max-ceil",
        "avg-exclusive",
        "avg-ceil",
        "adaptive-max",
        "adaptive-avg",
        "unfold",
        "fold",
        "unpool",
    ],
)
def test_finite_differences(fn):
    x = nerve.tensor(SMALL + RNG.standard_normal(SMALL.shape) * 1e-3, requires_grad=True)
    assert gradcheck(fn, [x])
    assert gradgradcheck(fn, [x])


@pytest.mark.parametrize(
    "pool",
    [
        lambda lib, x: lib.nn.functional.max_pool2d(x, 3, stride=2, padding=1),
        lambda lib, x: lib.nn.functional.avg_pool2d(x, 3, stride=2, padding=1),
        lambda lib, x: lib.nn.functional.adaptive_max_pool2d(x, 3),
        lambda lib, x: lib.nn.functional.unfold(x, 2),
    ],
    ids=["max", "avg", "adaptive-max", "unfold"],
)
def test_second_derivatives_against_torch(pool):
    def loss(lib, x):
        return (pool(lib, x * x) ** 2).sum()

    check_second_order(loss, IMAGE, RNG.standard_normal(IMAGE.shape))


@settings(max_examples=25, deadline=None)
@given(
    h=st.integers(1, 7),
    w=st.integers(1, 7),
    k=st.integers(1, 3),
    s=st.integers(1, 3),
    p=st.integers(0, 1),
    d=st.integers(1, 2),
    ceil=st.booleans(),
)
def test_window_geometries(h, w, k, s, p, d, ceil):
    x = RNG.standard_normal((1, 2, h, w))
    kwargs = {"kernel_size": k, "stride": s, "padding": p, "ceil_mode": ceil}
    try:
        want = TF.max_pool2d(torch.tensor(x), dilation=d, **kwargs)
    except RuntimeError as error:
        with pytest.raises(RuntimeError) as ours:
            F.max_pool2d(nerve.tensor(x), dilation=d, **kwargs)
        assert str(error).split(",")[0] in str(ours.value)
        return
    assert tuple(F.max_pool2d(nerve.tensor(x), dilation=d, **kwargs).shape) == tuple(want.shape)
    # a dilated window can read only padding (its maximum is -inf); torch then sends the
    # gradient to an unrelated position of the input, which is not worth copying
    assume(bool(torch.isfinite(want).all()))
    check_function(F.max_pool2d, TF.max_pool2d, [np.maximum(x, 0)], dilation=d, **kwargs)
    check_function(F.avg_pool2d, TF.avg_pool2d, [x], **kwargs)


LAYERS = [
    (lambda m: m.MaxPool2d(2), (2, 3, 6, 6)),
    (lambda m: m.MaxPool2d(3, 2, 1, ceil_mode=True), (2, 3, 7, 7)),
    (lambda m: m.MaxPool1d(3, 2, 1), (2, 3, 9)),
    (lambda m: m.AvgPool2d(3, 2, 1, count_include_pad=False), (2, 3, 7, 7)),
    (lambda m: m.AvgPool1d(3), (2, 3, 9)),
    (lambda m: m.AdaptiveAvgPool2d((2, None)), (2, 3, 5, 4)),
    (lambda m: m.AdaptiveAvgPool1d(4), (2, 3, 9)),
    (lambda m: m.AdaptiveMaxPool2d(3), (2, 3, 7, 7)),
    (lambda m: m.AdaptiveMaxPool1d(4), (2, 3, 9)),
    (lambda m: m.Unfold(2, padding=1), (2, 3, 4, 4)),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("make, shape", LAYERS, ids=lambda v: "" if callable(v) else str(v))
def test_layers(make, shape, dtype):
    ours, theirs = make(nn), make(torch.nn)
    assert repr(ours) == repr(theirs)
    check_module(ours, theirs, RNG.standard_normal(shape), dtype)


def test_layers_with_indices_and_fold():
    pooled, indices = nn.MaxPool2d(2, return_indices=True)(nerve.tensor(IMAGE))
    want, want_indices = torch.nn.MaxPool2d(2, return_indices=True)(torch.tensor(IMAGE))
    np.testing.assert_array_equal(indices.numpy(), want_indices.numpy())
    unpool = nn.MaxUnpool2d(2)
    assert repr(unpool) == repr(torch.nn.MaxUnpool2d(2))
    got = unpool(pooled, indices, output_size=(7, 6))
    np.testing.assert_array_equal(
        got.numpy(), torch.nn.MaxUnpool2d(2)(want, want_indices, output_size=(7, 6)).numpy()
    )
    fold, blocks = nn.Fold((4, 5), 2), RNG.standard_normal((2, 12, 12))
    assert repr(fold) == repr(torch.nn.Fold((4, 5), 2))
    check_module(fold, torch.nn.Fold((4, 5), 2), blocks)


ERRORS = [
    (lambda f, x: f.max_pool2d(x, 2, padding=2), "pad should be at most half"),
    (lambda f, x: f.max_pool2d(x, 3, dilation=2, padding=2), "pad should be smaller than"),
    (lambda f, x: f.max_pool2d(x, 9), "Output size is too small"),
    (lambda f, x: f.max_pool2d(x, 0, 1), "kernel size should be greater than zero"),
    (lambda f, x: f.max_pool2d(x, 2, stride=0), "stride should not be zero"),
    (lambda f, x: f.max_pool2d(x, 2, dilation=0), "dilation should be greater than zero"),
    (lambda f, x: f.max_pool2d(x, 2, padding=-1), "pad must be non-negative"),
    (lambda f, x: f.max_pool2d(x[0, 0, 0], 2), "non-empty 3D or 4D"),
    (lambda f, x: f.avg_pool2d(x, 2, divisor_override=0), "divisor must be not zero"),
    (lambda f, x: f.max_pool1d(x, 2), "max_pool1d: Expected 2D or 3D"),
    (lambda f, x: f.avg_pool1d(x, 2), "Expected 2 to 3 dimensions"),
    (lambda f, x: f.adaptive_avg_pool2d(x[0, 0, 0], 2), "Expected 3D or 4D tensor"),
    (lambda f, x: f.unfold(x, 9), "calculated shape of the array of sliding blocks"),
    (lambda f, x: f.fold(x.reshape(1, 5, 15), 3, 2), "divisible by the product"),
    (lambda f, x: f.fold(x[0, 0, :4, :5].reshape(1, 4, 5), 3, 2), "calculated number of"),
]


@pytest.mark.parametrize("call, message", ERRORS, ids=[m for _, m in ERRORS])
def test_errors_as_torch(call, message):
    x = RNG.standard_normal((1, 3, 5, 5))
    with pytest.raises(Exception) as theirs:
        call(TF, torch.tensor(x))
    with pytest.raises(type(theirs.value)) as ours:
        call(F, nerve.tensor(x))
    assert message in str(theirs.value) and message in str(ours.value)


def test_max_unpool2d_errors_as_torch():
    values = nerve.ones(1, 1, 2, 2)
    with pytest.raises(RuntimeError, match="invalid max index: 100"):
        F.max_unpool2d(values, nerve.full((1, 1, 2, 2), 100, dtype=nerve.int64), 2)
    with pytest.raises(RuntimeError, match="should be type int64"):
        F.max_unpool2d(values, nerve.zeros(1, 1, 2, 2, dtype=nerve.int32), 2)
    with pytest.raises(ValueError, match="invalid output_size"):
        F.max_unpool2d(values, nerve.zeros(1, 1, 2, 2, dtype=nerve.int64), 2, output_size=(9, 9))


@pytest.mark.parametrize("rows", [5, 4], ids=["sliding", "tiled"])
def test_third_order_through_the_max_pool_gradient(rows):
    # The max pool's gradient is PoolScatter(g); its own gradient is PoolGather, reached when
    # the gradient is differentiated twice (finite differences of first and second order).
    # With 4 rows the 2x2 windows tile the image (two-stage forward), with 5 they do not.
    x = nerve.tensor((SMALL + RNG.standard_normal(SMALL.shape) * 1e-3)[..., :rows, :])

    def pooled_gradient(h):
        with nerve.enable_grad():  # gradcheck evaluates without recording
            x_ = x.detach().requires_grad_(True)
            out = nerve.nn.functional.max_pool2d(x_, 2)
            (grad,) = nerve.autograd.grad(out, x_, grad_outputs=h, create_graph=True)
        return grad

    h = nerve.tensor(RNG.standard_normal(tuple(pooled_gradient_shape(x))), requires_grad=True)
    assert gradcheck(pooled_gradient, [h])
    assert gradgradcheck(pooled_gradient, [h])

    def gradient_of_the_gradient(v):  # PoolGather(v): the adjoint of PoolScatter
        with nerve.enable_grad():
            h_ = h.detach().requires_grad_(True)
            (back,) = nerve.autograd.grad(pooled_gradient(h_), h_, v, create_graph=True)
        return back

    v = nerve.tensor(RNG.standard_normal(tuple(x.shape)), requires_grad=True)
    assert gradcheck(gradient_of_the_gradient, [v])


def pooled_gradient_shape(x):
    return nerve.nn.functional.max_pool2d(x, 2).shape
