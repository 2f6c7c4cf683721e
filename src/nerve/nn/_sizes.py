"""Size arguments of the convolution and pooling functions: an int or a tuple, as torch takes."""

from __future__ import annotations

from typing import Any


def pair(value: Any, name: str, op: str) -> tuple[int, int]:
    """``3`` or ``(3,)`` as ``(3, 3)``; ``(2, 3)`` as is."""
    if isinstance(value, int):
        return (value, value)
    pair = tuple(int(v) for v in value)
    if len(pair) == 1:
        return (pair[0], pair[0])
    if len(pair) != 2:
        raise RuntimeError(f"{op}: {name} must either be a single int, or a tuple of two ints")
    return pair  # type: ignore[return-value]


def single(value: Any) -> int:
    """``3`` or ``(3,)`` as ``3`` (the 1-D functions)."""
    return int(value) if isinstance(value, int) else int(tuple(value)[0])
