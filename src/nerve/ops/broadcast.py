"""Un-broadcasting, in one place: the gradient of a broadcast operand is the output's
gradient summed over the dimensions that broadcasting added or stretched."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..tensor import Tensor


def broadcast_axes(source: tuple[int, ...], shape: tuple[int, ...]) -> tuple[int, ...]:
    """The axes of ``source`` that broadcasting ``shape`` to it added or stretched."""
    lead = len(source) - len(shape)
    return tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and source[lead + i] != 1
    )


def sum_to(grad: Tensor, shape: Sequence[int] | None) -> Tensor | None:
    """Reduce ``grad`` to ``shape`` (None for a Python scalar operand: no gradient)."""
    if shape is None:
        return None
    shape = tuple(shape)
    if grad._data.shape == shape:
        return grad
    axes = broadcast_axes(grad._data.shape, shape)
    if axes:
        grad = grad.sum(dim=axes, keepdim=True)
    return grad.reshape(shape) if grad._data.shape != shape else grad


def sum_to_array(grad: Any, shape: Sequence[int] | None) -> Any:
    """:func:`sum_to` on a raw array (the engine's fast path)."""
    if shape is None:
        return None
    shape = tuple(shape)
    if grad.shape == shape:
        return grad
    axes = broadcast_axes(grad.shape, shape)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


def broadcast_shape(op: str, *shapes: Sequence[int]) -> tuple[int, ...]:
    """The broadcast shape, or an error that names the op and both shapes."""
    try:
        return tuple(np.broadcast_shapes(*[tuple(s) for s in shapes]))
    except ValueError:
        listed = " and ".join(str(list(s)) for s in shapes)
        raise RuntimeError(
            f"{op}: shapes {listed} cannot be broadcast together; each dimension must match "
            "or be 1 (counting from the right)"
        ) from None


def shape_of(x: object) -> tuple[int, ...] | None:
    return x.shape if hasattr(x, "shape") else None
