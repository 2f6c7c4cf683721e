"""Indexing: ``x[...]`` with slices, ints, None, Ellipsis, integer tensors and boolean masks;
``x[...] = v``; gather, index_select, masked_fill, nonzero (scatters: ``ops/scatter.py``).

The gradient of reading ``x[key]`` scatters back with addition, so an index repeated in an
integer index accumulates, as in torch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.node import Node, apply, run
from ..backend import dtypes
from ..backend.device import xp_of
from ..backend.select import select
from ..tensor import Tensor, _check_dim
from .dual import const, data, shape_of, sum_to
from .dual import sum as dual_sum
from .shape import as_view


def _raw_key(key: Any) -> tuple[Any, bool]:
    """The key with tensors replaced by arrays, and whether it uses advanced indexing."""
    items = key if isinstance(key, tuple) else (key,)
    raw, advanced = [], False
    for item in items:
        if isinstance(item, Tensor):
            if item._data.dtype.kind == "f":
                raise IndexError(
                    "tensors used as indices must be long, int, byte or bool tensors, got "
                    f"{item.dtype}"
                )
            item, advanced = item._data, True
        elif isinstance(item, (list, tuple)) or hasattr(item, "__array__"):
            import numpy as np

            item = np.asarray(item)
            if item.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            advanced = True
        elif isinstance(item, float):
            raise IndexError(
                "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables "
                f"are valid indices (got float {item})"
            )
        raw.append(item)
    return tuple(raw), advanced


# The fewest values summed into rows by sorting (rows_summed_at) rather than NumPy's add.at,
# which adds them one by one: measured on one thread, 128 rows of 64 values 73 -> 45 us, an
# embedding's 8,192 rows of 64 into 100 5.8 -> 1.0 ms, 64 rows of 8 slower (12 -> 14 us).
MIN_SORTED_VALUES = 2048


def rows_summed_at(xp: Any, shape: tuple[int, ...], rows: Any, values: Any) -> Any:
    """A new array of ``shape``: zeros, plus ``values[i]`` added into row ``rows[i]`` for each
    i (repeated rows accumulate), for ``rows`` a 1-D integer array indexing the first axis.

    With many values (:data:`MIN_SORTED_VALUES`) on NumPy the rows are sorted (stably) and
    each run of equal rows summed by one ``add.reduceat``: the sums of add.at up to rounding
    (measured more accurate: NumPy sums each run pairwise where add.at adds in turn).

    Example:
        >>> import numpy as np
        >>> rows_summed_at(np, (3, 2), np.array([2, 0, 2]), np.ones((3, 2)))
        array([[1., 1.],
               [0., 0.],
               [2., 2.]])
    """
    n = shape[0] if shape else 0
    if (
        xp is not np
        or values.size < MIN_SORTED_VALUES
        or not _integer_vector(rows)
        or len(rows) < 2
        or values.shape != rows.shape + tuple(shape[1:])
        or not -n <= int(rows.min()) <= int(rows.max()) < n  # (add.at raises the IndexError)
    ):
        out = xp.zeros(shape, dtype=values.dtype)
        index_add_into(xp, out, rows, values)
        return out
    rows = rows.astype(np.intp, copy=False) % n  # -1 and n - 1 are one row (in range, checked)
    order = np.argsort(rows, kind="stable")
    ordered = rows[order]
    starts_run = np.empty(len(ordered), dtype=bool)
    starts_run[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=starts_run[1:])
    starts = np.flatnonzero(starts_run)
    out = np.zeros(shape, dtype=values.dtype)
    out[ordered[starts]] = np.add.reduceat(values[order], starts, axis=0)
    return out


def _integer_vector(item: Any) -> bool:
    return getattr(item, "ndim", None) == 1 and item.dtype.kind in "iu"


def index_add_into(xp: Any, target: Any, key: Any, values: Any) -> None:
    """``target[key] += values`` with repeated indices accumulating (NumPy's add.at)."""
    if hasattr(xp.add, "at"):  # NumPy, and CuPy >= 13
        xp.add.at(target, key, values)
    else:
        import cupyx  # type: ignore[import-not-found]

        cupyx.scatter_add(target, key, values)


class GetItem(Node):
    saves = ()

    def forward(self, x: Any, key: Any, advanced: bool) -> Any:
        self.key, self.advanced, self.shape = key, advanced, x.shape
        if not advanced and Ellipsis not in key:
            # x[0] of a vector: a 0-d view (NumPy would return a copied scalar), as torch
            return x[(*key, Ellipsis)]
        return x[key]

    def backward(self, g: Any) -> Any:
        return run(IndexBackward, g, key=self.key, advanced=self.advanced, shape=self.shape)


class IndexBackward(Node):
    """Scatter a gradient into zeros shaped like the indexed tensor (differentiable: its own
    gradient is indexing again)."""

    saves = ()

    def forward(self, g: Any, key: Any, advanced: bool, shape: tuple[int, ...]) -> Any:
        self.key, self.advanced = key, advanced
        xp = xp_of(g)
        if advanced and len(key) == 1 and _integer_vector(key[0]) and shape:  # x[indices]
            return rows_summed_at(xp, shape, key[0], g)
        out = xp.zeros(shape, dtype=g.dtype)
        if advanced:
            index_add_into(xp, out, key, g)
        else:
            out[key] = g
        return out

    def backward(self, g: Any) -> Any:
        return run(GetItem, g, key=self.key, advanced=self.advanced)


def getitem(input: Tensor, key: Any) -> Tensor:
    raw, advanced = _raw_key(key)
    try:
        result = apply(GetItem, input, key=raw, advanced=advanced)
    except IndexError as error:
        raise IndexError(f"{error} (indexing a tensor of shape {list(input.shape)})") from None
    return result if advanced else as_view(result, input, lambda t: getitem(t, key))


class SetItem(Node):
    """``x[key] = value`` recorded: the old values under ``key`` get no gradient."""

    saves = ()

    def forward(self, x: Any, value: Any, key: Any, advanced: bool) -> Any:
        self.key, self.advanced = key, advanced
        self.value_shape = getattr(value, "shape", None)
        out = x.copy()
        out[key] = value
        return out

    def backward(self, g: Any) -> tuple[Any, Any]:
        need_x, need_value = self.needs_input_grad
        gx = gv = None
        if need_x:
            mask = xp_of(data(g)).ones(shape_of(g), dtype=bool)
            mask[self.key] = False
            gx = g * const(mask, g)
        if need_value:
            gv = sum_to(run(GetItem, g, key=self.key, advanced=self.advanced), self.value_shape)
        return gx, gv


def setitem(input: Tensor, key: Any, value: Any) -> None:
    """Write ``value`` into ``input[key]`` in place (recorded when gradients are needed)."""
    from .inplace import write_inplace

    raw, advanced = _raw_key(key)
    if isinstance(value, Tensor) and value.dtype is not input.dtype:
        value = value.to(input.dtype)
    raw_value = value._data if isinstance(value, Tensor) else value

    def direct(data: Any) -> None:
        data[raw] = raw_value

    def recorded(shadow: Tensor) -> Tensor:
        return apply(SetItem, shadow, value, key=raw, advanced=advanced)

    write_inplace(input, (value,), recorded, direct)


def _along_axis(index: Any, axis: int) -> tuple[Any, ...]:
    """Full advanced-index tuple selecting ``index`` along ``axis`` (the others by position),
    broadcast to the index's shape so that every entry has the same shape."""
    xp = xp_of(index)
    grids = []
    for d, n in enumerate(index.shape):
        if d == axis:
            grids.append(index)
        else:
            shape = [1] * index.ndim
            shape[d] = n
            grids.append(xp.broadcast_to(xp.arange(n).reshape(shape), index.shape))
    return tuple(grids)


def _check_index(index: Tensor, op: str) -> None:
    if not isinstance(index, Tensor) or index._data.dtype.kind not in "iu":
        raise RuntimeError(f"{op}(): Expected dtype int64 for index")


def gather(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """``out[i][j] = input[i][index[i][j]]`` for dim=1 (torch.gather).

    Example:
        >>> import nerve
        >>> x = nerve.tensor([[1, 2], [3, 4]])
        >>> nerve.gather(x, 1, nerve.tensor([[0, 0], [1, 0]]))
        tensor([[1, 1],
                [4, 3]])
    """
    _check_index(index, "gather")
    axis = _check_dim(dim, input._data.ndim, "gather")
    if index._data.ndim != input._data.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    return apply(GetItem, input, key=_along_axis(index._data, axis), advanced=True)


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """The entries at ``index`` (a 1-D integer tensor) along ``dim``, as torch.index_select.

    Example:
        >>> import nerve
        >>> x = nerve.tensor([[1, 2, 3], [4, 5, 6]])
        >>> nerve.index_select(x, 1, nerve.tensor([2, 0]))
        tensor([[3, 1],
                [6, 4]])
    """
    axis = _check_dim(dim, input._data.ndim, "index_select")
    if index._data.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    _check_index(index, "index_select")
    return getitem(input, (slice(None),) * axis + (index.reshape(-1),))


class MaskedFill(Node):
    saves = ()

    def forward(self, x: Any, mask: Any, value: Any) -> Any:
        self.mask = mask
        return select(mask, value, x).astype(x.dtype, copy=False)  # (branch-free when large)

    def backward(self, g: Any) -> tuple[Any, None, Any]:
        need_x, _, need_value = self.needs_input_grad
        mask = const(self.mask, g)
        gx = run(MaskedFill, g, mask, 0.0) if need_x else None
        gv = dual_sum(g * mask, None) if need_value else None
        return gx, None, gv


def masked_fill(input: Tensor, mask: Tensor, value: Any) -> Tensor:
    """``input`` with ``value`` where ``mask`` is True (mask broadcasts).

    Example:
        >>> import nerve
        >>> x = nerve.tensor([1.0, -2.0, 3.0])
        >>> nerve.masked_fill(x, x < 0, 0.0)
        tensor([1., 0., 3.])
    """
    if not isinstance(mask, Tensor) or mask._data.dtype.kind != "b":
        raise RuntimeError(
            "masked_fill_ only supports boolean masks, but got mask with dtype "
            f"{getattr(mask, 'dtype', type(mask).__name__)}"
        )
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(
                "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                f"{value._data.ndim} dimension(s)."
            )
        value = value.to(input.dtype)
    return apply(MaskedFill, input, mask, value)


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """The elements where ``mask`` (broadcast to ``input``) is True, as a 1-D tensor.

    Example:
        >>> import nerve
        >>> x = nerve.tensor([[1, -2], [-3, 4]])
        >>> nerve.masked_select(x, x > 0)
        tensor([1, 4])
    """
    if mask.shape != input.shape:
        mask = mask.expand_as(input)
        input = input.expand_as(mask)
    return getitem(input, mask)


def nonzero(input: Tensor, *, as_tuple: bool = False) -> Any:
    """The indices of the nonzero elements: an (n, ndim) int64 tensor, or with
    ``as_tuple=True`` one 1-D tensor per dimension (torch.nonzero).

    Example:
        >>> import nerve
        >>> x = nerve.tensor([[0, 1], [2, 0]])
        >>> nerve.nonzero(x)
        tensor([[0, 1],
                [1, 0]])
        >>> nerve.nonzero(x, as_tuple=True)
        (tensor([0, 1]), tensor([1, 0]))
    """
    indices = xp_of(input._data).nonzero(input._data)
    if as_tuple:
        return tuple(Tensor._make(i.astype(dtypes.int64.np)) for i in indices)
    return Tensor._make(xp_of(input._data).stack(indices, axis=1).astype(dtypes.int64.np))


def take(input: Tensor, index: Tensor) -> Tensor:
    """The elements at ``index`` of ``input`` read as 1-D (row-major), in ``index``'s shape.

    Example:
        >>> import nerve
        >>> nerve.take(nerve.tensor([[1, 2], [3, 4]]), nerve.tensor([[0, 3]]))
        tensor([[1, 4]])
    """
    return getitem(input.reshape(-1), index)
