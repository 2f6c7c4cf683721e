"""Reordering elements: flip, roll, and the triangles tril / triu."""

from __future__ import annotations

from typing import Any

from ..autograd.node import Node, apply, run
from ..backend.device import xp_of
from ..tensor import Tensor, _check_dim
from .shape import _sizes


class Flip(Node):
    saves = ()

    def forward(self, x: Any, axes: tuple[int, ...]) -> Any:
        self.axes = axes
        return xp_of(x).flip(x, axes)

    def backward(self, g: Any) -> Any:
        return run(Flip, g, axes=self.axes)


def flip(input: Tensor, *dims: Any) -> Tensor:
    """The elements in reverse order along ``dims``, as torch.flip.

    Example:
        >>> import nerve
        >>> nerve.flip(nerve.tensor([[1, 2], [3, 4]]), [1])
        tensor([[2, 1],
                [4, 3]])
    """
    axes = tuple(_check_dim(d, input._data.ndim, "flip") for d in _sizes(dims))
    return apply(Flip, input, axes=axes)


class Roll(Node):
    saves = ()

    def forward(self, x: Any, shifts: Any, axes: Any) -> Any:
        self.shifts, self.axes = shifts, axes
        return xp_of(x).roll(x, shifts, axes)

    def backward(self, g: Any) -> Any:
        negated = tuple(-s for s in self.shifts) if isinstance(self.shifts, tuple) else -self.shifts
        return run(Roll, g, shifts=negated, axes=self.axes)


def roll(input: Tensor, shifts: Any, dims: Any = None) -> Tensor:
    """Shift elements along ``dims`` cyclically (flattened when ``dims`` is None).

    Example:
        >>> import nerve
        >>> nerve.roll(nerve.tensor([1, 2, 3, 4]), 1)
        tensor([4, 1, 2, 3])
    """
    if dims is None:
        return apply(Roll, input.flatten(), shifts=shifts, axes=None).reshape(input.shape)
    shifts_t = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    dims_t = (dims,) if isinstance(dims, int) else tuple(dims)
    axes = tuple(_check_dim(d, input._data.ndim, "roll") for d in dims_t)
    return apply(Roll, input, shifts=shifts_t, axes=axes)


class Triangle(Node):
    saves = ()

    def forward(self, x: Any, diagonal: int, lower: bool) -> Any:
        self.diagonal, self.lower = diagonal, lower
        xp = xp_of(x)
        return xp.tril(x, diagonal) if lower else xp.triu(x, diagonal)

    def backward(self, g: Any) -> Any:
        return run(Triangle, g, diagonal=self.diagonal, lower=self.lower)


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle of the matrices (on and below the ``diagonal``), zeros above.

    Example:
        >>> import nerve
        >>> nerve.tril(nerve.ones(3, 3, dtype=nerve.int64))
        tensor([[1, 0, 0],
                [1, 1, 0],
                [1, 1, 1]])
    """
    if input._data.ndim < 2:
        raise RuntimeError("tril: input tensor must have at least 2 dimensions")
    return apply(Triangle, input, diagonal=diagonal, lower=True)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle of the matrices (on and above the ``diagonal``), zeros below.

    Example:
        >>> import nerve
        >>> nerve.triu(nerve.ones(3, 3, dtype=nerve.int64), diagonal=1)
        tensor([[0, 1, 1],
                [0, 0, 1],
                [0, 0, 0]])
    """
    if input._data.ndim < 2:
        raise RuntimeError("triu: input tensor must have at least 2 dimensions")
    return apply(Triangle, input, diagonal=diagonal, lower=False)
