"""Resizing images and sequences: ``F.interpolate`` and ``nn.Upsample`` (nearest, linear and
bilinear, with torch's coordinate rules, ``align_corners`` included).

Interpolation is separable: each output row reads one (nearest) or two (linear) input rows,
and likewise for columns. Both are written with existing ops, so gradients and double
backward are theirs:

* nearest: an integer factor repeats each pixel (a broadcast and a reshape, whose gradient
  is a sum); any other size indexes the rows and columns it reads;
* linear: one small (out, in) interpolation matrix per dimension, applied by a matrix product
  (``rows @ x @ columns^T``); for long dimensions, where that matrix would be large, two
  gathered neighbours mixed by their weights instead.

``nn.PixelShuffle`` and ``nn.PixelUnshuffle`` (sub-pixel upsampling, its inverse) are here too;
their functions are in functional_shape.py.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..tensor import Tensor
from .functional_shape import channel_shuffle, pixel_shuffle, pixel_unshuffle
from .module import Module

_MODES = ("nearest", "linear", "bilinear")
_LINEAR = {"linear": 3, "bilinear": 4}
# Beyond this many matrix entries, linear interpolation gathers neighbours instead.
_DENSE_LIMIT = 1 << 16


def _output_sizes(
    input: Tensor, size: Any, scale_factor: Any, dims: int
) -> tuple[tuple[int, ...], tuple[float | None, ...]]:
    """The output's spatial sizes, and the scale factors given (None where the size was)."""
    spatial = tuple(input._data.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if size is not None:
        sizes = (
            tuple(int(s) for s in size) if isinstance(size, (tuple, list)) else (int(size),) * dims
        )
        if len(sizes) != dims:
            raise ValueError(
                "Input and output must have the same number of spatial dimensions, but got "
                f"input with spatial dimensions of {list(spatial)} and output size of "
                f"{tuple(size)}. Please provide input tensor in (N, C, d1, d2, ...,dK) format "
                "and output size in (o1, o2, ...,oK) format."
            )
        return sizes, (None,) * dims
    factors = (
        tuple(float(s) for s in scale_factor)
        if isinstance(scale_factor, (tuple, list))
        else (float(scale_factor),) * dims
    )
    if len(factors) != dims:
        raise ValueError(
            "Input and scale_factor must have the same number of spatial dimensions, but got "
            f"input with spatial dimensions of {list(spatial)} and scale_factor of shape "
            f"{tuple(scale_factor)}."
        )
    if any(not math.isfinite(f) or f <= 0 for f in factors):
        raise ValueError(f"interpolate: scale_factor must be positive and finite, got {factors}")
    return tuple(math.floor(n * f) for n, f in zip(spatial, factors)), factors


def interpolate(
    input: Tensor,
    size: Any = None,
    scale_factor: Any = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """Resize (N, C, L) or (N, C, H, W) ``input`` to ``size`` or by ``scale_factor``:
    ``mode`` 'nearest' (3-D and 4-D), 'linear' (3-D) or 'bilinear' (4-D). With
    ``align_corners`` the corner pixels' centres of input and output coincide.

    Example:
        >>> import nerve
        >>> x = nerve.tensor([[[[1.0, 2.0]]]])
        >>> nerve.nn.functional.interpolate(x, scale_factor=2).tolist()
        [[[[1.0, 1.0, 2.0, 2.0], [1.0, 1.0, 2.0, 2.0]]]]
    """
    ndim = input._data.ndim
    if mode not in _MODES or ndim not in (3, 4):
        raise NotImplementedError(
            f"Input Error: Only 3D and 4D input Tensors supported (got {ndim}D) for the modes: "
            f"{' | '.join(_MODES)} (got {mode})"
        )
    if mode in _LINEAR and ndim != _LINEAR[mode]:
        raise NotImplementedError(
            f"Got {ndim}D input, but {mode} mode needs {_LINEAR[mode]}D input"
        )
    if align_corners is not None and mode not in _LINEAR:
        raise ValueError(
            "align_corners option can only be set with the interpolating modes: linear | "
            "bilinear | bicubic | trilinear"
        )
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not supported by nerve")
    dims = ndim - 2
    sizes, factors = _output_sizes(input, size, scale_factor, dims)
    spatial = tuple(input._data.shape[2:])
    if min(sizes) <= 0 or min(spatial) <= 0:
        names = ("H", "W")[-dims:] if dims == 2 else ("W",)
        raise RuntimeError(
            "Input and output sizes should be greater than 0, but got input ("
            + ", ".join(f"{k}: {n}" for k, n in zip(names, spatial))
            + ") output ("
            + ", ".join(f"{k}: {n}" for k, n in zip(names, sizes))
            + ")"
        )
    if recompute_scale_factor:
        factors = (None,) * dims  # the coordinates follow the sizes, as if size were given
    out = input
    for axis, (n, o, f) in enumerate(zip(spatial, sizes, factors)):
        position = ndim - dims + axis
        if mode == "nearest":
            out = _nearest(out, position, n, o, f)
        else:
            out = _linear(out, position, n, o, f, bool(align_corners))
    return out


def _nearest(x: Tensor, axis: int, n: int, out: int, factor: float | None) -> Tensor:
    """Nearest neighbour along ``axis``: output i reads floor(i * scale) (in float32, as
    torch computes it), clipped to the last input."""
    if out == n:
        return x
    scale = np.float32(1.0 / factor if factor is not None else n / out)
    source = np.minimum(np.floor(np.arange(out, dtype=np.float32) * scale), n - 1).astype(np.int64)
    if out % n == 0 and np.array_equal(source, np.arange(out) // (out // n)):
        # an integer factor: each input repeated, as a broadcast (its gradient is a sum)
        repeat = out // n
        shape = list(x.shape)
        expanded = x.unsqueeze(axis + 1).expand(*shape[: axis + 1], repeat, *shape[axis + 1 :])
        return expanded.reshape(*shape[:axis], out, *shape[axis + 1 :])
    key = (slice(None),) * axis + (Tensor._make(x.device.xp.asarray(source)),)
    return x[key]


def _linear(
    x: Tensor, axis: int, n: int, out: int, factor: float | None, align_corners: bool
) -> Tensor:
    """Linear interpolation along ``axis`` (torch's source coordinates)."""
    if align_corners:
        source = np.arange(out) * ((n - 1) / (out - 1) if out > 1 else 0.0)
    else:
        scale = 1.0 / factor if factor is not None else n / out
        source = np.maximum((np.arange(out) + 0.5) * scale - 0.5, 0.0)
    low = np.minimum(np.floor(source).astype(np.int64), n - 1)
    high = np.minimum(low + 1, n - 1)
    weight = source - low
    xp, dtype = x.device.xp, x._data.dtype
    last = axis == x._data.ndim - 1
    if n * out <= _DENSE_LIMIT:
        matrix = np.zeros((out, n))
        np.add.at(matrix, (np.arange(out), low), 1 - weight)
        np.add.at(matrix, (np.arange(out), high), weight)
        m = Tensor._make(xp.asarray(matrix.astype(dtype)))
        return x @ m.mT if last else m @ x
    shape = (-1,) if last else (-1, 1)
    w = Tensor._make(xp.asarray(weight.astype(dtype).reshape(shape)))
    lead = (slice(None),) * axis
    below = x[lead + (Tensor._make(xp.asarray(low)),)]
    above = x[lead + (Tensor._make(xp.asarray(high)),)]
    return below + (above - below) * w


class Upsample(Module):
    """Resize its input with :func:`interpolate` (``size`` or ``scale_factor``, ``mode``).

    Example:
        >>> import nerve
        >>> nerve.nn.Upsample(scale_factor=2, mode="bilinear")(nerve.randn(1, 3, 4, 4)).shape
        nerve.Size([1, 3, 8, 8])
    """

    def __init__(
        self,
        size: Any = None,
        scale_factor: Any = None,
        mode: str = "nearest",
        align_corners: bool | None = None,
        recompute_scale_factor: bool | None = None,
    ) -> None:
        super().__init__()
        self.size, self.mode, self.align_corners = size, mode, align_corners
        if isinstance(scale_factor, (tuple, list)):
            self.scale_factor: Any = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor is not None else None
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:
        return interpolate(
            input,
            self.size,
            self.scale_factor,
            self.mode,
            self.align_corners,
            self.recompute_scale_factor,
        )

    def extra_repr(self) -> str:
        if self.scale_factor is not None:
            info = f"scale_factor={self.scale_factor!r}"
        else:
            info = f"size={self.size!r}"
        return f"{info}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """Nearest-neighbour upsampling of images (``Upsample(mode='nearest')``).

    Example:
        >>> import nerve
        >>> x = nerve.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
        >>> nerve.nn.UpsamplingNearest2d(scale_factor=2)(x)
        tensor([[[[1., 1., 2., 2.],
                  [1., 1., 2., 2.],
                  [3., 3., 4., 4.],
                  [3., 3., 4., 4.]]]])
    """

    def __init__(self, size: Any = None, scale_factor: Any = None) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Bilinear upsampling of images with ``align_corners=True`` (as torch's).

    Example:
        >>> import nerve
        >>> x = nerve.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
        >>> nerve.nn.UpsamplingBilinear2d(size=(3, 3))(x)
        tensor([[[[1.0000, 1.5000, 2.0000],
                  [2.0000, 2.5000, 3.0000],
                  [3.0000, 3.5000, 4.0000]]]])
    """

    def __init__(self, size: Any = None, scale_factor: Any = None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


class PixelShuffle(Module):
    """(*, C r^2, H, W) -> (*, C, H r, W r): sub-pixel upsampling (``F.pixel_shuffle``).

    Example:
        >>> import nerve
        >>> nerve.nn.PixelShuffle(2)(nerve.zeros(1, 8, 3, 3)).shape
        nerve.Size([1, 2, 6, 6])
    """

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """(*, C, H r, W r) -> (*, C r^2, H, W), the inverse of :class:`PixelShuffle`.

    Example:
        >>> import nerve
        >>> nerve.nn.PixelUnshuffle(2)(nerve.zeros(1, 2, 6, 6)).shape
        nerve.Size([1, 8, 3, 3])
    """

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input: Tensor) -> Tensor:
        return pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"


class ChannelShuffle(Module):
    """Interleaves ``groups`` groups of channels of (N, C, *) inputs (``F.channel_shuffle``).

    Example:
        >>> import nerve
        >>> nerve.nn.ChannelShuffle(2)(nerve.arange(4.0).reshape(1, 4, 1)).flatten()
        tensor([0., 2., 1., 3.])
    """

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, input: Tensor) -> Tensor:
        return channel_shuffle(input, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"
