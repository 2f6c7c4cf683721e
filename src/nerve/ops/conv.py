"""Convolutions: conv2d (conv1d is conv2d on a height of 1) and its transpose, as ops.

A convolution slides a small weight over the image: every output pixel is a weighted sum of a
kh x kw window of every input channel (of its group). The array kernels, which copy the
windows out so that a layer is one matrix product, are in ops/conv_kernels.py.

Three ops close the family under differentiation, so that each derivative is written once and
is differentiable again (double backward):

* :class:`Conv` (x, w) -> y, the convolution (with an optional bias);
* :class:`ConvInput` (g, w) -> dx, the gradient of a convolution for its input, which is also
  the transposed convolution (``conv_transpose2d``);
* :class:`ConvWeight` (x, g) -> dw, the gradient for its weight.

The gradient of each one for each of its inputs is one of the three again.
"""

from __future__ import annotations

from typing import Any

from ..autograd.node import Node, run
from ..tensor import Tensor
from .conv_kernels import Geometry, convolve, input_gradient, weight_gradient, weight_gradient_of
from .dual import data, shape_of, sum_per_channel


def _kernel(w: Any) -> tuple[int, int]:
    return shape_of(w)[2], shape_of(w)[3]


class Conv(Node):
    """y = conv(x, w) + b for x (N, C, H, W), w (O, C/G, kh, kw), b (O,) or absent."""

    def forward(self, x: Any, w: Any, b: Any = None, *, geometry: Geometry) -> Any:
        self.geometry = geometry
        # the windows, kept for the weight's gradient (None for a large layer: copied again)
        out, self.cols = convolve(x, w, geometry)
        if b is not None:
            out += b.reshape(-1, 1, 1)
        return out

    def backward(self, g: Any) -> tuple[Any, ...]:
        x, w = self.input(0), self.input(1)
        need = self.needs_input_grad
        geometry = self.geometry
        gx = run(ConvInput, g, w, geometry=geometry, shape=shape_of(x)) if need[0] else None
        gw = None
        if need[1]:
            if isinstance(g, Tensor):  # recorded: the weight's gradient as an op of x and g
                gw = run(ConvWeight, x, g, geometry=geometry, kernel=_kernel(w))
            elif self.cols is not None:  # the same kernel, on the windows the forward copied
                gw = weight_gradient(self.cols, g, shape_of(w), geometry)
            else:
                gw = weight_gradient_of(x, g, shape_of(w), geometry)
        if len(need) < 3:
            return gx, gw
        return gx, gw, (sum_per_channel(g) if need[2] else None)

    def release(self) -> None:
        super().release()
        self.cols = None


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
        return weight_gradient_of(x, g, (o, c // geometry.groups, *kernel), geometry)

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


__all__ = ["Conv", "ConvInput", "ConvWeight", "Geometry", "data"]
