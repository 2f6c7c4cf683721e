"""Everyday shape and selection helpers torch has at top level: tile, ravel, moveaxis,
rot90, dstack, tensor_split, block_diag, cartesian_prod, combinations, diff and
take_along_dim.

All are compositions of existing ops (repeat, reshape, flip, transpose, cat, pad, indexing),
so their gradients and double backward come from those ops.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from ..autograd.node import apply
from ..backend import dtypes
from ..backend.device import xp_of
from ..tensor import Tensor, _check_dim
from .index import GetItem
from .join import cat
from .pad import pad
from .promotion import torch_name
from .shape import movedim

__all__ = [
    "block_diag",
    "cartesian_prod",
    "combinations",
    "diff",
    "dstack",
    "moveaxis",
    "ravel",
    "rot90",
    "take_along_dim",
    "tensor_split",
    "tile",
]

moveaxis = movedim  # numpy's name, as torch.moveaxis


def _int_sequence(args: tuple[Any, ...]) -> tuple[int, ...]:
    """``f(x, (2, 3))``, ``f(x, [2, 3])`` or the method form ``x.f(2, 3)``."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    return tuple(int(n) for n in args)


def tile(input: Tensor, dims: Any, *more: int) -> Tensor:
    """``input`` repeated ``dims`` times along each dimension; fewer ``dims`` than dimensions
    are padded with ones in front (unlike ``repeat``, which needs one per dimension).

    Example:
        >>> import nerve
        >>> nerve.tile(nerve.tensor([[1, 2]]), (2,))
        tensor([[1, 2, 1, 2]])
    """
    reps = _int_sequence((dims, *more))
    reps = (1,) * (input._data.ndim - len(reps)) + reps
    return input.repeat(*reps)


def ravel(input: Tensor) -> Tensor:
    """``input`` flattened to one dimension.

    Example:
        >>> import nerve
        >>> nerve.ravel(nerve.tensor([[1, 2], [3, 4]]))
        tensor([1, 2, 3, 4])
    """
    return input.reshape(-1)


def rot90(input: Tensor, k: int = 1, dims: Sequence[int] = (0, 1)) -> Tensor:
    """``input`` rotated by ``k`` quarter turns in the plane ``dims``, from the first axis
    towards the second.

    Example:
        >>> import nerve
        >>> nerve.rot90(nerve.tensor([[1, 2], [3, 4]]))
        tensor([[2, 4],
                [1, 3]])
    """
    dims = list(dims)
    ndim = input._data.ndim
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {ndim}")
    first, second = (_check_dim(d, ndim, "rot90") for d in dims)
    if first == second:
        raise RuntimeError(
            f"expected rotation dims to be different, but got dim0 = {dims[0]} and dim1 = {dims[1]}"
        )
    k %= 4
    if k == 1:
        return input.flip(second).transpose(first, second)
    if k == 2:
        return input.flip(first, second)
    if k == 3:
        return input.flip(first).transpose(first, second)
    return input.clone()


def _at_least_3d(x: Tensor) -> Tensor:
    if x._data.ndim == 0:
        return x.reshape(1, 1, 1)
    if x._data.ndim == 1:
        return x.reshape(1, -1, 1)
    return x.unsqueeze(-1) if x._data.ndim == 2 else x


def dstack(tensors: Sequence[Tensor]) -> Tensor:
    """Tensors joined along the third dimension (depth), each made at least 3-D first.

    Example:
        >>> import nerve
        >>> nerve.dstack([nerve.tensor([1, 2]), nerve.tensor([3, 4])])
        tensor([[[1, 3],
                 [2, 4]]])
    """
    return cat([_at_least_3d(t) for t in tensors], dim=2)


def tensor_split(input: Tensor, indices_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """``input`` split along ``dim`` into ``n`` nearly equal parts (the first ones one longer)
    or at the given indices.

    Example:
        >>> import nerve
        >>> nerve.tensor_split(nerve.arange(5), 2)
        (tensor([0, 1, 2]), tensor([3, 4]))
        >>> nerve.tensor_split(nerve.arange(5), [1, 4])
        (tensor([0]), tensor([1, 2, 3]), tensor([4]))
    """
    if input._data.ndim == 0:
        raise RuntimeError(
            "tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims"
        )
    if isinstance(indices_or_sections, Tensor):
        if indices_or_sections._data.dtype.kind not in "iu":
            raise RuntimeError(
                "tensor_split expected tensor_indices_or_sections to have integer dtype, but "
                f"got {indices_or_sections.dtype}"
            )
        if indices_or_sections._data.ndim > 1:
            raise RuntimeError(
                "tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
                f"one-dimensional tensor, but got a tensor with {indices_or_sections.dim()} dims"
            )
        indices_or_sections = indices_or_sections.tolist()
    axis = _check_dim(dim, input._data.ndim, "tensor_split")
    size = input.shape[axis]
    if isinstance(indices_or_sections, int):
        sections = indices_or_sections
        if sections <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {sections}")
        small, extra = divmod(size, sections)
        # the first ``extra`` parts are one longer
        bounds = list(itertools.accumulate(small + (i < extra) for i in range(sections - 1)))
    else:
        bounds = [int(i) for i in indices_or_sections]
    lead = (slice(None),) * axis
    starts, ends = [0, *bounds], [*bounds, size]
    return tuple(input[lead + (slice(a, b),)] for a, b in zip(starts, ends))


def block_diag(*tensors: Tensor) -> Tensor:
    """The tensors (0-, 1- or 2-D, taken as matrices) along the diagonal of one matrix, zeros
    elsewhere.

    Example:
        >>> import nerve
        >>> nerve.block_diag(nerve.tensor([[1, 2]]), nerve.tensor(3))
        tensor([[1, 2, 0],
                [0, 0, 3]])
    """
    from ..creation import zeros

    blocks = []
    for i, t in enumerate(tensors):
        if t._data.ndim > 2:
            raise RuntimeError(
                "torch.block_diag: Input tensors must have 2 or fewer dimensions. Input "
                f"{i} has {t.dim()} dimensions"
            )
        blocks.append(t.reshape(1, -1) if t._data.ndim < 2 else t)
    if not blocks:
        return zeros(1, 0)
    dtype = blocks[0].dtype
    for b in blocks[1:]:
        dtype = dtypes.promote(dtype, b.dtype)
    width = sum(b.shape[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:
        columns = b.shape[1]
        rows.append(pad(b.to(dtype), (left, width - left - columns)))
        left += columns
    return cat(rows, dim=0)


def _check_vector(t: Tensor) -> None:
    if t._data.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")


def cartesian_prod(*tensors: Tensor) -> Tensor:
    """Every combination of one element from each 1-D tensor, as rows (itertools.product).

    Example:
        >>> import nerve
        >>> nerve.cartesian_prod(nerve.tensor([1, 2]), nerve.tensor([3, 4]))
        tensor([[1, 3],
                [1, 4],
                [2, 3],
                [2, 4]])
    """
    from .misc import meshgrid

    for t in tensors:
        _check_vector(t)
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return cat([g.reshape(-1, 1) for g in grids], dim=1)


def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:
    """The length-``r`` combinations of a 1-D tensor's elements, as rows
    (itertools.combinations, or combinations_with_replacement).

    Example:
        >>> import nerve
        >>> nerve.combinations(nerve.tensor([1, 2, 3]))
        tensor([[1, 2],
                [1, 3],
                [2, 3]])
    """
    _check_vector(input)
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return input[:0]
    choose = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    xp = xp_of(input._data)
    picks = list(choose(range(input.shape[0]), r))
    index = xp.asarray(picks, dtype=dtypes.int64.np).reshape(len(picks), r)
    return apply(GetItem, input, key=(index,), advanced=True)


def diff(
    input: Tensor,
    n: int = 1,
    dim: int = -1,
    prepend: Tensor | None = None,
    append: Tensor | None = None,
) -> Tensor:
    """The ``n``-th forward difference along ``dim`` (``out[i] = x[i + 1] - x[i]``, applied
    ``n`` times), after joining ``prepend`` and ``append``; bool tensors give ``!=``.

    Example:
        >>> import nerve
        >>> nerve.diff(nerve.tensor([1, 3, 6, 10]))
        tensor([2, 3, 4])
        >>> nerve.diff(nerve.tensor([1, 3, 6, 10]), n=2)
        tensor([1, 1])
    """
    if input._data.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    axis = _check_dim(dim, input._data.ndim, "diff")
    pieces = [_as_slices(p, input, axis) for p in (prepend, input, append) if p is not None]
    x = cat(pieces, dim=axis) if len(pieces) > 1 else input
    for _ in range(n):
        length = x.shape[axis]
        if length == 0:
            break
        later, earlier = x.narrow(axis, 1, length - 1), x.narrow(axis, 0, length - 1)
        x = later != earlier if x._data.dtype.kind == "b" else later - earlier
    return x


def _as_slices(extra: Tensor, input: Tensor, axis: int) -> Tensor:
    """``prepend``/``append`` as given, or a 0-d one as a single slice along ``axis``."""
    if extra._data.ndim:
        return extra
    shape = list(input.shape)
    shape[axis] = 1
    return extra.expand(shape)


def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    """Values of ``input`` at ``indices`` along ``dim`` (the other dimensions broadcast), or
    of the flattened ``input`` when ``dim`` is None: pairs with argsort, argmax, topk.

    Example:
        >>> import nerve
        >>> x = nerve.tensor([[10, 30, 20], [60, 40, 50]])
        >>> nerve.take_along_dim(x, x.argsort(dim=1), dim=1)
        tensor([[10, 20, 30],
                [40, 50, 60]])
    """
    if indices._data.dtype.kind not in "iu":
        raise RuntimeError(
            "torch.take_along_dim(): dtype of indices should be Long but got "
            f"{torch_name(indices.dtype)}"
        )
    if dim is None:
        return input.reshape(-1).gather(0, indices.reshape(-1))
    if input._data.ndim != indices._data.ndim:
        raise RuntimeError(
            "torch.take_along_dim(): input and indices should have the same number of "
            f"dimensions, but got {input.dim()} dimensions for input, and {indices.dim()} "
            "dimensions for indices"
        )
    axis = _check_dim(dim, input._data.ndim, "take_along_dim")
    from .broadcast import broadcast_shape

    others = broadcast_shape(
        "take_along_dim",
        [1 if d == axis else n for d, n in enumerate(input.shape)],
        [1 if d == axis else n for d, n in enumerate(indices.shape)],
    )
    input_shape = [input.shape[d] if d == axis else n for d, n in enumerate(others)]
    index_shape = [indices.shape[d] if d == axis else n for d, n in enumerate(others)]
    return input.expand(input_shape).gather(axis, indices.expand(index_shape))


TENSOR_METHODS = {
    "tile": tile,
    "ravel": ravel,
    "moveaxis": moveaxis,
    "rot90": rot90,
    "tensor_split": tensor_split,
    "diff": diff,
    "take_along_dim": take_along_dim,
}
