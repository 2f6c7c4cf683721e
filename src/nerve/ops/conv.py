"""Convolutions: conv2d (conv1d is conv2d on a height of 1) and its transpose, by im2col.

A convolution slides a small weight over the image: every output pixel is a weighted sum of a
kh x kw window of every input channel (of its group). ``im2col`` copies all windows into one
array (one strided view, one copy), so that the whole layer is one batched matrix product.

Three ops close the family under differentiation, so that each derivative is written once and
is differentiable again (double backward):

* :class:`Conv` (x, w) -> y, the convolution (with an optional bias);
* :class:`ConvInput` (g, w) -> dx, the gradient of a convolution for its input, which is also
  the transposed convolution (``conv_transpose2d``);
* :class:`ConvWeight` (x, g) -> dw, the gradient for its weight.

The gradient of each one for each of its inputs is one of the three again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..autograd.node import Node, run
from ..backend.device import xp_of
from ..tensor import Tensor
from .dual import data, shape_of
from .dual import sum as dual_sum


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


# Kernels work channels-last: an image (N, C, H, W) is read as (N, H, W, C) (a transposed
# view, no copy), a window's values are ordered (kh, kw, C) so that its channels are contiguous
# runs, and a layer is one matrix product of (N * Ho * Wo, kh * kw * C) windows with the
# (kh * kw * C, O) weight. Outputs are channels-last memory seen as (N, C, H, W), which is
# also what the next layer's windows read fastest. Groups split the channels: the windows are
# (N * Ho * Wo, G, kh * kw * C/G) and the product is one per group.


def im2col(x: Any, kernel: tuple[int, int], geometry: Geometry) -> Any:
    """The windows of ``x`` (N, C, H, W) as (N * Ho * Wo, G, kh * kw * C/G), each window's
    values in (kh, kw, channel) order."""
    xp = xp_of(x)
    n, c, h, w = x.shape
    ho, wo = geometry.out_size((h, w), kernel)
    ph, pw = geometry.padding
    last = x.transpose(0, 2, 3, 1)  # channels-last view
    if ph or pw or not last.flags.c_contiguous:
        padded = xp.zeros((n, h + 2 * ph, w + 2 * pw, c), dtype=x.dtype)
        padded[:, ph : ph + h, pw : pw + w] = last
        last = padded
    sn, sh, sw, sc = last.strides
    (dh, dw), (th, tw) = geometry.dilation, geometry.stride
    g = geometry.groups
    windows = xp.lib.stride_tricks.as_strided(
        last,
        shape=(n, ho, wo, g, kernel[0], kernel[1], c // g),
        strides=(sn, sh * th, sw * tw, sc * (c // g), sh * dh, sw * dw, sc),
    )
    return windows.reshape(n * ho * wo, g, kernel[0] * kernel[1] * (c // g))


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
    windows = cols.reshape(n, ho, wo, g, kh, kw, c // g)
    for i in range(kh):
        rows = slice(i * dh, i * dh + th * (ho - 1) + 1, th)
        for j in range(kw):
            columns = slice(j * dw, j * dw + tw * (wo - 1) + 1, tw)
            out[:, rows, columns] += windows[:, :, :, :, i, j].reshape(n, ho, wo, c)
    return out[:, ph : ph + h, pw : pw + w].transpose(0, 3, 1, 2)


def _grouped(w: Any, groups: int) -> Any:
    """A weight (O, C/G, kh, kw) as (G, O/G, kh * kw * C/G), in the windows' order."""
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
        return a.reshape(a.shape[0], -1).dot(b[0]).reshape(a.shape[0], 1, -1)
    return (a.transpose(1, 0, 2) @ b).transpose(1, 0, 2)


def _kernel(w: Any) -> tuple[int, int]:
    return shape_of(w)[2], shape_of(w)[3]


class Conv(Node):
    """y = conv(x, w) + b for x (N, C, H, W), w (O, C/G, kh, kw), b (O,) or absent."""

    def forward(self, x: Any, w: Any, b: Any = None, *, geometry: Geometry) -> Any:
        self.geometry = geometry
        n, _, h, width = x.shape
        kernel = (w.shape[2], w.shape[3])
        ho, wo = geometry.out_size((h, width), kernel)
        self.cols = cols = im2col(x, kernel, geometry)  # kept for the weight's gradient
        out = _product(cols, _grouped(w, geometry.groups).transpose(0, 2, 1))
        out = out.reshape(n, ho, wo, w.shape[0])
        if b is not None:
            out += b
        # made (N, O, Ho, Wo) in memory too: the elementwise ops that follow (activations,
        # pooling, their gradients) run several times slower on mixed layouts than this copy
        return xp_of(out).ascontiguousarray(out.transpose(0, 3, 1, 2))

    def backward(self, g: Any) -> tuple[Any, ...]:
        x, w = self.input(0), self.input(1)
        need = self.needs_input_grad
        geometry = self.geometry
        gx = run(ConvInput, g, w, geometry=geometry, shape=shape_of(x)) if need[0] else None
        gw = None
        if need[1]:
            if isinstance(g, Tensor):  # recorded: the weight's gradient as an op of x and g
                gw = run(ConvWeight, x, g, geometry=geometry, kernel=_kernel(w))
            else:  # the same kernel, on the windows the forward already copied
                gw = weight_gradient(self.cols, g, shape_of(w), geometry)
        if len(need) < 3:
            return gx, gw
        return gx, gw, (dual_sum(g, (0, 2, 3)) if need[2] else None)

    def release(self) -> None:
        super().release()
        self.cols = None


def weight_gradient(cols: Any, g: Any, w_shape: tuple[int, ...], geometry: Geometry) -> Any:
    """dL/dw from the input's windows and the output's gradient: per group,
    g^T (O/G, N * Ho * Wo) @ windows (N * Ho * Wo, kh * kw * C/G)."""
    o, cg, kh, kw = w_shape
    per_group = _per_group(g, geometry.groups)
    if geometry.groups == 1:
        grads = per_group[:, 0].T.dot(cols[:, 0])
    else:
        grads = per_group.transpose(1, 2, 0) @ cols.transpose(1, 0, 2)  # (G, O/G, K)
    return grads.reshape(o, kh, kw, cg).transpose(0, 3, 1, 2).copy()


def input_gradient(g: Any, w: Any, shape: tuple[int, ...], geometry: Geometry) -> Any:
    """dL/dx from the output's gradient: each output pixel's gradient sent back through the
    weight to the window it was computed from (col2im of g @ w).

    With stride 1 that sum is itself a convolution: of ``g`` padded by what the kernel
    overhangs, with the kernel flipped and its channels swapped. One im2col and one product
    then replace col2im's kh * kw strided additions (3-4x faster on LeNet-size layers)."""
    kh, kw = w.shape[2], w.shape[3]
    (dh, dw), (ph, pw) = geometry.dilation, geometry.padding
    overhang = (dh * (kh - 1) - ph, dw * (kw - 1) - pw)
    if geometry.stride == (1, 1) and min(overhang) >= 0:
        groups = geometry.groups
        o, cg = w.shape[0], w.shape[1]
        flipped = w[:, :, ::-1, ::-1].reshape(groups, o // groups, cg, kh, kw)
        flipped = flipped.transpose(0, 2, 1, 3, 4).reshape(groups * cg, o // groups, kh, kw)
        full = Geometry((1, 1), overhang, geometry.dilation, groups)
        cols = im2col(g, (kh, kw), full)
        n, _, h, width = shape
        out = _product(cols, _grouped(flipped, groups).transpose(0, 2, 1))
        return out.reshape(n, h, width, -1).transpose(0, 3, 1, 2)
    cols = _product(_per_group(g, geometry.groups), _grouped(w, geometry.groups))
    return col2im(cols, shape, (kh, kw), geometry)


class ConvInput(Node):
    """dx = the gradient of conv(x, w) for x, given the output's gradient ``g``; as an op of
    its own it is the transposed convolution of ``g`` with ``w`` (output ``shape``)."""

    def forward(self, g: Any, w: Any, *, geometry: Geometry, shape: tuple[int, ...]) -> Any:
        self.geometry, self.shape = geometry, tuple(shape)
        return input_gradient(g, w, self.shape, geometry)

    def backward(self, h: Any) -> tuple[Any, Any]:
        # conv_input(g, w) is linear in g and in w: its adjoints are conv and conv_weight
        g, w = self.input(0), self.input(1)
        need_g, need_w = self.needs_input_grad
        gg = run(Conv, h, w, geometry=self.geometry) if need_g else None
        gw = run(ConvWeight, h, g, geometry=self.geometry, kernel=_kernel(w)) if need_w else None
        return gg, gw


class ConvWeight(Node):
    """dw = the gradient of conv(x, w) for w (of spatial size ``kernel``), given x and the
    output's gradient ``g``."""

    def forward(self, x: Any, g: Any, *, geometry: Geometry, kernel: tuple[int, int]) -> Any:
        self.geometry, self.kernel = geometry, kernel
        c, o = x.shape[1], g.shape[1]
        w_shape = (o, c // geometry.groups, *kernel)
        return weight_gradient(im2col(x, kernel, geometry), g, w_shape, geometry)

    def backward(self, h: Any) -> tuple[Any, Any]:
        # conv_weight(x, g) is linear in x and in g: its adjoints are conv_input and conv
        x, g = self.input(0), self.input(1)
        need_x, need_g = self.needs_input_grad
        geometry = self.geometry
        gx = run(ConvInput, g, h, geometry=geometry, shape=shape_of(x)) if need_x else None
        gg = run(Conv, x, h, geometry=geometry) if need_g else None
        return gx, gg


def output_padding_shape(
    x_shape: tuple[int, ...],
    w_shape: tuple[int, ...],
    geometry: Geometry,
    output_padding: tuple[int, int],
) -> tuple[int, int, int, int]:
    """The output shape of a transposed convolution of ``x`` with a weight (Cin, Cout/G, kh,
    kw): (H - 1) s - 2 p + d (k - 1) + output_padding + 1 per spatial dimension."""
    n, _, h, w = x_shape
    sizes = tuple(
        (size - 1) * s - 2 * p + d * (k - 1) + extra + 1
        for size, s, p, d, k, extra in zip(
            (h, w),
            geometry.stride,
            geometry.padding,
            geometry.dilation,
            w_shape[2:],
            output_padding,
        )
    )
    return (n, w_shape[1] * geometry.groups, sizes[0], sizes[1])


__all__ = ["Conv", "ConvInput", "ConvWeight", "Geometry", "col2im", "data", "im2col"]
