"""Large channels-last convolutions a few images at a time, so that the windows stay in cache.

The channels-last kernels (ops/conv_kernels.py) copy every window of the batch into one
(N * Ho * Wo, kh * kw * C) matrix, then multiply it by the weight. On a CIFAR-size layer (64
images of 32 channels at 32x32, a 3x3 kernel) that matrix is 75 MB: written to memory by the
copy, read back by the product, and kept until the backward for the weight's gradient. Copied
and multiplied for a few images at a time (about :data:`CHUNK_PIXELS` output pixels, 1.7 MB of
windows for that layer) into buffers made once, the windows never leave the CPU's cache and
nothing is kept: the backward copies them again, a chunk at a time, for the weight's gradient.

Measured on an AMD EPYC, one thread, the two ways in alternating rounds in one process
(milliseconds, median of 7: the whole batch at once -> in chunks; torch 2.13's oneDNN for the
whole layer's forward and backward, measured apart, in brackets):

=============================  =============  =============  ==============  ===============
layer (batch 64)               forward        weight grad    input grad      (torch fwd+bwd)
=============================  =============  =============  ==============  ===============
32 -> 32 channels, 32x32       37.0 -> 22.2   31.0 -> 21.9   33.7 -> 22.0    (41.9)
32 -> 64 channels, 16x16       12.2 -> 8.9    11.2 -> 9.0    11.7 -> 10.0    (19.1)
=============================  =============  =============  ==============  ===============

(The weight's gradient "before" read windows the forward had kept; its time "after" includes
copying them again.) The input's gradient with stride 1 is itself a convolution (of the
output's gradient padded, with the kernel flipped), so it takes the same route. The products
are NumPy's (``np.dot`` into the buffers), at 80-98 GFLOP/s on operands in cache (about 50
for the whole batch's): on that CPU MKL's GEMM was as fast or up to 20% slower on them.

Images with few channels (the planar layout of ops/conv_kernels.py: each image's windows as
a (C * kh * kw, Ho * Wo) matrix, one product per image) are copied and multiplied one image at
a time in the same way (:class:`PlanarChunks`): C3's first layer, 3 -> 32 channels at 32x32,
forward 3.2 -> 2.0 ms, as the windows of the whole batch (7 MB) no longer go through memory.

Only for float32 and float64 NumPy arrays without groups whose windows would take at least
:data:`MIN_CHUNKED_BYTES`: below that the copy fits in cache anyway, and the windows the
forward keeps make the weight's gradient one product.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..backend.layout import empty, is_channels_last, prefers_channels_last
from ..backend.reductions import all_finite

if TYPE_CHECKING:
    from .conv_kernels import Geometry

CHUNK_PIXELS = 1536
"""About how many output pixels' windows are copied and multiplied at once (whole images: one
image at least). Measured at 768, 1536 and 3072 on the layers above: within noise of one
another; 65,536 (the whole batch) was 1.7x slower."""

MIN_CHUNKED_BYTES = 4 << 20
"""Windows smaller than this (4 MiB: C1- and C2-size layers) are copied at once, as before."""


def in_chunks(x: Any, other: Any, kernel: tuple[int, int], geometry: Geometry) -> bool:
    """Whether a convolution of ``x`` (N, C, H, W) with a ``kernel`` runs a few images at a
    time: ``x`` and ``other`` (the weight, or the output's gradient) float NumPy arrays of one
    dtype, no groups, and windows of at least :data:`MIN_CHUNKED_BYTES` (the caller has chosen
    the channels-last layout)."""
    if (
        type(x) is not np.ndarray
        or type(other) is not np.ndarray
        or geometry.groups != 1
        or x.dtype.char not in "fd"
        or other.dtype != x.dtype
    ):
        return False
    n, c, h, width = x.shape
    ho, wo = geometry.out_size((h, width), kernel)
    return n * ho * wo * kernel[0] * kernel[1] * c * x.itemsize >= MIN_CHUNKED_BYTES


PAGE_BYTES = 4096
"""Channel planes this large or larger are copied channels-last a few channels at a time."""


def channels_last_into(out: np.ndarray, x: Any) -> None:
    """``out[...] = x.transpose(0, 2, 3, 1)``: ``x`` (N, C, H, W) copied into ``out`` (N, H, W,
    C), in blocks of 8 channels when a channel's plane spans :data:`PAGE_BYTES` or more.

    Each output pixel reads one value from every channel's plane. When the planes are 4 KiB
    apart (a 32x32 float32 image) or a multiple, those values fall into the same few sets of
    the CPU's cache and evict one another; reading 8 planes at a time keeps them resident:
    one 32-channel 32x32 image in 33 microseconds instead of 90 (planes of 1 KiB: no gain).
    A channels-last ``x`` is read as it lies, row after row."""
    c = x.shape[1]
    if c <= 8 or x.shape[2] * x.shape[3] * x.itemsize < PAGE_BYTES or is_channels_last(x):
        out[...] = x.transpose(0, 2, 3, 1)
        return
    for first in range(0, c, 8):
        out[..., first : first + 8] = x[:, first : first + 8].transpose(0, 2, 3, 1)


class WindowChunks:
    """The windows of ``x`` (N, C, H, W) in the channels-last order, (images * Ho * Wo,
    kh * kw * C) a few images at a time, copied into one buffer made once.

    The images of a chunk are first copied channels-last into a zero-padded buffer, whose
    border stays zero from one chunk to the next; the windows are a strided view of it.

    With ``paired``, each row holds the windows of two neighbouring output pixels of a row
    (stride 1, no dilation, an even output width) as one kh x (kw + 1) window: (images * Ho *
    Wo / 2, kh * (kw + 1) * C), for :func:`paired_weight`."""

    def __init__(
        self, x: np.ndarray, kernel: tuple[int, int], geometry: Geometry, paired: bool = False
    ) -> None:
        from .conv_kernels import channels_last_windows, paired_windows  # (imports this)

        n, c, h, width = x.shape
        (ph, pw), (kh, kw) = geometry.padding, kernel
        self.x = x
        self.out_size = ho, wo = geometry.out_size((h, width), kernel)
        self.images = max(1, min(n, CHUNK_PIXELS // max(1, ho * wo)))
        pixels = self.images * ho * wo  # (output pixels of a chunk)
        padded = np.zeros((self.images, h + 2 * ph, width + 2 * pw, c), x.dtype)
        self._interior = padded[:, ph : ph + h, pw : pw + width]
        if paired:
            self._windows = paired_windows(padded, kernel, (ho, wo))
            self._cols = np.empty((pixels // 2, kh * (kw + 1) * c), x.dtype)
        else:
            self._windows = channels_last_windows(padded, kernel, geometry)  # (one group)
            self._cols = np.empty((pixels, kh * kw * c), x.dtype)

    def __iter__(self) -> Any:
        """(first image, last image + 1, the chunk's windows): a view of the one buffer, valid
        until the next chunk is copied."""
        n = self.x.shape[0]
        per_image = len(self._cols) // self.images
        for start in range(0, n, self.images):
            stop = min(n, start + self.images)
            count = stop - start
            channels_last_into(self._interior[:count], self.x[start:stop])
            cols = self._cols[: count * per_image]
            np.copyto(cols.reshape(count, *self._windows.shape[1:]), self._windows[:count])
            yield start, stop, cols


PAIRED_MAX_CHANNELS = 8
"""Convolutions onto this many output channels or fewer compute two output pixels per row of
windows (:func:`pairs_pixels`)."""


def pairs_pixels(x: np.ndarray, w: np.ndarray, geometry: Geometry, out_width: int) -> bool:
    """Whether a chunked convolution of ``x`` with ``w`` (O, C, kh, kw) computes two
    neighbouring output pixels per row: at most :data:`PAIRED_MAX_CHANNELS` outputs, stride 1,
    no dilation, an even output width, and every value of ``x`` finite (the pair's weight has
    zeros where a pixel's window ends, and 0 * inf would be NaN).

    A product onto 8 columns runs at half the speed of one onto 16 (46 and 78 GFLOP/s, one
    thread, AMD EPYC), and a pair's kh x (kw + 1) window is a third smaller than two kh x kw
    ones: C2's input gradient, a 16 -> 8 convolution at 14x14, 1.09 -> 0.83 ms."""
    return (
        w.shape[0] <= PAIRED_MAX_CHANNELS
        and geometry.stride == (1, 1)
        and geometry.dilation == (1, 1)
        and out_width % 2 == 0
        and all_finite(x)
    )


def paired_weight(w: np.ndarray) -> np.ndarray:
    """``w`` (O, C, kh, kw) as the (kh * (kw + 1) * C, 2 * O) matrix of a pair of pixels: the
    first pixel's weight on the window's first kw columns, the second's on its last kw."""
    o, c, kh, kw = w.shape
    block = np.zeros((kh, kw + 1, c, 2, o), w.dtype)
    taps = w.transpose(2, 3, 1, 0)  # (kh, kw, C, O)
    block[:, :kw, :, 0] = taps
    block[:, 1:, :, 1] = taps
    return block.reshape(kh * (kw + 1) * c, 2 * o)


def convolve_in_chunks(
    x: np.ndarray, w: np.ndarray, geometry: Geometry, channels_last: bool = False
) -> np.ndarray:
    """conv(x, w) without bias as a C-contiguous (N, O, Ho, Wo) array, a chunk of images at a
    time (see :func:`in_chunks` for when it applies); with ``channels_last``, a channels-last
    one, into which the products are written as they come, with no transposing copy. A
    product's row is one output pixel, or two (:func:`pairs_pixels`)."""
    o, c, kh, kw = w.shape
    ho, wo = geometry.out_size(x.shape[2:], (kh, kw))
    paired = pairs_pixels(x, w, geometry, wo)
    chunks = WindowChunks(x, (kh, kw), geometry, paired)
    if paired:
        weight = paired_weight(w)
    else:
        weight = np.ascontiguousarray(w.transpose(2, 3, 1, 0)).reshape(kh * kw * c, o)
    width = weight.shape[1]  # a row's outputs: one pixel's channels, or two pixels'
    per_image = ho * wo * o // width  # rows
    out = empty((x.shape[0], o, ho, wo), x.dtype, channels_last, np)
    if channels_last:
        rows = out.transpose(0, 2, 3, 1).reshape(-1, width)  # (a view: the memory is NHWC)
        for start, stop, cols in chunks:
            np.dot(cols, weight, out=rows[start * per_image : stop * per_image])
        return out
    products = np.empty((chunks.images * per_image, width), x.dtype)
    for start, stop, cols in chunks:
        product = products[: len(cols)]
        np.dot(cols, weight, out=product)
        out[start:stop] = product.reshape(stop - start, ho, wo, o).transpose(0, 3, 1, 2)
    return out


def weight_gradient_in_chunks(
    x: np.ndarray, g: Any, w_shape: tuple[int, ...], geometry: Geometry
) -> np.ndarray:
    """dL/dw of conv(x, w) from the output's gradient ``g`` (N, O, Ho, Wo): for each image, its
    output gradient as it lies in memory, (O, Ho * Wo), times its windows, summed (reading
    ``g`` in place rather than channels-last: 8% faster on a 32 -> 32 layer at 32x32). A
    channels-last ``g`` is already a chunk's (pixels, O) rows: one product per chunk (C3's
    32 -> 64 layer, 6 images a chunk: 7.8 -> 7.4 ms)."""
    o, c, kh, kw = w_shape
    chunks = WindowChunks(x, (kh, kw), geometry)
    ho, wo = chunks.out_size
    pixels = ho * wo
    if prefers_channels_last(g):
        rows = g.transpose(0, 2, 3, 1).reshape(-1, o)  # (a view)
        total = np.zeros((kh * kw * c, o), x.dtype)
        part = np.empty_like(total)
        for start, stop, cols in chunks:
            np.dot(cols.T, rows[start * pixels : stop * pixels], out=part)
            total += part
        return total.T.reshape(o, kh, kw, c).transpose(0, 3, 1, 2).copy()
    total = np.zeros((o, kh * kw * c), x.dtype)
    part = np.empty_like(total)
    for start, stop, cols in chunks:
        for image in range(start, stop):
            first = (image - start) * pixels
            np.dot(g[image].reshape(o, pixels), cols[first : first + pixels], out=part)
            total += part
    return total.reshape(o, kh, kw, c).transpose(0, 3, 1, 2).copy()


class PlanarChunks:
    """The windows of ``x`` (N, C, H, W) in the planar order, (C * kh * kw, Ho * Wo), one
    image at a time, copied into one buffer made once (through a zero-padded copy of the
    image when there is padding, whose border stays zero from one image to the next)."""

    def __init__(self, x: np.ndarray, kernel: tuple[int, int], geometry: Geometry) -> None:
        from .conv_kernels import planar_window_view  # (that module imports this one)

        n, c, h, width = x.shape
        (ph, pw) = geometry.padding
        self.x = x
        self.out_size = ho, wo = geometry.out_size((h, width), kernel)
        # an image's copy, zero-padded (the border is written once, here)
        source = np.zeros((1, c, h + 2 * ph, width + 2 * pw), x.dtype)
        self._windows = planar_window_view(source, kernel, geometry)[0]
        self._interior = source[0, :, ph : ph + h, pw : pw + width]
        self.depth = c * kernel[0] * kernel[1]  # the rows of an image's windows
        self._cols = np.empty((self.depth, ho * wo), x.dtype)

    def __iter__(self) -> Any:
        """(image, its windows): a view of the one buffer, valid until the next image."""
        cols = self._cols.reshape(self._windows.shape)
        for image in range(self.x.shape[0]):
            self._interior[...] = self.x[image]
            np.copyto(cols, self._windows)
            yield image, self._cols


def convolve_planar_in_chunks(
    x: np.ndarray, w: np.ndarray, geometry: Geometry, channels_last: bool = False
) -> np.ndarray:
    """conv(x, w) without bias as a C-contiguous (N, O, Ho, Wo) array, one product of the
    (O, C * kh * kw) weight and an image's planar windows per image, written in place; with
    ``channels_last``, a channels-last one, each image's (Ho * Wo, O) the transposed product."""
    o = w.shape[0]
    chunks = PlanarChunks(x, (w.shape[2], w.shape[3]), geometry)
    ho, wo = chunks.out_size
    weight = np.ascontiguousarray(w).reshape(o, -1)
    out = empty((x.shape[0], o, ho, wo), x.dtype, channels_last, np)
    images = out.transpose(0, 2, 3, 1).reshape(-1, ho * wo, o) if channels_last else None
    for image, cols in chunks:
        if images is not None:
            np.dot(cols.T, weight.T, out=images[image])
        else:
            np.dot(weight, cols, out=out[image].reshape(o, ho * wo))
    return out


def weight_gradient_planar_in_chunks(
    x: np.ndarray, g: Any, w_shape: tuple[int, ...], geometry: Geometry
) -> np.ndarray:
    """dL/dw of conv(x, w) from the output's gradient ``g`` (N, O, Ho, Wo): for each image,
    (O, Ho * Wo) times its planar windows transposed, summed over the images in order."""
    o = w_shape[0]
    chunks = PlanarChunks(x, (w_shape[2], w_shape[3]), geometry)
    ho, wo = chunks.out_size
    total = np.zeros((o, chunks.depth), x.dtype)
    part = np.empty_like(total)
    for image, cols in chunks:
        np.dot(g[image].reshape(o, ho * wo), cols.T, out=part)
        total += part
    return total.reshape(w_shape)
