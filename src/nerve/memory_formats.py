"""torch's memory formats: the order in which a tensor's values lie in memory.

A 4-D image batch (N, C, H, W) is ``contiguous_format`` (each channel's plane in one block)
or ``channels_last`` (each pixel's channels side by side: NHWC in memory); a 5-D volume
(N, C, D, H, W) may be ``channels_last_3d``. The values, shape and indexing are the same in
every format, only the strides differ. ``preserve_format`` (the default of ``clone``) keeps
the input's.

Ops follow torch's rule: a convolution or pool of a channels-last input is channels-last, and
elementwise ops keep their input's layout; ``nn.Sequential`` runs its convolutions on
channels-last maps by itself where that is faster (nn/channels_last.py).

Example:
    >>> import nerve
    >>> x = nerve.zeros(2, 3, 4, 4).contiguous(memory_format=nerve.channels_last)
    >>> x.is_contiguous(), x.is_contiguous(memory_format=nerve.channels_last), x.stride()
    (False, True, (48, 1, 12, 3))
"""

from __future__ import annotations

from typing import Any

from .backend.layout import lies_in

__all__ = [
    "channels_last",
    "channels_last_3d",
    "contiguous_format",
    "memory_format",
    "preserve_format",
]


class memory_format:  # noqa: N801 - torch's name
    """One of torch's memory formats (the module's constants are its only instances).

    Example:
        >>> import nerve
        >>> nerve.channels_last
        nerve.channels_last
    """

    def __init__(self, name: str, rank: int = 0) -> None:
        self._name, self.rank = name, rank

    def __repr__(self) -> str:
        return f"nerve.{self._name}"

    def __reduce__(self) -> str:  # copies and pickles are the module's constant
        return self._name

    def permutation(self) -> tuple[int, ...]:
        """The axes in the order they lie in memory, outermost first: (0, 2, 3, 1) for
        channels_last (N, H, W, C).

        Example:
            >>> import nerve
            >>> nerve.channels_last.permutation()
            (0, 2, 3, 1)
        """
        return (0, *range(2, self.rank), 1)


contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last", rank=4)
channels_last_3d = memory_format("channels_last_3d", rank=5)


def check(format: Any, name: str = "memory_format") -> memory_format:
    """``format`` if it is a memory format, else torch's TypeError."""
    if not isinstance(format, memory_format):
        raise TypeError(
            f"{name} must be nerve.contiguous_format, nerve.channels_last, "
            f"nerve.channels_last_3d or nerve.preserve_format, not {format!r}"
        )
    return format


def is_in(array: Any, format: memory_format) -> bool:
    """Whether ``array`` lies densely in ``format`` (torch's ``is_contiguous(format)``; a
    format of another rank: False)."""
    if format.rank == 0:
        return bool(array.flags.c_contiguous)
    return lies_in(array, format.permutation())


def suggested(array: Any) -> memory_format:
    """The format ``array`` is in: a channels-last one when it is that and not also
    contiguous (torch's ``suggest_memory_format``), else contiguous."""
    if array.flags.c_contiguous:
        return contiguous_format
    for format in (channels_last, channels_last_3d):
        if is_in(array, format):
            return format
    return contiguous_format


def resolve(array: Any, format: memory_format, op: str) -> memory_format:
    """The concrete format of ``format`` for ``array`` (``preserve_format``: its own), after
    torch's check that a channels-last format fits the rank."""
    if format is preserve_format:
        return suggested(array)
    if format.rank and array.ndim != format.rank:
        raise RuntimeError(
            f"{op}: required rank {format.rank} tensor to use {format._name} format, got a "
            f"{array.ndim}-dimensional tensor"
        )
    return format
