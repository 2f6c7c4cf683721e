"""``unfold`` (im2col) and ``fold`` (col2im): an image's sliding blocks as columns, and back.

``unfold`` of (N, C, H, W) is (N, C * kh * kw, L): one column per window position (L of them),
holding the window of every channel. ``fold`` adds columns back into an image, summing where
blocks overlap. They are each other's adjoint, so each is the other's gradient (and double
backward comes for free). Both reuse the convolution's kernels (``ops/conv.py``).
"""

from __future__ import annotations

from typing import Any

from ..autograd.node import Node, run
from ..backend.device import xp_of
from .conv_kernels import Geometry, col2im, im2col


class Unfold(Node):
    """cols = the (N, C * kh * kw, L) blocks of x (N, C, H, W)."""

    saves = ()

    def forward(self, x: Any, *, kernel: tuple[int, int], geometry: Geometry) -> Any:
        self.kernel, self.geometry, self.shape = kernel, geometry, x.shape
        n, c = x.shape[0], x.shape[1]
        # the convolution's windows are (N * L, 1, kh * kw * C), channels last; unfold's
        # columns are (N, C * kh * kw, L): one transposing copy
        blocks = geometry.out_size(x.shape[2:], kernel)
        count = blocks[0] * blocks[1]  # L (sizes spelled out: -1 fails on an empty batch)
        cols = im2col(x, kernel, geometry).reshape(n, count, kernel[0], kernel[1], c)
        out = xp_of(x).ascontiguousarray(cols.transpose(0, 4, 2, 3, 1))
        out = out.reshape(n, c * kernel[0] * kernel[1], count)
        # a 1x1 kernel without padding or stride can read x as it lies: never hand out x
        return out.copy() if xp_of(x).may_share_memory(out, x) else out

    def backward(self, g: Any) -> Any:
        return run(Fold, g, kernel=self.kernel, geometry=self.geometry, shape=self.shape)


class Fold(Node):
    """x = the blocks ``cols`` (N, C * kh * kw, L) added back into an image of ``shape``."""

    saves = ()

    def forward(
        self,
        cols: Any,
        *,
        kernel: tuple[int, int],
        geometry: Geometry,
        shape: tuple[int, ...],
    ) -> Any:
        self.kernel, self.geometry = kernel, geometry
        n, c = shape[0], shape[1]
        # back to the convolution's (N * L, 1, kh * kw * C) windows for its col2im
        count = cols.shape[-1]  # L (sizes spelled out: -1 fails on an empty batch)
        windows = cols.reshape(n, c, kernel[0], kernel[1], count).transpose(0, 4, 2, 3, 1)
        windows = windows.reshape(n * count, 1, kernel[0] * kernel[1] * c)
        return col2im(windows, tuple(shape), kernel, geometry)

    def backward(self, g: Any) -> Any:
        return run(Unfold, g, kernel=self.kernel, geometry=self.geometry)


__all__ = ["Fold", "Unfold"]
