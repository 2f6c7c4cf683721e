"""Sorting and order statistics: sort, argsort, msort, topk, kthvalue, median, mode, unique,
searchsorted and bucketize, with torch's named tuples (``torch.return_types``).

No new graph node: the indices are found on the arrays (they need no gradient), and the values
are read from the input with the indexing op (``GetItem``) at those indices, so the gradient of
a value goes to the element it came from, and double backward comes for free.

Sorting is stable, as torch's CPU sort is: equal elements keep their order, and descending
order keeps equal elements in ascending index order. NaN sorts above every number. Where torch
picks among ties with its selection algorithm (the index of ``topk``, ``kthvalue`` and the
``median`` of tied values), nerve returns the tied element that a stable sort puts there: the
values are torch's, the index names an element holding that value, and without ties the
indices are torch's too. ``mode`` returns the last index of the modal value, as torch does.
"""

from __future__ import annotations

from typing import Any

from ..autograd.node import apply
from ..backend import dtypes
from ..backend.device import xp_of
from ..tensor import Tensor, _check_dim
from .index import GetItem, _along_axis
from .return_types import return_types

_INT64 = dtypes.int64.np


def _stable_argsort(x: Any, axis: int, descending: bool) -> Any:
    """Indices that sort ``x`` along ``axis``, ties in index order either way."""
    xp = xp_of(x)
    if not descending:
        return xp.argsort(x, axis=axis, kind="stable").astype(_INT64, copy=False)
    # Sort the reversed array ascending and read it backwards: the largest first, and among
    # equal elements the one with the smaller original index first. NaN (last ascending)
    # comes first, as in torch.
    n = x.shape[axis]
    order = xp.argsort(xp.flip(x, axis), axis=axis, kind="stable")
    return (n - 1 - xp.flip(order, axis)).astype(_INT64, copy=False)


def _take(input: Tensor, index: Any, axis: int) -> Tensor:
    """``input`` read at ``index`` along ``axis`` (differentiable through GetItem)."""
    if input._data.ndim == 0:
        return input.clone()
    return apply(GetItem, input, key=_along_axis(index, axis), advanced=True)


def _axis(input: Tensor, dim: int, op: str) -> int:
    return _check_dim(dim, input._data.ndim, op)


def sort(
    input: Tensor, dim: int = -1, descending: bool = False, stable: bool | None = False
) -> Any:
    """Sort along ``dim``: ``(values, indices)``; stable, NaN above every number.

    Example:
        >>> import nerve
        >>> nerve.tensor([3.0, 1.0, 2.0]).sort().indices
        tensor([1, 2, 0])
    """
    axis = _axis(input, dim, "sort")
    data = input._data
    if data.ndim == 0:
        return return_types.sort(input.clone(), Tensor._make(xp_of(data).zeros((), _INT64)))
    index = _stable_argsort(data, axis, descending)
    return return_types.sort(_take(input, index, axis), Tensor._make(index))


def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """The indices that sort ``input`` along ``dim`` (int64).

    Example:
        >>> import nerve
        >>> nerve.argsort(nerve.tensor([3.0, 1.0, 2.0]))
        tensor([1, 2, 0])
        >>> nerve.argsort(nerve.tensor([3.0, 1.0, 2.0]), descending=True)
        tensor([0, 2, 1])
    """
    return sort(input, dim, descending, stable).indices


def msort(input: Tensor) -> Tensor:
    """``input`` sorted along its first dimension.

    Example:
        >>> import nerve
        >>> nerve.msort(nerve.tensor([[2, 1], [1, 3]]))
        tensor([[1, 1],
                [2, 3]])
    """
    return sort(input, 0).values


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:
    """The ``k`` largest (or smallest) elements along ``dim`` and their indices, largest first
    (smallest first for ``largest=False``); ``sorted=False`` returns them in that order too.

    Example:
        >>> import nerve
        >>> values, indices = nerve.topk(nerve.tensor([1.0, 5.0, 3.0, 4.0]), 2)
        >>> values, indices
        (tensor([5., 4.]), tensor([1, 3]))
    """
    axis = _axis(input, dim, "topk")
    data = input._data
    size = data.shape[axis] if data.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError(
            f"selected index k out of range: topk got k={k} for a dimension of size {size}"
        )
    if data.ndim == 0:
        return return_types.topk(*sort(input))
    index = _stable_argsort(data, axis, largest)
    index = xp_of(data).take(index, range(k), axis=axis)
    return return_types.topk(_take(input, index, axis), Tensor._make(index))


def _select(input: Tensor, position: Any, axis: int, keepdim: bool, op: str) -> tuple[Any, Any]:
    """The element at sorted ``position`` along ``axis``: (values, int64 indices)."""
    data = input._data
    xp = xp_of(data)
    if data.ndim == 0:
        return input.clone(), Tensor._make(xp.zeros((), _INT64))
    order = _stable_argsort(data, axis, False)
    index = xp.take(order, [position], axis=axis)
    values = _take(input, index, axis)
    if not keepdim:
        index = index.squeeze(axis)
        values = values.squeeze(axis)
    return values, Tensor._make(index)


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False) -> Any:
    """The ``k``-th smallest element along ``dim`` (``k`` counts from 1) and its index.

    Example:
        >>> import nerve
        >>> values, indices = nerve.kthvalue(nerve.tensor([3.0, 1.0, 2.0, 5.0]), 2)
        >>> values, indices
        (tensor(2.), tensor(2))
    """
    axis = _axis(input, dim, "kthvalue")
    size = input._data.shape[axis] if input._data.ndim else 1
    if not 1 <= k <= size:
        raise RuntimeError(
            f"kthvalue(): selected number k out of range for dimension {axis} (k={k}, size {size})"
        )
    return return_types.kthvalue(*_select(input, k - 1, axis, keepdim, "kthvalue"))


def _nan_first(data: Any, axis: int) -> Any:
    """Per slice along ``axis``: whether it holds a NaN, and the index of its first NaN."""
    xp = xp_of(data)
    isnan = xp.isnan(data) if data.dtype.kind == "f" else xp.zeros(data.shape, bool)
    return isnan.any(axis=axis, keepdims=True), isnan.argmax(axis=axis, keepdims=True)


def median(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:
    """The median: the lower of the two middle values for an even count, NaN where a NaN is.
    Without ``dim`` a 0-d tensor of all elements; with ``dim``, ``(values, indices)``.

    Example:
        >>> import nerve
        >>> nerve.median(nerve.tensor([3.0, 1.0, 2.0, 5.0]))
        tensor(2.)
        >>> nerve.median(nerve.tensor([[3.0, 1.0, 2.0]]), dim=1).indices
        tensor([2])
    """
    if dim is None:
        flat = input.reshape(-1)
        if flat._data.size == 0:
            return Tensor._make(xp_of(input._data).full((), float("nan"), input._data.dtype))
        return median(flat, 0).values.reshape(())
    axis = _axis(input, dim, "median")
    data = input._data
    if data.ndim and data.shape[axis] == 0:
        raise IndexError(f"median(): Expected reduction dim {axis} to have non-zero size.")
    if data.ndim == 0:
        return return_types.median(*_select(input, 0, 0, keepdim, "median"))
    xp = xp_of(data)
    order = _stable_argsort(data, axis, False)
    index = xp.take(order, [(data.shape[axis] - 1) // 2], axis=axis)
    has_nan, first_nan = _nan_first(data, axis)
    index = xp.where(has_nan, first_nan, index).astype(_INT64, copy=False)
    values = _take(input, index, axis)
    if not keepdim:
        index, values = index.squeeze(axis), values.squeeze(axis)
    return return_types.median(values, Tensor._make(index))


def mode(input: Tensor, dim: int = -1, keepdim: bool = False) -> Any:
    """The most frequent value along ``dim`` (the smallest of equally frequent ones) and the
    index of its last occurrence.

    Example:
        >>> import nerve
        >>> values, indices = nerve.mode(nerve.tensor([1, 2, 2, 3]))
        >>> values, indices
        (tensor(2), tensor(2))
    """
    axis = _axis(input, dim, "mode")
    data = input._data
    xp = xp_of(data)
    if data.ndim == 0:
        return return_types.mode(input.clone(), Tensor._make(xp.zeros((), _INT64)))
    n = data.shape[axis]
    if n == 0:
        raise IndexError(f"mode(): Expected reduction dim {axis} to have non-zero size.")
    rows = xp.moveaxis(data, axis, -1).reshape(-1, n)
    ordered = xp.sort(rows, axis=1)
    positions = xp.broadcast_to(xp.arange(n), ordered.shape)
    new_run = xp.ones(ordered.shape, bool)
    new_run[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    # Each position's run: where it starts (running maximum of the starts) and its length,
    # counted at the run's last element. argmax takes the first longest run: the smallest value.
    start = xp.maximum.accumulate(xp.where(new_run, positions, 0), axis=1)
    ends_run = xp.ones(ordered.shape, bool)
    ends_run[:, :-1] = new_run[:, 1:]
    length = xp.where(ends_run, positions - start + 1, 0)
    value = xp.take_along_axis(ordered, length.argmax(axis=1)[:, None], axis=1)
    last = xp.where(rows == value, positions, -1).max(axis=1)
    index = xp.moveaxis(last.reshape(xp.moveaxis(data, axis, -1).shape[:-1] + (1,)), -1, axis)
    index = index.astype(_INT64, copy=False)
    values = _take(input, index, axis)
    if not keepdim:
        index, values = index.squeeze(axis), values.squeeze(axis)
    return return_types.mode(values, Tensor._make(index))


def unique(
    input: Tensor,
    sorted: bool = True,
    return_inverse: bool = False,
    return_counts: bool = False,
    dim: int | None = None,
) -> Any:
    """The distinct elements (or, with ``dim``, the distinct slices along ``dim``), sorted
    (torch sorts them on the CPU whatever ``sorted`` says), with the inverse indices and the
    counts when asked for. Not differentiable, as in torch.

    Example:
        >>> import nerve
        >>> nerve.unique(nerve.tensor([3, 1, 3, 2, 1]), return_counts=True)
        (tensor([1, 2, 3]), tensor([2, 1, 2]))
    """
    data = input._data
    xp = xp_of(data)
    if dim is None:
        found = xp.unique(data.reshape(-1), return_inverse=True, return_counts=True)
        inverse = found[1].reshape(data.shape)
    else:
        axis = _check_dim(dim, data.ndim, "unique")
        if data.ndim and data.shape[axis] == 0:
            found = (data, xp.zeros(0, _INT64), xp.zeros(0, _INT64))
        else:
            found = xp.unique(data, return_inverse=True, return_counts=True, axis=axis)
        inverse = found[1].reshape(-1)
    values = Tensor._make(found[0])
    if not (return_inverse or return_counts):
        return values
    result = [values]
    if return_inverse:
        result.append(Tensor._make(inverse.astype(_INT64, copy=False)))
    if return_counts:
        result.append(Tensor._make(found[2].astype(_INT64, copy=False)))
    return tuple(result)


def _search(boundaries: Any, values: Any, side: str) -> Any:
    """np.searchsorted row by row: the last dimension of ``boundaries`` is the sorted one."""
    xp = xp_of(boundaries)
    if boundaries.ndim == 1:
        return xp.searchsorted(boundaries, values, side=side)
    rows = boundaries.reshape(-1, boundaries.shape[-1])
    wanted = values.reshape(rows.shape[0], -1)
    found = [xp.searchsorted(rows[i], wanted[i], side=side) for i in range(rows.shape[0])]
    return xp.stack(found).reshape(values.shape) if found else xp.zeros(values.shape, _INT64)


def searchsorted(
    sorted_sequence: Tensor,
    input: Any,
    *,
    out_int32: bool = False,
    right: bool = False,
    side: str | None = None,
    sorter: Tensor | None = None,
) -> Tensor:
    """Where each value of ``input`` would be inserted in the innermost dimension of
    ``sorted_sequence`` to keep it sorted (the first such place, or the last with
    ``right=True`` / ``side='right'``).

    Example:
        >>> import nerve
        >>> boundaries = nerve.tensor([1, 3, 5, 7])
        >>> nerve.searchsorted(boundaries, nerve.tensor([3, 6]))
        tensor([1, 3])
        >>> nerve.searchsorted(boundaries, nerve.tensor([3, 6]), right=True)
        tensor([2, 3])
    """
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(
                f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}"
            )
        if right and side == "left":
            raise RuntimeError(
                "torch.searchsorted(): side and right can't be set to opposites, got side of "
                "left while right was True"
            )
        right = side == "right"
    scalar = not isinstance(input, Tensor)
    boundaries = sorted_sequence._data
    xp = xp_of(boundaries)
    values = xp.asarray(input, dtype=boundaries.dtype) if scalar else input._data
    if boundaries.ndim == 0:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should have positive dimension")
    if boundaries.ndim > 1 and (scalar or boundaries.shape[:-1] != values.shape[:-1]):
        raise RuntimeError(
            "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
            "dimensions of boundaries tensor and input value tensor must match, but we got "
            f"boundaries tensor {list(boundaries.shape)} and input value tensor "
            f"{list(values.shape)}"
        )
    if sorter is not None:
        if sorter.shape != sorted_sequence.shape or sorter._data.dtype.kind not in "iu":
            raise RuntimeError(
                "torch.searchsorted(): sorter must be an int64 tensor of the boundaries' shape "
                f"{list(sorted_sequence.shape)}, got {sorter.dtype} of {list(sorter.shape)}"
            )
        boundaries = xp.take_along_axis(boundaries, sorter._data, axis=-1)
    found = _search(boundaries, values, "right" if right else "left")
    return Tensor._make(xp.asarray(found).astype(xp.int32 if out_int32 else _INT64))


def bucketize(
    input: Any, boundaries: Tensor, *, out_int32: bool = False, right: bool = False
) -> Tensor:
    """The bucket of each value: ``i`` with ``boundaries[i-1] < x <= boundaries[i]``, or with
    ``right=True`` ``boundaries[i-1] <= x < boundaries[i]`` (``boundaries`` 1-D, sorted).

    Example:
        >>> import nerve
        >>> nerve.bucketize(nerve.tensor([1, 5, 9]), nerve.tensor([2, 4, 6, 8]))
        tensor([0, 2, 4])
    """
    if boundaries._data.ndim != 1:
        raise RuntimeError(
            f"boundaries tensor must be 1 dimension, but got dim({boundaries._data.ndim})"
        )
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


# Tensor methods (attached by nerve.ops.methods): x.sort(), x.topk(3), ...
TENSOR_METHODS = {
    "sort": sort,
    "argsort": argsort,
    "msort": msort,
    "topk": topk,
    "kthvalue": kthvalue,
    "median": median,
    "mode": mode,
    "unique": unique,
}

__all__ = ["argsort", "bucketize", "kthvalue", "median", "mode", "msort", "return_types"]
__all__ += ["searchsorted", "sort", "topk", "unique"]
