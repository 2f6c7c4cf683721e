"""The few calls a backward formula spells differently for arrays and for tensors.

An op's backward is written once (``autograd/node.py``): it runs on raw arrays when the backward
pass is not recorded and on tensors under ``create_graph``. Python's operators (``+ - * / @ **``,
comparisons, ``&``, indexing, ``.reshape``, ``.shape``) already mean the same on both, and a
formula that needs another op calls ``run(Op, ...)``. What is left is here: summing a gradient
back to an operand's shape, broadcasting, dtype casts, 2-D products and constants.

Example, the derivative of ``a * b`` for broadcast operands::

    return sum_to(g * b, a_shape), sum_to(g * a, b_shape)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ..autograd.node import run
from ..backend.blas import matmul2d
from ..backend.device import xp_of
from ..backend.layout import prefers_channels_last
from ..backend.reductions import total
from ..tensor import Tensor
from .broadcast import broadcast_axes


def data(x: Any) -> Any:
    """The array behind ``x`` (a tensor or an array): for masks and shapes that need no
    gradient."""
    return x._data if isinstance(x, Tensor) else x


def shape_of(x: Any) -> tuple[int, ...]:
    return data(x).shape


def const(array: Any, like: Any) -> Any:
    """A constant ``array`` (a mask, a one-hot table) in the kind of ``like``."""
    return Tensor._make(array) if isinstance(like, Tensor) else array


def sum_to(grad: Any, shape: Sequence[int] | None) -> Any:
    """Reduce ``grad`` to ``shape`` by summing over the dimensions that broadcasting added or
    stretched: the gradient of a broadcast operand (None for a Python scalar operand)."""
    if shape is None or grad is None:
        return None
    shape = tuple(shape)
    source = shape_of(grad)
    if source == shape:
        return grad
    axes = broadcast_axes(source, shape)
    if axes:
        grad = sum(grad, axes, keepdim=True)
    return grad.reshape(shape) if shape_of(grad) != shape else grad


def sum(x: Any, axes: tuple[int, ...] | None, keepdim: bool = False) -> Any:  # noqa: A001
    """Sum over ``axes`` (all of them when None)."""
    if isinstance(x, Tensor):
        return x.sum(dim=axes, keepdim=keepdim)
    return total(x, axes, keepdim)


def sum_per_channel(x: Any) -> Any:
    """The sum of (N, C, ...) over every axis but the channels (a convolution's bias
    gradient): over the images first, whole planes added at once, then over each plane's
    pixels. NumPy's one call over axes (0, 2, 3) walks the array in short strided runs and
    measured 2.1-2.6x slower on C1's and C2's layers (22.6 against 8.8 us on 32x16x8x8).
    A channels-last array is summed in its own order, as (N, pixels, C), in the same two
    stages (its reshape to planes would be a copy)."""
    shape = shape_of(x)
    if not isinstance(x, Tensor) and prefers_channels_last(x):
        pixels = x.transpose(0, 2, 3, 1).reshape((shape[0], shape[2] * shape[3], shape[1]))
        return sum(sum(pixels, (0,)), (0,))
    planes = x.reshape((shape[0], shape[1], math.prod(shape[2:])))  # (no -1: an empty batch)
    return sum(sum(planes, (0,)), (1,))


def expand(x: Any, shape: tuple[int, ...]) -> Any:
    """``x`` broadcast to ``shape`` (a read-only view for arrays: a leaf keeping it gets a
    copy from the engine)."""
    return x.expand(shape) if isinstance(x, Tensor) else xp_of(x).broadcast_to(x, shape)


def unreduce(g: Any, shape: tuple[int, ...], axes: tuple[int, ...] | None, keepdim: bool) -> Any:
    """Broadcast a reduction's gradient back over the reduced axes."""
    if not keepdim:
        kept = tuple(1 if axes is None or i in axes else n for i, n in enumerate(shape))
        g = g.reshape(kept)
    return expand(g, shape)


def cast(x: Any, like: Any) -> Any:
    """``x`` (a bool mask, say) in the dtype of ``like``."""
    if isinstance(x, Tensor):
        return x.to(like.dtype)
    return x.astype(like.dtype)


def mT(x: Any) -> Any:
    """The last two dimensions swapped."""
    if isinstance(x, Tensor):
        return x.mT
    return x.T if x.ndim == 2 else x.swapaxes(-1, -2)


def mm(a: Any, b: Any) -> Any:
    """The product of two matrices (2-D): for arrays ``ndarray.dot`` (the same product as
    ``@`` with half its call overhead), or MKL's for large ones (``backend.blas``)."""
    return a @ b if isinstance(a, Tensor) else matmul2d(a, b)


def where(condition: Any, a: Any, b: Any) -> Any:
    """``a`` where ``condition`` holds, else ``b`` (either may be a number)."""
    from .compare import Where

    return run(Where, condition, a, b)


__all__ = ["cast", "const", "data", "expand", "mT", "mm", "run", "shape_of", "sum", "sum_to"]
__all__ += ["sum_per_channel", "unreduce", "where"]
