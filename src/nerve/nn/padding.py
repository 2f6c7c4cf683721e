"""Padding layers (torch.nn's ZeroPad, ConstantPad, ReflectionPad, ReplicationPad and
CircularPad in 1-D and 2-D): each calls ``F.pad`` with its mode, widths and value."""

from __future__ import annotations

from collections.abc import Sequence

from ..ops.pad import pad
from ..tensor import Tensor
from .module import Module

__all__ = [
    "CircularPad1d",
    "CircularPad2d",
    "ConstantPad1d",
    "ConstantPad2d",
    "ReflectionPad1d",
    "ReflectionPad2d",
    "ReplicationPad1d",
    "ReplicationPad2d",
    "ZeroPad1d",
    "ZeroPad2d",
]


class _Pad(Module):
    """Pads the last ``dims`` dimensions in ``mode``: ``padding`` an int (every side) or the
    widths as ``F.pad`` takes them, (left, right[, top, bottom])."""

    dims = 1
    mode = "constant"  # (with zeros, unless a subclass holds a value)

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__()
        if isinstance(padding, int):
            padding = (padding,) * (2 * self.dims)
        self.padding = tuple(padding)

    def forward(self, input: Tensor) -> Tensor:
        return pad(input, self.padding, self.mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPad(_Pad):
    """Pads with ``value``."""

    def __init__(self, padding: int | Sequence[int], value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ZeroPad1d(_Pad):
    """Zeros on both ends of the last dimension.

    Example:
        >>> import nerve
        >>> nerve.nn.ZeroPad1d((1, 2))(nerve.tensor([[1.0, 2.0]]))
        tensor([[0., 1., 2., 0., 0.]])
    """


class ZeroPad2d(ZeroPad1d):
    """Zeros around each image: (left, right, top, bottom).

    Example:
        >>> import nerve
        >>> nerve.nn.ZeroPad2d(1)(nerve.ones(1, 1, 1, 1))
        tensor([[[[0., 0., 0.],
                  [0., 1., 0.],
                  [0., 0., 0.]]]])
    """

    dims = 2


class ConstantPad1d(_ConstantPad):
    """``value`` on both ends of the last dimension.

    Example:
        >>> import nerve
        >>> nerve.nn.ConstantPad1d(1, 9.0)(nerve.tensor([[1.0, 2.0]]))
        tensor([[9., 1., 2., 9.]])
    """


class ConstantPad2d(ConstantPad1d):
    """``value`` around each image: (left, right, top, bottom).

    Example:
        >>> import nerve
        >>> nerve.nn.ConstantPad2d((1, 0, 0, 0), -1.0)(nerve.ones(1, 1, 1, 1))
        tensor([[[[-1.,  1.]]]])
    """

    dims = 2


class ReflectionPad1d(_Pad):
    """The values mirrored at each end (the edge itself not repeated).

    Example:
        >>> import nerve
        >>> nerve.nn.ReflectionPad1d(2)(nerve.tensor([[[1.0, 2.0, 3.0]]]))
        tensor([[[3., 2., 1., 2., 3., 2., 1.]]])
    """

    mode = "reflect"


class ReflectionPad2d(ReflectionPad1d):
    """Each image mirrored at its borders: (left, right, top, bottom).

    Example:
        >>> import nerve
        >>> nerve.nn.ReflectionPad2d(1)(nerve.tensor([[[[1.0, 2.0], [3.0, 4.0]]]]))[0, 0, 0]
        tensor([4., 3., 4., 3.])
    """

    dims = 2


class ReplicationPad1d(_Pad):
    """The edge values repeated.

    Example:
        >>> import nerve
        >>> nerve.nn.ReplicationPad1d((2, 1))(nerve.tensor([[[1.0, 2.0]]]))
        tensor([[[1., 1., 1., 2., 2.]]])
    """

    mode = "replicate"


class ReplicationPad2d(ReplicationPad1d):
    """Each image's edge pixels repeated outwards: (left, right, top, bottom).

    Example:
        >>> import nerve
        >>> nerve.nn.ReplicationPad2d((1, 0, 0, 0))(nerve.tensor([[[[1.0, 2.0]]]]))
        tensor([[[[1., 1., 2.]]]])
    """

    dims = 2


class CircularPad1d(_Pad):
    """The values wrapped around (the other end's values).

    Example:
        >>> import nerve
        >>> nerve.nn.CircularPad1d(1)(nerve.tensor([[[1.0, 2.0, 3.0]]]))
        tensor([[[3., 1., 2., 3., 1.]]])
    """

    mode = "circular"


class CircularPad2d(CircularPad1d):
    """Each image wrapped around at its borders: (left, right, top, bottom).

    Example:
        >>> import nerve
        >>> nerve.nn.CircularPad2d((1, 0, 0, 0))(nerve.tensor([[[[1.0, 2.0]]]]))
        tensor([[[[2., 1., 2.]]]])
    """

    dims = 2
