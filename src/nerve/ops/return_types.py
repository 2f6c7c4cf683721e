"""torch.return_types: the named (values, indices) pairs that max/min with a dim, sort, topk,
kthvalue, median and mode return, printed as torch prints them."""

from __future__ import annotations

from collections import namedtuple
from typing import Any


def _pair(name: str) -> type:
    """A (values, indices) named tuple whose repr reads ``nerve.return_types.<name>(...)``."""
    base = namedtuple(name, ["values", "indices"])  # type: ignore[misc]

    def __repr__(self: Any) -> str:
        return f"nerve.return_types.{name}(\nvalues={self.values!r},\nindices={self.indices!r})"

    pair = type(name, (base,), {"__slots__": (), "__repr__": __repr__})
    pair.__module__ = "nerve.return_types"
    return pair


class return_types:  # noqa: N801 - torch's module name
    """torch.return_types' named tuples: ``values, indices = x.sort()`` or ``.values``.

    Example:
        >>> import nerve
        >>> x = nerve.tensor([1.0, 5.0, 3.0])
        >>> isinstance(nerve.topk(x, 1), nerve.return_types.topk), nerve.topk(x, 1).values
        (True, tensor([5.]))
        >>> nerve.tensor([[1.0, 3.0], [2.0, 0.0]]).max(dim=1)
        nerve.return_types.max(
        values=tensor([3., 2.]),
        indices=tensor([1, 0]))
    """

    max = _pair("max")
    min = _pair("min")
    sort = _pair("sort")
    topk = _pair("topk")
    kthvalue = _pair("kthvalue")
    median = _pair("median")
    mode = _pair("mode")
