"""The array kernels of the convolutions (ops/conv.py): windows copied out of an image, one
matrix product per layer, and the two gradients.

A convolution's output pixel is a weighted sum of a kh x kw window of every input channel
(of its group). Copying all windows into one array (im2col) turns a layer into matrix
products. Two layouts of that copy are used, each where it measured fastest on this project's
CPU benchmarks (benchmarks/cnn.py):

* **planar** (images with few channels per group, at most :data:`PLANAR_MAX_CHANNELS`): the
  windows of each image as a (C/G * kh * kw, Ho * Wo) matrix, so that the product with the
  (O/G, C/G * kh * kw) weight is already the (N, O, Ho, Wo) output. The copy moves whole
  image rows (runs of Wo values) and the weight is used as it is stored. On a one-channel
  28x28 batch this is 4x faster than channels-last, whose copy would move one value at a time.
* **channels-last** (many channels): an image (N, C, H, W) read as (N, H, W, C), each window's
  values in (kh, kw, C) order, and the layer one tall (N * Ho * Wo, K) @ (K, O) product, which
  BLAS runs faster than N short ones once K is in the hundreds (1.4x on 32 channels of 32x32).

Both give the same numbers up to the order of float additions. Large channels-last layers
copy and multiply their windows a few images at a time (ops/conv_chunks.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..backend.blas import (
    MIN_WORK,
    add_product_at_rows,
    add_shifted_product,
    matmul2d,
    products_on_mkl,
)
from ..backend.blas import is_available as mkl_is_available
from ..backend.device import xp_of
from ..backend.layout import in_layout, prefers_channels_last
from .conv_chunks import (
    channels_last_into,
    convolve_in_chunks,
    convolve_planar_in_chunks,
    in_chunks,
    weight_gradient_in_chunks,
    weight_gradient_planar_in_chunks,
)

# The largest number of input channels per group read with the planar layout (the next
# measured point, 16 channels, was faster channels-last; 8 was even for the forward and
# faster planar for the weight's gradient).
PLANAR_MAX_CHANNELS = 8
# The fewest input channels for which the shifted input gradient lays positions out as rows.
# Measured on an AMD EPYC, one thread, the two ways alternating in one process: the whole
# gradient of C3's 32 -> 32 layer 35.5 ms as columns, 33.2 as rows (its tap products alone
# 34 and 25: the rows' layout costs more to copy); its 32 -> 64 layer 11.4 and 10.1 ms; a
# C1-size 16 -> 16 one 0.33 and 0.31 ms. With C2's 8 input channels the products as rows
# were 2.5x slower (a GEMM C columns wide).
ROWS_MIN_CHANNELS = 16
# The fewest input channels whose large input gradient is the convolution of the output's
# gradient copied a chunk at a time rather than shifted products (one thread, AMD EPYC: C2's
# 16 -> 8 gradient 1.2 -> 0.84 ms, C3's 32 -> 32 35.9 -> 23.2; but onto C3's 3 input channels,
# a product 3 columns wide, 5.5 -> 9.6 ms). Without MKL there are no shifted products, and that
# convolution is chunked whatever the channels (the 3-channel one: 21.3 ms at once, 6.8 in
# chunks).
CHUNKED_GRADIENT_MIN_CHANNELS = 8


@dataclass(frozen=True)
class Geometry:
    """How a kernel slides: ``stride``, zero ``padding`` on each side, ``dilation`` (the gap
    between the kernel's taps) per spatial dimension, and ``groups`` of channels."""

    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: tuple[int, int]
    groups: int

    def out_size(self, size: tuple[int, int], kernel: tuple[int, int]) -> tuple[int, int]:
        """The output's height and width for an input of ``size``."""
        return tuple(  # type: ignore[return-value]
            (n + 2 * p - d * (k - 1) - 1) // s + 1
            for n, p, d, k, s in zip(size, self.padding, self.dilation, kernel, self.stride)
        )


def planar(channels: int, kernel: tuple[int, int], geometry: Geometry) -> bool:
    """Whether windows of an image with ``channels`` are read in the planar layout: few
    channels per group, or a pointwise (1x1, unpadded) kernel, whose planar windows are the
    image itself (a view, or with a stride one copy) and whose product is then one matrix
    product per image. Measured on C3's 64x32x32x32 map, 32 -> 64 channels: forward 13.3 ->
    4.2 ms, weight gradient 17.5 -> 5.4, input gradient 20.0 -> 4.9 (against channels-last)."""
    return pointwise(kernel, geometry) or channels // geometry.groups <= PLANAR_MAX_CHANNELS


def pointwise(kernel: tuple[int, int], geometry: Geometry) -> bool:
    """Whether the kernel is 1x1 and unpadded: each output pixel reads one input pixel."""
    return tuple(kernel) == (1, 1) and geometry.padding == (0, 0)


def _zero_padded(x: Any, padding: tuple[int, int], channels_last: bool) -> Any:
    """``x`` (N, C, H, W) with ``padding`` zeros around each plane; channels-last memory (seen
    as (N, H, W, C)) when asked, else as it is (a copy only when there is padding)."""
    xp = xp_of(x)
    n, c, h, w = x.shape
    ph, pw = padding
    if channels_last:
        last = x.transpose(0, 2, 3, 1)
        if not (ph or pw) and last.flags.c_contiguous:
            return last
        out = xp.zeros((n, h + 2 * ph, w + 2 * pw, c), dtype=x.dtype)
        channels_last_into(out[:, ph : ph + h, pw : pw + w], x)
        return out
    if not (ph or pw):
        return x
    out = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=x.dtype)
    out[:, :, ph : ph + h, pw : pw + w] = x
    return out


def _strided(a: Any, shape: tuple[int, ...], strides: tuple[int, ...]) -> Any:
    """A view of ``a``'s memory with ``shape`` and ``strides`` (the windows of a
    convolution). For a contiguous NumPy array, the ndarray constructor over its buffer, which
    also checks that every element lies inside it; NumPy's ``as_strided`` builds the same view
    through ``__array_interface__`` at 6x the cost (8.6 against 1.3 microseconds)."""
    if type(a) is np.ndarray and a.flags.c_contiguous:
        return np.ndarray(shape, a.dtype, a, 0, strides)
    return xp_of(a).lib.stride_tricks.as_strided(a, shape=shape, strides=strides)


def planar_windows(x: Any, kernel: tuple[int, int], geometry: Geometry) -> Any:
    """The windows of ``x`` (N, C, H, W) as (N, G, C/G * kh * kw, Ho * Wo): for each image
    and group, one row per (channel, tap) holding that tap's value at every output pixel."""
    n, c = x.shape[:2]
    windows = planar_window_view(
        _zero_padded(x, geometry.padding, channels_last=False), kernel, geometry
    )
    per_group = c // geometry.groups * kernel[0] * kernel[1]  # (no -1: an empty batch)
    ho, wo = windows.shape[-2:]
    return windows.reshape(n, geometry.groups, per_group, ho * wo)  # the one copy


def planar_window_view(padded: Any, kernel: tuple[int, int], geometry: Geometry) -> Any:
    """The windows of a batch already zero-padded, ``padded`` (N, C, Hp, Wp), as a strided
    view (N, C, kh, kw, Ho, Wo): no copy."""
    n, c, hp, wp = padded.shape
    (ph, pw), (dh, dw), (th, tw) = geometry.padding, geometry.dilation, geometry.stride
    ho, wo = geometry.out_size((hp - 2 * ph, wp - 2 * pw), kernel)
    sn, sc, sh, sw = padded.strides
    return _strided(
        padded,
        shape=(n, c, kernel[0], kernel[1], ho, wo),
        strides=(sn, sc, sh * dh, sw * dw, sh * th, sw * tw),
    )


def im2col(x: Any, kernel: tuple[int, int], geometry: Geometry) -> Any:
    """The windows of ``x`` (N, C, H, W) as (N * Ho * Wo, G, kh * kw * C/G), each window's
    values in (kh, kw, channel) order (the channels-last layout)."""
    windows = channels_last_windows(
        _zero_padded(x, geometry.padding, channels_last=True), kernel, geometry
    )
    n, ho, wo, g, kh, kw, cg = windows.shape
    return windows.reshape(n * ho * wo, g, kh * kw * cg)  # the one copy


def channels_last_windows(last: Any, kernel: tuple[int, int], geometry: Geometry) -> Any:
    """The windows of a batch already zero-padded and channels-last, ``last`` (N, Hp, Wp, C),
    as a strided view (N, Ho, Wo, G, kh, kw, C/G): no copy."""
    n, hp, wp, c = last.shape
    (ph, pw), (dh, dw), (th, tw) = geometry.padding, geometry.dilation, geometry.stride
    ho, wo = geometry.out_size((hp - 2 * ph, wp - 2 * pw), kernel)
    sn, sh, sw, sc = last.strides
    g = geometry.groups
    return _strided(
        last,
        shape=(n, ho, wo, g, kernel[0], kernel[1], c // g),
        strides=(sn, sh * th, sw * tw, sc * (c // g), sh * dh, sw * dw, sc),
    )


def paired_windows(last: Any, kernel: tuple[int, int], out_size: tuple[int, int]) -> Any:
    """The windows of a batch already zero-padded and channels-last, ``last`` (N, Hp, Wp, C),
    for a stride-1 kernel without dilation, two neighbouring output pixels at a time: a strided
    view (N, Ho, Wo / 2, kh, kw + 1, C), each pair's kh x (kw + 1) window (no copy)."""
    n, _, _, c = last.shape
    sn, sh, sw, sc = last.strides
    (kh, kw), (ho, wo) = kernel, out_size
    return _strided(last, (n, ho, wo // 2, kh, kw + 1, c), (sn, sh, 2 * sw, sh, sw, sc))


def windows(x: Any, kernel: tuple[int, int], geometry: Geometry) -> Any:
    """The windows of ``x`` in the layout its channel count reads fastest: 4-D planar
    (:func:`planar_windows`) or 3-D channels-last (:func:`im2col`)."""
    if planar(x.shape[1], kernel, geometry):
        return planar_windows(x, kernel, geometry)
    return im2col(x, kernel, geometry)


def col2im(cols: Any, shape: tuple[int, ...], kernel: tuple[int, int], geometry: Geometry) -> Any:
    """The adjoint of :func:`im2col`: each window's values added back where it was read, into
    an array of ``shape`` (N, C, H, W) (channels-last memory; overlapping windows add up)."""
    xp = xp_of(cols)
    n, c, h, w = shape
    kh, kw = kernel
    ho, wo = geometry.out_size((h, w), kernel)
    ph, pw = geometry.padding
    (dh, dw), (th, tw) = geometry.dilation, geometry.stride
    g = geometry.groups
    out = xp.zeros((n, h + 2 * ph, w + 2 * pw, c), dtype=cols.dtype)
    per_tap = cols.reshape(n, ho, wo, g, kh, kw, c // g)
    for i in range(kh):
        rows = slice(i * dh, i * dh + th * (ho - 1) + 1, th)
        for j in range(kw):
            columns = slice(j * dw, j * dw + tw * (wo - 1) + 1, tw)
            out[:, rows, columns] += per_tap[:, :, :, :, i, j].reshape(n, ho, wo, c)
    return out[:, ph : ph + h, pw : pw + w].transpose(0, 3, 1, 2)


def _grouped(w: Any, groups: int) -> Any:
    """A weight (O, C/G, kh, kw) as (G, O/G, kh * kw * C/G), in the channels-last order."""
    o, cg, kh, kw = w.shape
    return w.transpose(0, 2, 3, 1).reshape(groups, o // groups, kh * kw * cg)


def _per_group(g: Any, groups: int) -> Any:
    """An output gradient (N, O, Ho, Wo) as (N * Ho * Wo, G, O/G)."""
    n, o, ho, wo = g.shape
    return g.transpose(0, 2, 3, 1).reshape(n * ho * wo, groups, o // groups)


def _product(a: Any, b: Any) -> Any:
    """Per group, (M, G, K) windows times (G, K, P) matrices: (M, G, P), one GEMM per group
    (a single one without groups)."""
    if a.shape[1] == 1:
        return matmul2d(a.reshape(a.shape[0], a.shape[2]), b[0]).reshape(a.shape[0], 1, b.shape[2])
    return (a.transpose(1, 0, 2) @ b).transpose(1, 0, 2)


def convolve(
    x: Any, w: Any, geometry: Geometry, channels_last: bool | None = None
) -> tuple[Any, Any]:
    """conv(x, w) without bias as an (N, O, Ho, Wo) array, and the windows it read for the
    weight's gradient (None when they were copied a chunk at a time: then
    :func:`weight_gradient_of` copies them again).

    The output is channels-last when ``channels_last`` is true, or, when it is None, when ``x``
    or ``w`` is (torch's rule: backend.layout); otherwise C-contiguous."""
    n, c, h, width = x.shape
    o, cg, kh, kw = w.shape
    if channels_last is None:
        channels_last = prefers_channels_last(x) or prefers_channels_last(w)
    groups = geometry.groups
    ho, wo = geometry.out_size((h, width), (kh, kw))
    chunks = _chunks(x, w, (kh, kw), geometry)
    if chunks == "channels-last":
        return convolve_in_chunks(x, w, geometry, channels_last), None
    if chunks == "planar":
        return convolve_planar_in_chunks(x, w, geometry, channels_last), None
    cols = windows(x, (kh, kw), geometry)
    if cols.ndim == 4:  # planar: (G, O/G, C/G kh kw) @ (N, G, C/G kh kw, L) is (N, G, O/G, L)
        out = xp_of(x).matmul(w.reshape(groups, o // groups, cg * kh * kw), cols)
        return in_layout(out.reshape(n, o, ho, wo), channels_last), cols
    out = _product(cols, _grouped(w, groups).transpose(0, 2, 1)).reshape(n, ho, wo, o)
    if channels_last:  # the product's rows are pixels: channels-last as it is
        return out.transpose(0, 3, 1, 2), cols
    # made (N, O, Ho, Wo) in memory too: the elementwise ops that follow (activations,
    # pooling, their gradients) run several times slower on mixed layouts than this copy
    return xp_of(out).ascontiguousarray(out.transpose(0, 3, 1, 2)), cols


def _chunks(x: Any, other: Any, kernel: tuple[int, int], geometry: Geometry) -> str | None:
    """The layout in which a convolution of ``x`` copies its windows a few images at a time
    ("channels-last" or "planar"), or None when it copies them at once: large layers (see
    ops/conv_chunks.py) other than pointwise ones, whose planar windows are the image itself."""
    if not in_chunks(x, other, kernel, geometry):
        return None
    if not planar(x.shape[1], kernel, geometry):
        return "channels-last"
    return None if pointwise(kernel, geometry) else "planar"


def weight_gradient_of(x: Any, g: Any, w_shape: tuple[int, ...], geometry: Geometry) -> Any:
    """dL/dw from the input ``x`` and the output's gradient ``g``: the windows of ``x`` copied
    again, a chunk at a time for a large layer."""
    kernel = (w_shape[2], w_shape[3])
    chunks = _chunks(x, g, kernel, geometry)
    if chunks == "channels-last":
        return weight_gradient_in_chunks(x, g, w_shape, geometry)
    if chunks == "planar":
        return weight_gradient_planar_in_chunks(x, g, w_shape, geometry)
    return weight_gradient(windows(x, kernel, geometry), g, w_shape, geometry)


def weight_gradient(cols: Any, g: Any, w_shape: tuple[int, ...], geometry: Geometry) -> Any:
    """dL/dw from the input's windows (either layout) and the output's gradient: per group,
    the sum over pixels of the output gradient times the window it came from."""
    o, cg, kh, kw = w_shape
    groups = geometry.groups
    if cols.ndim == 4:  # planar: per image (O/G, L) @ (L, K), then the sum over images
        n = g.shape[0]
        pixels = g.shape[2] * g.shape[3]
        per_image = xp_of(g).matmul(
            g.reshape(n, groups, o // groups, pixels), cols.swapaxes(-1, -2)
        )
        return per_image.sum(axis=0).reshape(w_shape)
    per_group = _per_group(g, groups)
    if groups == 1:
        # each BLAS in the orientation it ran fastest on C3's layers on an Intel CPU, before
        # they took their windows in chunks: OpenBLAS (K, M) @ (M, O) then transposed, 1.2x
        # faster than (O, M) @ (M, K); MKL the latter, 1.7x faster still. (Products below
        # blas.MIN_WORK run on OpenBLAS, where both measured within 1% on C2's and C1's layers.)
        windows_, grad = cols[:, 0], per_group[:, 0]
        grads = matmul2d(grad.T, windows_) if products_on_mkl() else matmul2d(windows_.T, grad).T
    else:
        grads = per_group.transpose(1, 2, 0) @ cols.transpose(1, 0, 2)  # (G, O/G, K)
    return grads.reshape(o, kh, kw, cg).transpose(0, 3, 1, 2).copy()


def input_gradient(g: Any, w: Any, shape: tuple[int, ...], geometry: Geometry) -> Any:
    """dL/dx from the output's gradient: each output pixel's gradient sent back through the
    weight to the window it was computed from (col2im of g @ w).

    With stride 1 that sum is itself a convolution: of ``g`` padded by what the kernel
    overhangs, with the kernel flipped and its channels swapped. One im2col and one product
    then replace col2im's kh * kw strided additions (3-4x faster on LeNet-size layers). A
    large one, onto :data:`CHUNKED_GRADIENT_MIN_CHANNELS` channels or more, is copied and
    multiplied a chunk of images at a time (ops/conv_chunks.py); otherwise, with MKL, the
    gradient is kh * kw products added at shifted positions, with no window copied.

    It is channels-last when ``g`` or ``w`` is (as the convolution's output was)."""
    last = prefers_channels_last(g) or prefers_channels_last(w)
    as_convolution = _as_convolution(w, geometry)
    if as_convolution is not None and shape[1] >= CHUNKED_GRADIENT_MIN_CHANNELS:
        flipped, full = as_convolution
        if _chunks(g, flipped, (w.shape[2], w.shape[3]), full) == "channels-last":
            return convolve_in_chunks(g, flipped, full, last)
    shifted = _shifted_input_gradient(g, w, shape, geometry)
    if shifted is not None:
        return in_layout(shifted, last)
    if as_convolution is not None:
        return convolve(g, *as_convolution, channels_last=last)[0]
    kh, kw = w.shape[2], w.shape[3]
    cols = _product(_per_group(g, geometry.groups), _grouped(w, geometry.groups))
    return in_layout(col2im(cols, shape, (kh, kw), geometry), last)


def _as_convolution(w: Any, geometry: Geometry) -> tuple[Any, Geometry] | None:
    """For a stride-1 convolution, the weight and geometry whose convolution of the output's
    gradient is the input's gradient: the kernel flipped with its channels swapped, padded by
    what the kernel overhangs. None for other strides (or padding past the kernel)."""
    kh, kw = w.shape[2], w.shape[3]
    (dh, dw), (ph, pw) = geometry.dilation, geometry.padding
    overhang = (dh * (kh - 1) - ph, dw * (kw - 1) - pw)
    if geometry.stride != (1, 1) or min(overhang) < 0:
        return None
    groups = geometry.groups
    o, cg = w.shape[0], w.shape[1]
    flipped = w[:, :, ::-1, ::-1].reshape(groups, o // groups, cg, kh, kw)
    flipped = flipped.transpose(0, 2, 1, 3, 4).reshape(groups * cg, o // groups, kh, kw)
    return flipped, Geometry((1, 1), overhang, geometry.dilation, groups)


def _shifted_input_gradient(
    g: Any, w: Any, shape: tuple[int, ...], geometry: Geometry
) -> Any | None:
    """dx for a stride-1 convolution without groups as kh * kw matrix products added at
    shifted columns, with no window copied; None where that does not apply or is too small.

    Lay the padded images of each channel side by side in one row, (C, N * Hp * Wp): the tap
    (i, j) of the window whose corner is column p reads column p + i dh Wp + j dw. Its
    gradient is therefore the output's gradient laid out on the same grid (column p for the
    window at p, zero elsewhere), (O, N * Hp * Wp), multiplied by that tap's weight (C, O) and
    added ``i dh Wp + j dw`` columns further on: one GEMM adding into its output per tap (MKL's
    ``beta = 1``, see backend.blas.add_shifted_product). Measured against the im2col of ``g``
    it replaces: C2's 16 -> 8 gradient 3.4 -> 1.5 ms, C3's 32 -> 32 and 64 -> 32 38 -> 27 and
    21 -> 12 ms, a C1-size one 0.62 -> 0.44 ms (every case tried was faster). Only with MKL
    installed: NumPy's product cannot add into a strided part of its output.

    From :data:`ROWS_MIN_CHANNELS` input channels the same sums run with positions as rows,
    (N * Hp * Wp, C) += (N * Hp * Wp, O) @ (O, C): each tap's product is then one tall GEMM
    with C output columns, which MKL runs faster once C is 16 or more (see there)."""
    n, c, h, width = shape
    o, _, kh, kw = w.shape
    if (
        type(g) is not np.ndarray
        or g.dtype != w.dtype
        or g.dtype.char not in "fd"  # MKL's sgemm and dgemm
        or geometry.groups != 1
        or geometry.stride != (1, 1)
        or pointwise((kh, kw), geometry)  # (the planar product is one GEMM per image)
        or not mkl_is_available()
    ):
        return None
    (ph, pw), (dh, dw) = geometry.padding, geometry.dilation
    hp, wp = h + 2 * ph, width + 2 * pw
    positions = n * hp * wp
    span = positions - (kh - 1) * dh * wp - (kw - 1) * dw  # corners whose taps stay inside
    if span <= 0 or span * o * c * kh * kw < MIN_WORK:  # small: the calls' cost would show
        return None
    shifts = [i * dh * wp + j * dw for i in range(kh) for j in range(kw)]
    if c < ROWS_MIN_CHANNELS:  # positions as columns: (C, positions) += (C, O) @ (O, positions)
        grid = np.zeros((o, n, hp, wp), dtype=g.dtype)
        grid[:, :, : g.shape[2], : g.shape[3]] = g.transpose(1, 0, 2, 3)
        corners = grid.reshape(o, positions)
        taps = np.ascontiguousarray(w.transpose(2, 3, 1, 0)).reshape(kh * kw, c, o)
        out = np.zeros((c, positions), dtype=g.dtype)
        for tap, shift in zip(taps, shifts):
            if not add_shifted_product(out, shift, tap, corners, span):
                return None  # (MKL takes all or none: the same arrays each time)
        inside = out.reshape(c, n, hp, wp)[:, :, ph : ph + h, pw : pw + width]
        return np.ascontiguousarray(inside.transpose(1, 0, 2, 3))
    # positions as rows: (positions, C) += (positions, O) @ (O, C)
    grid = np.zeros((n, hp, wp, o), dtype=g.dtype)
    channels_last_into(grid[:, : g.shape[2], : g.shape[3]], g)
    corners = grid.reshape(positions, o)
    taps = np.ascontiguousarray(w.transpose(2, 3, 0, 1)).reshape(kh * kw, o, c)
    out = np.zeros((positions, c), dtype=g.dtype)
    for tap, shift in zip(taps, shifts):
        if not add_product_at_rows(out, shift, corners, tap, span):
            return None
    inside = out.reshape(n, hp, wp, c)[:, ph : ph + h, pw : pw + width]
    return np.ascontiguousarray(inside.transpose(0, 3, 1, 2))
