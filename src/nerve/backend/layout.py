"""How an image batch (N, C, H, W) lies in memory: torch's two memory formats, as strides.

*Contiguous* (NCHW): each channel's plane in one block, the usual C order of the array.
*Channels-last* (NHWC): each pixel's channels side by side, the array a transposed view of a
C-ordered (N, H, W, C) one. The values, shape and indexing are the same either way; only the
strides differ, and with them which kernels run fast: a convolution's windows are copied and
multiplied channels-last (ops/conv_kernels.py), so a network whose layers hand each other
channels-last maps skips two transposing copies per convolution and per gradient.

Ops follow torch's rule: an output is channels-last when its input is (elementwise ops do so
through NumPy's ``order='K'``, convolutions and pools on purpose).

Example:
    >>> import numpy as np
    >>> from nerve.backend.layout import is_channels_last, to_channels_last
    >>> x = np.zeros((2, 3, 4, 5), np.float32)
    >>> is_channels_last(x), is_channels_last(to_channels_last(x))
    (False, True)
"""

from __future__ import annotations

from typing import Any

from .device import xp_of

CHANNELS_LAST = (0, 2, 3, 1)
"""The axes of an (N, C, H, W) array in the order a channels-last one lies in memory."""


def lies_in(a: Any, order: tuple[int, ...]) -> bool:
    """Whether ``a`` lies densely with its axes in ``order``, outermost first (C order is
    ``(0, 1, ..., ndim - 1)``); an array of another rank: False."""
    return a.ndim == len(order) and bool(a.transpose(order).flags.c_contiguous)


def laid_out(a: Any, order: tuple[int, ...]) -> Any:
    """A copy of ``a`` whose axes lie in memory in ``order`` (the same values and shape)."""
    inverse = tuple(order.index(axis) for axis in range(len(order)))
    return xp_of(a).ascontiguousarray(a.transpose(order)).transpose(inverse)


def is_channels_last(a: Any) -> bool:
    """Whether the 4-D ``a`` lies in memory as (N, H, W, C), densely (torch's
    ``is_contiguous(memory_format=torch.channels_last)``: true of both layouts when C is 1 or
    the image is 1x1)."""
    return lies_in(a, CHANNELS_LAST)


def prefers_channels_last(a: Any) -> bool:
    """Whether ``a`` is channels-last and not also contiguous (torch's
    ``suggest_memory_format``): the layout an op's output takes after it."""
    return a.ndim == 4 and not a.flags.c_contiguous and is_channels_last(a)


def to_channels_last(a: Any) -> Any:
    """``a`` (N, C, H, W) as it is when channels-last already, else a channels-last copy."""
    return a if is_channels_last(a) else laid_out(a, CHANNELS_LAST)


def in_layout(a: Any, channels_last: bool) -> Any:
    """``a`` (N, C, H, W) channels-last when ``channels_last``, else as it is."""
    return to_channels_last(a) if channels_last else a


def empty(
    shape: tuple[int, ...], dtype: Any, channels_last: bool, xp: Any, fill: Any = None
) -> Any:
    """An (N, C, H, W) array of ``shape``, channels-last when asked: uninitialized, or zeros
    with ``fill=xp.zeros``."""
    make = xp.empty if fill is None else fill
    if not channels_last:
        return make(shape, dtype=dtype)
    n, c, h, w = shape
    return make((n, h, w, c), dtype=dtype).transpose(0, 3, 1, 2)
