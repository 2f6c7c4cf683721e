"""Broadcasting's shapes: which axes it stretched (the gradient of a broadcast operand is summed
over them, ``dual.sum_to``) and the broadcast shape of several operands, with a clear error."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def broadcast_axes(source: tuple[int, ...], shape: tuple[int, ...]) -> tuple[int, ...]:
    """The axes of ``source`` that broadcasting ``shape`` to it added or stretched."""
    lead = len(source) - len(shape)
    return tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and source[lead + i] != 1
    )


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
