"""Convolutions and padding against torch 2.13 (values and gradients, float64 and float32),
finite differences in float64 (first and second order), hypothesis over geometries, and the
errors torch raises."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nerve
import nerve.nn.functional as F
from nerve import nn

torch = pytest.importorskip("torch")

from parity import (  # noqa: E402
    DTYPE_IDS,
    DTYPES,
    check_function,
    check_module,
    check_second_order,
    gradcheck,
    gradgradcheck,
)

TF = torch.nn.functional
RNG = np.random.default_rng(0)


def _arrays(*shapes: tuple[int, ...]) -> list[np.ndarray]:
    return [RNG.standard_normal(shape) for shape in shapes]


CONV2D = {
    "plain": ((2, 3, 7, 6), (4, 3, 3, 3), {}),
    "stride-padding": ((2, 3, 7, 6), (4, 3, 3, 2), {"stride": 2, "padding": 1}),
    "dilation": ((1, 4, 9, 8), (6, 4, 3, 3), {"stride": (2, 1), "padding": (0, 2), "dilation": 2}),
    "groups": ((2, 4, 9, 8), (6, 2, 3, 3), {"groups": 2, "padding": 1, "dilation": (1, 2)}),
    "depthwise-same": ((2, 4, 6, 5), (8, 1, 3, 3), {"groups": 4, "padding": "same"}),
    "same-even-kernel": ((1, 2, 6, 5), (3, 2, 4, 2), {"padding": "same"}),
    "valid-1x1": ((2, 5, 4, 4), (3, 5, 1, 1), {"padding": "valid"}),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("case", list(CONV2D))
def test_conv2d_matches_torch(case: str, dtype: Any) -> None:
    x_shape, w_shape, options = CONV2D[case]
    x, w, b = _arrays(x_shape, w_shape, (w_shape[0],))
    check_function(F.conv2d, TF.conv2d, [x, w, b], dtype, grads=(0, 1, 2), **options)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize(
    "options",
    [
        {"stride": 2, "padding": 1, "output_padding": 1},
        {"stride": (2, 3), "padding": (1, 0), "groups": 2, "dilation": 2},
        # output padding of a stride or more, below the dilation (torch allows it)
        {"stride": 1, "padding": 2, "output_padding": 2, "dilation": 3},
        {"stride": (2, 1), "padding": (0, 1), "output_padding": (3, 1), "dilation": (4, 2)},
        {},
    ],
    ids=["stride-output-padding", "groups-dilation", "dilation-output-padding", "mixed", "plain"],
)
def test_conv_transpose2d_matches_torch(options: dict, dtype: Any) -> None:
    groups = options.get("groups", 1)
    x, w, b = _arrays((2, 4, 5, 6), (4, 3, 3, 2), (3 * groups,))
    check_function(F.conv_transpose2d, TF.conv_transpose2d, [x, w, b], dtype, (0, 1, 2), **options)


def test_conv1d_and_its_transpose_match_torch() -> None:
    x, w, b = _arrays((2, 4, 11), (6, 2, 3), (6,))
    options = {"stride": 2, "padding": 1, "dilation": 2, "groups": 2}
    check_function(F.conv1d, TF.conv1d, [x, w, b], np.float64, (0, 1, 2), **options)
    x, w, b = _arrays((2, 6, 7), (6, 2, 3), (4,))
    options = {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2}
    check_function(
        F.conv_transpose1d, TF.conv_transpose1d, [x, w, b], np.float64, (0, 1, 2), **options
    )


def test_unbatched_input() -> None:
    x, w = _arrays((3, 6, 6), (2, 3, 3, 3))
    check_function(F.conv2d, TF.conv2d, [x, w], np.float64, (0, 1), padding=1)


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("padding", [1, "same", (2, 1)], ids=["1", "same", "2-1"])
def test_conv2d_layer_padding_modes_match_torch(mode: str, padding: Any) -> None:
    nerve.manual_seed(0)
    ours = nn.Conv2d(4, 6, (3, 2), padding=padding, padding_mode=mode)
    theirs = torch.nn.Conv2d(4, 6, (3, 2), padding=padding, padding_mode=mode)
    check_module(ours, theirs, RNG.standard_normal((2, 4, 7, 6)))


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_layers_match_torch(dtype: Any) -> None:
    pairs = [
        (nn.Conv1d(3, 4, 3, stride=2, bias=False), torch.nn.Conv1d(3, 4, 3, stride=2, bias=False)),
        (nn.Conv2d(4, 8, 3, groups=4), torch.nn.Conv2d(4, 8, 3, groups=4)),
        (nn.ConvTranspose2d(4, 2, 2, stride=2), torch.nn.ConvTranspose2d(4, 2, 2, stride=2)),
    ]
    inputs = [(2, 3, 9), (2, 4, 6, 6), (2, 4, 3, 3)]
    for (ours, theirs), shape in zip(pairs, inputs):
        check_module(ours, theirs, RNG.standard_normal(shape), dtype)
        assert repr(ours).replace("nerve", "torch") == repr(theirs)


def test_default_initialisation_has_torchs_spread() -> None:
    nerve.manual_seed(0)
    layer = nn.Conv2d(16, 32, 5)
    bound = 1 / np.sqrt(16 * 25)  # kaiming-uniform with a = sqrt(5): U(+-1/sqrt(fan_in))
    weights = layer.weight.detach().numpy()
    assert np.abs(weights).max() <= bound and np.abs(weights).max() > 0.95 * bound
    assert np.abs(layer.bias.detach().numpy()).max() <= bound


def test_conv_transpose_output_size() -> None:
    layer = nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1)
    assert layer(nerve.zeros(1, 8, 5, 5), output_size=(10, 10)).shape == (1, 4, 10, 10)
    assert layer(nerve.zeros(1, 8, 5, 5)).shape == (1, 4, 9, 9)
    with pytest.raises(ValueError, match="valid sizes range from 9 to 10"):
        layer(nerve.zeros(1, 8, 5, 5), output_size=(12, 12))


@pytest.mark.parametrize("products", ["numpy", "mkl"])
@pytest.mark.parametrize("planar_max", [0, 1 << 30], ids=["channels-last", "planar"])
@pytest.mark.parametrize("case", list(CONV2D))
def test_both_window_layouts_match_torch(
    case: str, planar_max: int, products: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each layout of the windows (ops/conv_kernels.py), forced for every layer, forward and
    backward and the transposed convolution, with every product through NumPy or through MKL
    (each takes the weight's gradient in its own orientation); the tests above see whichever
    layout their few channels choose."""
    from nerve.backend import blas
    from nerve.ops import conv_kernels

    monkeypatch.setattr(conv_kernels, "PLANAR_MAX_CHANNELS", planar_max)
    if products == "numpy":
        monkeypatch.setattr(conv_kernels, "mkl_is_available", lambda: False)
        monkeypatch.setattr(blas, "MIN_WORK", 1 << 62)
    elif not blas.is_available():
        pytest.skip("MKL is not installed (pip install nerve[mkl])")
    else:
        monkeypatch.setattr(blas, "MIN_WORK", 1)
        monkeypatch.setitem(blas._state, "products", True)  # on any CPU
    x_shape, w_shape, options = CONV2D[case]
    x, w, b = _arrays(x_shape, w_shape, (w_shape[0],))
    check_function(F.conv2d, TF.conv2d, [x, w, b], np.float64, grads=(0, 1, 2), **options)
    transposed = {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2}
    xt, wt = _arrays((2, 4, 5, 6), (4, 3, 3, 2))
    check_function(
        F.conv_transpose2d, TF.conv_transpose2d, [xt, wt], np.float64, (0, 1), **transposed
    )
    w2 = RNG.standard_normal((3, 2, 3, 3))

    def loss(lib: Any, x: Any) -> Any:
        conv = nerve.nn.functional.conv2d if lib is nerve else TF.conv2d
        return (conv(x, lib.tensor(w2), padding=1).tanh() ** 2).sum()

    check_second_order(loss, RNG.standard_normal((2, 2, 5, 5)), RNG.standard_normal((2, 2, 5, 5)))


SHIFTED = {
    "padding": ((2, 16, 7, 6), (32, 16, 3, 3), {"padding": 1}),
    "dilated": ((2, 16, 9, 8), (16, 16, 3, 3), {"dilation": 2}),
    "uneven": ((2, 16, 6, 7), (32, 16, 2, 3), {"padding": (0, 1)}),
    "padding-past-the-kernel": ((1, 16, 3, 3), (32, 16, 3, 3), {"padding": 3}),
    "1x1-padded": ((2, 16, 4, 4), (32, 16, 1, 1), {"padding": 1}),
    "few-channels": ((3, 2, 6, 5), (3, 2, 3, 3), {"padding": 1}),
    "eight-channels-dilated": ((2, 8, 7, 6), (4, 8, 3, 2), {"padding": (2, 1), "dilation": 2}),
}


@pytest.mark.parametrize("case", list(SHIFTED))
def test_input_gradient_as_shifted_products_matches_torch(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The input's gradient as one GEMM per tap adding into shifted columns, or rows from
    ROWS_MIN_CHANNELS input channels (MKL, conv_kernels._shifted_input_gradient), forced for
    small layers; the transposed convolution (the same op forward) too. Spies assert that the
    path was really taken, in the orientation the channel count asks for."""
    from nerve.backend import blas
    from nerve.ops import conv_kernels

    if not blas.is_available():
        pytest.skip("MKL is not installed (pip install nerve[mkl])")
    monkeypatch.setattr(conv_kernels, "MIN_WORK", 0)
    calls: list[str] = []

    def spy(name: str) -> Any:
        real = getattr(conv_kernels, name)
        return lambda *args: calls.append(name) or real(*args)

    for name in ("add_shifted_product", "add_product_at_rows"):
        monkeypatch.setattr(conv_kernels, name, spy(name))
    x_shape, w_shape, options = SHIFTED[case]
    x, w = _arrays(x_shape, w_shape)
    for dtype in (np.float64, np.float32):
        check_function(F.conv2d, TF.conv2d, [x, w], dtype, grads=(0, 1), **options)
    rows = x_shape[1] >= conv_kernels.ROWS_MIN_CHANNELS
    expected = "add_product_at_rows" if rows else "add_shifted_product"
    assert calls.count(expected) >= 2 * w_shape[2] * w_shape[3]  # one per tap, per dtype
    assert len(set(calls)) == 1
    taken = len(calls)
    xt, wt = _arrays((2, 32, 5, 4), (32, 16, 3, 3))  # the gradient of a 16-channel input
    check_function(F.conv_transpose2d, TF.conv_transpose2d, [xt, wt], np.float64, (0, 1))
    assert calls[taken:].count("add_product_at_rows") >= 9


CHUNKED = {
    "plain": ((3, 3, 7, 6), (4, 3, 3, 3), {}),
    "stride-padding": ((3, 3, 7, 6), (4, 3, 3, 2), {"stride": 2, "padding": 1}),
    "dilation": ((3, 4, 9, 8), (6, 4, 3, 3), {"stride": (2, 1), "padding": (0, 2), "dilation": 2}),
    "same-even-kernel": ((3, 2, 6, 5), (3, 2, 4, 2), {"padding": "same"}),
    "padding-past-the-kernel": ((3, 2, 3, 3), (3, 2, 3, 3), {"padding": 3}),
}


def _spied(monkeypatch: pytest.MonkeyPatch, names: tuple[str, ...]) -> list[str]:
    """The names of ``conv_kernels``' functions ``names`` in the order they are called."""
    from nerve.ops import conv_kernels

    calls: list[str] = []
    for name in names:
        real = getattr(conv_kernels, name)
        monkeypatch.setattr(
            conv_kernels, name, lambda *a, real=real, name=name: calls.append(name) or real(*a)
        )
    return calls


def _check_chunked_case(case: str, calls: list[str], names: tuple[str, str]) -> None:
    """conv2d of CHUNKED[case] against torch (values and all three gradients, in float64 and
    float32), with ``calls`` showing that each dtype took the forward ``names[0]`` (and, when
    the input's gradient is itself a convolution, ``names[0]`` again) and the weight gradient
    ``names[1]``; then finite differences of first and second order."""
    x_shape, w_shape, options = CHUNKED[case]
    x, w, b = _arrays(x_shape, w_shape, (w_shape[0],))
    for dtype in (np.float64, np.float32):
        check_function(F.conv2d, TF.conv2d, [x, w, b], dtype, grads=(0, 1, 2), **options)
    # the input's gradient is a convolution at stride 1, unless padding passes the kernel
    convolution = options.get("stride", 1) == 1 and case != "padding-past-the-kernel"
    assert calls.count(names[0]) == 2 * (2 if convolution else 1)
    assert calls.count(names[1]) == 2
    tensors = [nerve.tensor(a, requires_grad=True) for a in (x, w)]

    def conv(x: nerve.Tensor, w: nerve.Tensor) -> nerve.Tensor:
        return F.conv2d(x, w, **options)

    assert gradcheck(conv, tensors)
    assert gradgradcheck(conv, tensors)


@pytest.mark.parametrize(
    "chunk", ["one-image", "two-output-images", "two-input-images"]
)  # (the input gradient's convolution has the input's size: two of its images and a rest)
@pytest.mark.parametrize("case", list(CHUNKED))
def test_windows_in_chunks_match_torch(
    case: str, chunk: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large channels-last layers copy and multiply their windows a few images at a time
    (ops/conv_chunks.py), forced here for small ones: the forward, both gradients (the input's
    as a convolution of the output's gradient, at stride 1), the transposed convolution, and
    finite differences of first and second order. Spies assert that the chunks were taken."""
    from nerve.ops import conv_chunks, conv_kernels

    monkeypatch.setattr(conv_kernels, "PLANAR_MAX_CHANNELS", 0)
    monkeypatch.setattr(conv_kernels, "CHUNKED_GRADIENT_MIN_CHANNELS", 0)
    monkeypatch.setattr(conv_chunks, "MIN_CHUNKED_BYTES", 0)
    names = ("convolve_in_chunks", "weight_gradient_in_chunks")
    calls = _spied(monkeypatch, names)
    x_shape, w_shape, options = CHUNKED[case]
    ho, wo = TF.conv2d(torch.zeros(x_shape), torch.zeros(w_shape), **options).shape[2:]
    pixels = {"one-image": 1, "two-output-images": 2 * ho * wo}
    monkeypatch.setattr(conv_chunks, "CHUNK_PIXELS", pixels.get(chunk, 2 * x_shape[2] * x_shape[3]))
    _check_chunked_case(case, calls, names)
    xt, wt = _arrays((3, 4, 5, 4), (4, 3, 3, 2))
    check_function(F.conv_transpose2d, TF.conv_transpose2d, [xt, wt], np.float64, (0, 1))


@pytest.mark.parametrize("case", list(CHUNKED))
def test_planar_windows_image_by_image_match_torch(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large layers with few input channels copy and multiply their planar windows one image
    at a time (ops/conv_chunks.PlanarChunks), forced here for small ones: the forward, both
    gradients (the input's as a convolution of the output's gradient, itself planar here, at
    stride 1), and finite differences of first and second order."""
    from nerve.ops import conv_chunks, conv_kernels

    monkeypatch.setattr(conv_kernels, "PLANAR_MAX_CHANNELS", 64)
    monkeypatch.setattr(conv_chunks, "MIN_CHUNKED_BYTES", 0)
    names = ("convolve_planar_in_chunks", "weight_gradient_planar_in_chunks")
    _check_chunked_case(case, _spied(monkeypatch, names), names)


PAIRED = {
    "c2-input-gradient": ((3, 16, 6, 6), (8, 16, 3, 3), {"padding": 1}),
    "valid-wide-kernel": ((2, 12, 5, 9), (3, 12, 2, 4), {}),
    "one-output-channel": ((2, 10, 4, 4), (1, 10, 3, 3), {"padding": 1}),
}


@pytest.mark.parametrize("case", list(PAIRED))
def test_few_output_channels_compute_pixel_pairs(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chunked convolution onto at most 8 channels at stride 1 computes two neighbouring
    pixels per row of windows (conv_chunks.pairs_pixels), forced here for small layers:
    values and gradients against torch in both dtypes (the input's gradient, a convolution
    onto the input's channels, paired too when they are few), finite differences."""
    from nerve.ops import conv_chunks, conv_kernels

    monkeypatch.setattr(conv_kernels, "PLANAR_MAX_CHANNELS", 0)
    monkeypatch.setattr(conv_kernels, "CHUNKED_GRADIENT_MIN_CHANNELS", 0)
    monkeypatch.setattr(conv_chunks, "MIN_CHUNKED_BYTES", 0)
    paired: list[bool] = []
    real = conv_chunks.pairs_pixels
    monkeypatch.setattr(
        conv_chunks, "pairs_pixels", lambda *a: paired.append(real(*a)) or paired[-1]
    )
    x_shape, w_shape, options = PAIRED[case]
    x, w, b = _arrays(x_shape, w_shape, (w_shape[0],))
    for dtype in (np.float64, np.float32):
        check_function(F.conv2d, TF.conv2d, [x, w, b], dtype, grads=(0, 1, 2), **options)
    assert paired[0] and paired.count(True) >= 2
    tensors = [nerve.tensor(a, requires_grad=True) for a in (x, w)]
    assert gradcheck(lambda x, w: F.conv2d(x, w, **options), tensors)


def test_pixel_pairs_are_not_taken_over_non_finite_values(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pair's weight is zero where a pixel's window ends, and 0 * inf is NaN: an input with
    an infinity takes the one-pixel rows, and every output matches torch's (NaN where a
    window holds the infinity against both signs of weight, finite elsewhere)."""
    from nerve.ops import conv_chunks, conv_kernels

    monkeypatch.setattr(conv_kernels, "PLANAR_MAX_CHANNELS", 0)
    monkeypatch.setattr(conv_chunks, "MIN_CHUNKED_BYTES", 0)
    x, w = _arrays((1, 10, 4, 6), (2, 10, 3, 3))
    x[0, 3, 1, 0] = np.inf
    assert not conv_chunks.pairs_pixels(x, w, conv_kernels.Geometry((1, 1), (0, 0), (1, 1), 1), 4)
    ours = F.conv2d(nerve.tensor(x), nerve.tensor(w)).numpy()
    theirs = TF.conv2d(torch.tensor(x), torch.tensor(w)).numpy()
    np.testing.assert_array_equal(np.isfinite(ours), np.isfinite(theirs))
    np.testing.assert_allclose(ours[np.isfinite(ours)], theirs[np.isfinite(theirs)], rtol=1e-10)


@pytest.mark.parametrize("shape", [(2, 20, 32, 32), (1, 9, 16, 64), (2, 12, 8, 8), (1, 8, 32, 32)])
def test_channels_last_copy_in_blocks_of_channels(shape: tuple[int, ...]) -> None:
    """Planes of 4 KiB or more with more than 8 channels (the first two: blocks of 8, a last
    one shorter) are copied 8 channels at a time, the others (small planes, or 8 channels) at
    once; all are the plain transposition, of a contiguous input and of a reversed view."""
    from nerve.ops.conv_chunks import channels_last_into

    for dtype in (np.float32, np.float64):
        for x in (RNG.standard_normal(shape).astype(dtype), RNG.standard_normal(shape)[..., ::-1]):
            x = x.astype(dtype, copy=False)
            out = np.empty((shape[0], shape[2], shape[3], shape[1]), dtype)
            channels_last_into(out, x)
            assert np.array_equal(out, x.transpose(0, 2, 3, 1))


def test_chunks_only_for_large_float_layers_without_groups() -> None:
    """Windows below MIN_CHUNKED_BYTES, groups, integer or mixed dtypes keep the one copy."""
    from nerve.ops.conv_chunks import MIN_CHUNKED_BYTES, in_chunks
    from nerve.ops.conv_kernels import Geometry

    same = Geometry((1, 1), (1, 1), (1, 1), 1)
    large = np.zeros((64, 32, 32, 32), np.float32)  # 75 MB of windows
    w = np.zeros((32, 32, 3, 3), np.float32)
    assert in_chunks(large, w, (3, 3), same)
    assert not in_chunks(large, w, (3, 3), Geometry((1, 1), (1, 1), (1, 1), 2))
    assert not in_chunks(large, w.astype(np.float64), (3, 3), same)
    assert not in_chunks(large.astype(np.int32), w.astype(np.int32), (3, 3), same)
    small = np.zeros((2, 32, 8, 8), np.float32)
    assert MIN_CHUNKED_BYTES > 2 * 8 * 8 * 9 * 32 * 4  # (the windows of the small batch)
    assert not in_chunks(small, w, (3, 3), same)


@pytest.mark.parametrize(
    "options", [{}, {"stride": 2}, {"groups": 4}, {"stride": (1, 2), "dilation": 3}]
)
def test_pointwise_convolutions_are_one_product_per_image(
    options: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 1x1 unpadded kernel reads the image itself, whatever its channels (planar windows,
    a view at stride 1), and its input gradient is the same product, never shifted GEMMs."""
    from nerve.ops import conv_kernels

    monkeypatch.setattr(conv_kernels, "MIN_WORK", 0)
    shifted = []
    monkeypatch.setattr(conv_kernels, "add_shifted_product", lambda *a: shifted.append(a))
    monkeypatch.setattr(conv_kernels, "add_product_at_rows", lambda *a: shifted.append(a))
    x, w = _arrays((2, 32, 5, 6), (16, 32 // options.get("groups", 1), 1, 1))
    for dtype in (np.float64, np.float32):
        check_function(F.conv2d, TF.conv2d, [x, w], dtype, grads=(0, 1), **options)
    assert not shifted
    geometry = conv_kernels.Geometry((1, 1), (0, 0), (1, 1), 1)
    assert conv_kernels.planar(32, (1, 1), geometry)
    assert not conv_kernels.planar(32, (1, 1), conv_kernels.Geometry((1, 1), (1, 1), (1, 1), 1))
    windows = conv_kernels.windows(x, (1, 1), geometry)
    assert np.shares_memory(windows, x)  # no copy at stride 1


def test_finite_differences_first_and_second_order() -> None:
    x, w, b = (
        nerve.tensor(a, requires_grad=True) for a in _arrays((1, 2, 5, 4), (4, 1, 2, 3), (4,))
    )

    def conv(x: nerve.Tensor, w: nerve.Tensor, b: nerve.Tensor) -> nerve.Tensor:
        return F.conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2), groups=2)

    assert gradcheck(conv, [x, w, b])
    assert gradgradcheck(conv, [x, w, b])
    wt = nerve.tensor(RNG.standard_normal((2, 3, 3, 2)), requires_grad=True)

    def transposed(x: nerve.Tensor, w: nerve.Tensor) -> nerve.Tensor:
        return F.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1)

    assert gradcheck(transposed, [x, wt])
    assert gradgradcheck(transposed, [x, wt])


def test_second_order_matches_torch() -> None:
    w = RNG.standard_normal((3, 2, 3, 3))

    def loss(lib: Any, x: Any) -> Any:
        conv = nerve.nn.functional.conv2d if lib is nerve else TF.conv2d
        return (conv(x, lib.tensor(w), padding=1).tanh() ** 2).sum()

    check_second_order(loss, RNG.standard_normal((2, 2, 5, 5)), RNG.standard_normal((2, 2, 5, 5)))


@settings(max_examples=25, deadline=None)
@given(
    st.integers(1, 2),
    st.integers(1, 3),
    st.integers(1, 3),
    st.tuples(st.integers(1, 3), st.integers(1, 3)),
    st.tuples(st.integers(1, 2), st.integers(1, 2)),
    st.tuples(st.integers(0, 2), st.integers(0, 2)),
    st.tuples(st.integers(1, 2), st.integers(1, 2)),
    st.tuples(st.integers(5, 8), st.integers(5, 8)),
)
def test_random_geometries_match_torch(
    batch: int,
    groups: int,
    per_group: int,
    kernel: tuple[int, int],
    stride: tuple[int, int],
    padding: tuple[int, int],
    dilation: tuple[int, int],
    size: tuple[int, int],
) -> None:
    channels = groups * per_group
    x, w, b = _arrays((batch, channels, *size), (2 * groups, per_group, *kernel), (2 * groups,))
    options = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
    check_function(F.conv2d, TF.conv2d, [x, w, b], np.float64, (0, 1, 2), **options)


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_matches_torch(mode: str) -> None:
    x, line = _arrays((2, 3, 5, 6), (3, 6))
    for widths in [(1, 2, 2, 1), (0, 3, 1, 0)]:
        check_function(F.pad, TF.pad, [x], np.float64, (0,), pad=widths, mode=mode)
    check_function(F.pad, TF.pad, [line], np.float64, (0,), pad=(2, 1), mode=mode)
    if mode == "constant":
        check_function(F.pad, TF.pad, [x], np.float64, (0,), pad=(-1, 2, 0, -2), value=1.5)
        check_function(F.pad, TF.pad, [x], np.float64, (0,), pad=(1, 1, 1, 1, 1, 1))


def test_pad_second_order() -> None:
    x = nerve.tensor(RNG.standard_normal((1, 2, 4, 3)), requires_grad=True)
    assert gradgradcheck(lambda t: F.pad(t, (1, 2, 2, 1), mode="reflect") ** 2, [x])
    assert gradgradcheck(lambda t: F.pad(t, (1, -1, 0, 2)) ** 2, [x])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: F.conv2d(nerve.zeros(1, 1, 8, 8), nerve.zeros(16, 3, 3, 3)), "to have 3 channels"),
        (lambda: F.conv2d(nerve.zeros(8, 8), nerve.zeros(1, 1, 3, 3)), "3D \\(unbatched\\) or 4D"),
        (lambda: F.conv2d(nerve.zeros(1, 1, 2, 2), nerve.zeros(1, 1, 3, 3)), "smaller than"),
        (
            lambda: F.conv2d(nerve.zeros(1, 1, 5, 5), nerve.zeros(1, 1, 3, 3), padding="full"),
            "valid",
        ),
        (
            lambda: F.conv2d(nerve.zeros(1, 1, 5, 5), nerve.zeros(1, 1, 3, 3).double()),
            "same dtype",
        ),
        (lambda: F.pad(nerve.zeros(1, 2, 3), (3, 0), mode="reflect"), "too large"),
        (lambda: F.pad(nerve.zeros(1, 2, 3, 3), (1, 1), mode="reflect"), "not supported for a 4-D"),
        (lambda: nn.Conv2d(3, 4, 3, groups=2), "divisible by groups"),
        (lambda: nn.Conv2d(3, 4, 3, padding_mode="mirror"), "padding_mode must be one of"),
        (lambda: nn.Conv2d(3, 4, 3, stride=2, padding="same"), "not supported for strided"),
        (
            lambda: F.conv_transpose2d(
                nerve.zeros(1, 2, 5, 5), nerve.zeros(2, 3, 3, 3), stride=2, output_padding=2
            ),
            "smaller than either the stride \\(2, 2\\) or the dilation \\(1, 1\\)",
        ),
    ],
    ids=[
        "channels",
        "dims",
        "too-small",
        "padding-string",
        "dtype",
        "reflect-size",
        "pad-dims",
        "groups",
        "padding-mode",
        "same-strided",
        "output-padding",
    ],
)
def test_errors_name_what_was_wrong(call: Any, message: str) -> None:
    with pytest.raises((RuntimeError, ValueError), match=message):
        call()


def test_a_small_cnn_trains() -> None:
    nerve.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 2)
    )
    x = nerve.randn(16, 1, 6, 6)
    y = (x[:, 0, :3].sum(dim=(1, 2)) > x[:, 0, 3:].sum(dim=(1, 2))).long()
    optimizer = nerve.optim.Adam(model.parameters(), lr=0.01)
    losses = []
    for _ in range(40):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0]


EMPTY_BATCH = {
    "conv2d-planar": (lambda nn: nn.Conv2d(2, 3, 3, padding=1), (0, 2, 5, 5)),
    "conv2d-channels-last": (lambda nn: nn.Conv2d(16, 4, 3), (0, 16, 5, 5)),
    "conv2d-groups": (lambda nn: nn.Conv2d(4, 4, 3, groups=2), (0, 4, 5, 5)),
    "conv1d": (lambda nn: nn.Conv1d(2, 3, 3), (0, 2, 7)),
    "conv-transpose2d": (lambda nn: nn.ConvTranspose2d(2, 3, 3, stride=2), (0, 2, 4, 4)),
    "max-pool2d": (lambda nn: nn.MaxPool2d(2), (0, 2, 4, 4)),
    "avg-pool2d": (lambda nn: nn.AvgPool2d(2), (0, 2, 4, 4)),
    "unfold": (lambda nn: nn.Unfold(2), (0, 2, 4, 4)),
    "fold": (lambda nn: nn.Fold((4, 4), 2), (0, 8, 9)),
    "group-norm": (lambda nn: nn.GroupNorm(2, 4), (0, 4, 3, 3)),
}


@pytest.mark.filterwarnings("error::RuntimeWarning")  # no NumPy warning about empty slices
@pytest.mark.parametrize("case", list(EMPTY_BATCH))
def test_an_empty_batch_matches_torch(case: str) -> None:
    """A batch of no images (the last, empty batch of a filtered loader, say): the output's
    shape, and zero gradients of the right shapes, as torch gives them."""
    make, shape = EMPTY_BATCH[case]
    ours, theirs = make(nn), make(torch.nn)
    for mine, reference in zip(ours.parameters(), theirs.parameters()):
        mine.data = nerve.tensor(reference.detach().numpy())
    x, tx = nerve.zeros(*shape, requires_grad=True), torch.zeros(shape, requires_grad=True)
    out, expected = ours(x), theirs(tx)
    assert tuple(out.shape) == tuple(expected.shape)
    out.sum().backward()
    expected.sum().backward()
    assert tuple(x.grad.shape) == tuple(tx.grad.shape)
    for mine, reference in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_array_equal(mine.grad.numpy(), reference.grad.numpy())
