"""Writing at indices along a dimension: index_add, index_fill, index_copy, index_put, and the
in-place forms of these and of scatter and scatter_add (``scatter_``, ``index_add_`` ...).

Each is a composition of the indexing nodes of ``ops/index.py`` (a scatter-add, an indexed
write, a masked fill), so its gradient is theirs: what a slice receives flows back from the
positions it was written to, and what was overwritten gets none.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.node import apply
from ..backend.device import xp_of
from ..tensor import Tensor, _check_dim
from .index import SetItem, _along_axis, masked_fill
from .inplace import apply_inplace
from .scatter import ScatterAdd, _check_bounds, scatter, scatter_add


def _index_vector(index: Any, op: str) -> Any:
    """The array of a 0-d or 1-D integer index tensor (torch's IndexError otherwise)."""
    if not isinstance(index, Tensor) or index._data.dtype.kind not in "iu":
        raise IndexError(f"{op}(): Expected dtype int64 for index.")
    if index._data.ndim > 1:
        raise IndexError(f"{op}(): Index is supposed to be a vector")
    return index._data.reshape(-1)


def _slices_key(positions: Any, axis: int, shape: tuple[int, ...]) -> tuple[Any, ...]:
    """The full advanced-index key that puts a tensor of ``shape`` (the input's shape with
    ``len(positions)`` slices along ``axis``) at ``positions`` along ``axis``."""
    xp = xp_of(positions)
    along = [1] * len(shape)
    along[axis] = len(positions)
    return _along_axis(xp.broadcast_to(positions.reshape(along), shape), axis)


def _check_slices(op: str, input: Tensor, axis: int, positions: Any, source: Tensor) -> None:
    """``source`` must be ``input`` with ``len(positions)`` slices along ``axis``."""
    have, want = source._data.shape, input._data.shape
    if source._data.ndim != input._data.ndim and not (source._data.ndim == 0 and len(want) <= 1):
        raise RuntimeError(
            f"{op}(): source of shape {list(have)} must have as many dimensions as the input "
            f"({list(want)})"
        )
    if len(positions) != (have[axis] if have else 1):
        raise RuntimeError(
            f"{op}(): Number of indices ({len(positions)}) should be equal to source.size(dim): "
            f"({have[axis] if have else 1}), for dim: {axis}"
        )
    for d, (n, m) in enumerate(zip(have, want)):
        if d != axis and n != m:
            raise RuntimeError(
                f"{op}(): Source/destination tensor must have same slice shapes. Destination "
                f"slice shape: {m} at dimension {d} and source slice shape: {n} at dimension {d}."
            )
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(
            f"{op}(): self ({input.dtype}) and source ({source.dtype}) must have the same "
            "scalar type"
        )


def _prepared(op: str, input: Tensor, dim: int, index: Tensor, source: Tensor) -> tuple[Any, ...]:
    """The key that writes ``source`` along ``dim`` at ``index``, after torch's checks."""
    axis = _check_dim(dim, input._data.ndim, op)
    positions = _index_vector(index, op)
    if source._data.ndim == 0:  # a 0-d input's single slice
        source = source.reshape((1,) * max(input._data.ndim, 1))
    _check_slices(op, input, axis, positions, source)
    _check_bounds(positions, input._data.shape[axis] if input._data.ndim else 1, axis)
    return _slices_key(positions, axis, source._data.shape)


def index_add(
    input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha: float = 1
) -> Tensor:
    """A copy of ``input`` with ``alpha * source[i]`` added to slice ``index[i]`` along
    ``dim``; repeated indices accumulate (torch.index_add).

    Example:
        >>> import nerve
        >>> nerve.zeros(3, 2).index_add(0, nerve.tensor([0, 0, 2]), nerve.ones(3, 2), alpha=2)
        tensor([[4., 4.],
                [0., 0.],
                [2., 2.]])
    """
    key = _prepared("index_add_", input, dim, index, source)
    if input._data.ndim == 0:
        input, source = input.reshape(1), source.reshape(1)
        return index_add(input, 0, index, source, alpha=alpha).reshape(())
    return apply(ScatterAdd, input, source * alpha if alpha != 1 else source, key=key)


def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """A copy of ``input`` with slice ``index[i]`` along ``dim`` replaced by ``source[i]``
    (torch.index_copy; with a repeated index, one of its slices wins).

    Example:
        >>> import nerve
        >>> source = nerve.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> nerve.zeros(3, 2).index_copy(0, nerve.tensor([2, 0]), source)
        tensor([[3., 4.],
                [0., 0.],
                [1., 2.]])
    """
    key = _prepared("index_copy_", input, dim, index, source)
    if input._data.ndim == 0:
        return index_copy(input.reshape(1), 0, index, source.reshape(1)).reshape(())
    return apply(SetItem, input, source, key=key, advanced=True)


def index_fill(input: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:
    """A copy of ``input`` with the slices at ``index`` along ``dim`` set to ``value`` (a
    number or a 0-d tensor, which then receives the gradient of every filled element).

    Example:
        >>> import nerve
        >>> nerve.zeros(2, 3).index_fill(1, nerve.tensor([0, 2]), -1)
        tensor([[-1.,  0., -1.],
                [-1.,  0., -1.]])
    """
    axis = _check_dim(dim, input._data.ndim, "index_fill_")
    positions = _index_vector(index, "index_fill_")
    size = input._data.shape[axis] if input._data.ndim else 1
    _check_bounds(positions, size, axis)
    if isinstance(value, Tensor) and value._data.ndim:
        raise RuntimeError(
            "index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
            f"{value._data.ndim} dimension(s)."
        )
    mask = xp_of(input._data).zeros(input._data.shape, dtype=bool)
    if input._data.ndim:
        mask[(slice(None),) * axis + (positions,)] = True
    else:
        mask[...] = bool(positions.size)
    return masked_fill(input, Tensor._make(mask), value)


def index_put(
    input: Tensor, indices: tuple[Tensor, ...] | list[Tensor], values: Any, accumulate: bool = False
) -> Tensor:
    """A copy of ``input`` with ``values`` written at ``input[indices]`` (a tuple of index
    tensors, as in ``x[i, j] = values``), or added there with ``accumulate=True``, where a
    repeated position sums every value sent to it (torch.index_put).

    Example:
        >>> import nerve
        >>> rows, cols = nerve.tensor([0, 0, 2]), nerve.tensor([1, 1, 0])
        >>> nerve.zeros(3, 2).index_put((rows, cols), nerve.tensor(1.0), accumulate=True)
        tensor([[0., 2.],
                [0., 0.],
                [1., 0.]])
    """
    if not isinstance(indices, (tuple, list)) or not all(isinstance(i, Tensor) for i in indices):
        raise TypeError("index_put(): indices must be a tuple of tensors")
    if not isinstance(values, Tensor):
        values = Tensor._make(np.asarray(values, dtype=input._data.dtype))
    if values._data.dtype != input._data.dtype:
        raise RuntimeError(
            "Index put requires the source and destination dtypes match, got "
            f"{input.dtype} for the destination and {values.dtype} for the source."
        )
    if not accumulate:
        out = input.clone()
        out[tuple(indices)] = values
        return out
    arrays: list[Any] = []
    for index in indices:
        data = index._data
        if data.dtype.kind == "b":  # a mask stands for the positions where it holds
            arrays.extend(xp_of(data).nonzero(data))
        elif data.dtype.kind in "iu":
            arrays.append(data)
        else:
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    if len(arrays) > input._data.ndim:
        raise IndexError(f"too many indices for tensor of dimension {input._data.ndim}")
    key = tuple(xp_of(input._data).broadcast_arrays(*arrays))
    for axis, positions in enumerate(key):
        _check_bounds(positions.reshape(-1), input._data.shape[axis], axis)
    # every position's value, then summed into place: the values' gradient is the output's
    # gradient read back at those positions, summed over what was broadcast
    shape = key[0].shape + input._data.shape[len(key) :]
    return apply(ScatterAdd, input, values.expand(shape), key=key)


def scatter_(
    input: Tensor,
    dim: int,
    index: Tensor,
    src: Any = None,
    *,
    value: Any = None,
    reduce: str | None = None,
) -> Tensor:
    """In place: write ``src`` (or the number ``value``) at ``index`` along ``dim``, as
    torch's ``Tensor.scatter_``; ``reduce="add"`` or ``"multiply"`` combines instead.

    Example:
        >>> import nerve
        >>> nerve.zeros(5).scatter_(0, nerve.tensor(3), value=1)  # a one-hot vector
        tensor([0., 0., 0., 1., 0.])
    """

    def scattered(t: Tensor) -> Tensor:
        return scatter(t, dim, index, src, value=value, reduce=reduce)

    return apply_inplace(input, scattered, (src, value))


def scatter_add_(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """In place: add ``src`` at ``index`` along ``dim`` (repeats accumulate).

    Example:
        >>> import nerve
        >>> nerve.zeros(3).scatter_add_(0, nerve.tensor([0, 2, 0]), nerve.ones(3))
        tensor([2., 0., 1.])
    """
    return apply_inplace(input, lambda t: scatter_add(t, dim, index, src), (src,))


def index_add_(
    input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha: float = 1
) -> Tensor:
    """In place: :func:`index_add`.

    Example:
        >>> import nerve
        >>> nerve.zeros(3).index_add_(0, nerve.tensor([1, 1]), nerve.ones(2))
        tensor([0., 2., 0.])
    """
    return apply_inplace(input, lambda t: index_add(t, dim, index, source, alpha=alpha), (source,))


def index_copy_(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """In place: :func:`index_copy`.

    Example:
        >>> import nerve
        >>> nerve.zeros(3).index_copy_(0, nerve.tensor([2]), nerve.tensor([7.0]))
        tensor([0., 0., 7.])
    """
    return apply_inplace(input, lambda t: index_copy(t, dim, index, source), (source,))


def index_fill_(input: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:
    """In place: :func:`index_fill`.

    Example:
        >>> import nerve
        >>> nerve.ones(3).index_fill_(0, nerve.tensor([0]), 5)
        tensor([5., 1., 1.])
    """
    return apply_inplace(input, lambda t: index_fill(t, dim, index, value), (value,))


def index_put_(
    input: Tensor, indices: tuple[Tensor, ...] | list[Tensor], values: Any, accumulate: bool = False
) -> Tensor:
    """In place: :func:`index_put`.

    Example:
        >>> import nerve
        >>> nerve.zeros(3).index_put_((nerve.tensor([0, 2]),), nerve.tensor([1.0, 2.0]))
        tensor([1., 0., 2.])
    """
    return apply_inplace(input, lambda t: index_put(t, indices, values, accumulate), (values,))


TENSOR_METHODS = {
    "index_add": index_add,
    "index_copy": index_copy,
    "index_fill": index_fill,
    "index_put": index_put,
    "scatter_": scatter_,
    "scatter_add_": scatter_add_,
    "index_add_": index_add_,
    "index_copy_": index_copy_,
    "index_fill_": index_fill_,
    "index_put_": index_put_,
}

__all__ = ["index_add", "index_copy", "index_fill", "index_put"]
