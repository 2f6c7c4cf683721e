"""Joining and splitting: cat, stack, hstack, vstack; split, chunk, unbind, narrow, select.
The pieces of a split are views of the input (basic indexing), as in torch."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..autograd.node import Node, apply
from ..backend.device import xp_of
from ..tensor import Tensor, _check_dim
from .promotion import promote_pair


class Cat(Node):
    saves = ()

    def forward(self, *arrays: Any, axis: int) -> Any:
        self.axis = axis
        self.sizes = [a.shape[axis] for a in arrays]
        return xp_of(arrays[0]).concatenate(arrays, axis=axis)

    def backward(self, g: Any) -> tuple[Any, ...]:
        grads, start = [], 0
        before = (slice(None),) * self.axis
        for size, needed in zip(self.sizes, self.needs_input_grad):
            grads.append(g[(*before, slice(start, start + size))] if needed else None)
            start += size
        return tuple(grads)


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along an existing dimension; all other sizes must match.

    Example:
        >>> import nerve
        >>> a, b = nerve.zeros(1, 2), nerve.ones(2, 2)
        >>> nerve.cat([a, b]).shape
        nerve.Size([3, 2])
        >>> nerve.cat([a, a], dim=1)
        tensor([[0., 0., 0., 0.]])
    """
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("cat(): expected a non-empty list of tensors, got an empty one")
    tensors = [t for t in tensors if not (t._data.ndim == 1 and t._data.size == 0)] or tensors[:1]
    axis = _check_dim(dim, tensors[0]._data.ndim, "cat")
    _check_cat_shapes(tensors, axis)
    if len({t._data.dtype for t in tensors}) > 1:
        target = tensors[0]
        for other in tensors[1:]:
            target = promote_pair(target, other, "cat")[0]
        tensors = [t.to(target.dtype) for t in tensors]
    return apply(Cat, *tensors, axis=axis)


def _check_cat_shapes(tensors: list[Tensor], axis: int) -> None:
    first = tensors[0]._data.shape
    for index, other in enumerate(t._data.shape for t in tensors[1:]):
        shapes = f"(shapes {list(first)} and {list(other)})"
        if len(other) != len(first):
            raise RuntimeError(
                f"cat(): Tensors must have same number of dimensions: got {len(first)} and "
                f"{len(other)} {shapes}"
            )
        for d, (m, n) in enumerate(zip(first, other)):
            if d != axis and m != n:
                raise RuntimeError(
                    f"cat(): Sizes of tensors must match except in dimension {axis}. Expected "
                    f"size {m} but got size {n} for tensor number {index + 1} in the list "
                    f"{shapes}."
                )


concat = concatenate = cat


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors of the same shape along a new dimension.

    Example:
        >>> import nerve
        >>> a, b = nerve.tensor([1, 2]), nerve.tensor([3, 4])
        >>> nerve.stack([a, b])
        tensor([[1, 2],
                [3, 4]])
        >>> nerve.stack([a, b], dim=1).shape
        nerve.Size([2, 2])
    """
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = tensors[0]._data.shape
    for index, other in enumerate(tensors[1:], start=1):
        if other._data.shape != shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(shape)} at entry 0 and "
                f"{list(other.shape)} at entry {index}"
            )
    axis = _check_dim(dim, len(shape) + 1, "stack")
    return cat([t.unsqueeze(axis) for t in tensors], axis)


def hstack(tensors: Sequence[Tensor]) -> Tensor:
    """Join tensors horizontally: along dimension 1, or 0 for 1-D tensors (torch.hstack).

    Example:
        >>> import nerve
        >>> nerve.hstack([nerve.tensor([1, 2]), nerve.tensor([3])])
        tensor([1, 2, 3])
        >>> nerve.hstack([nerve.zeros(2, 1), nerve.ones(2, 2)])
        tensor([[0., 1., 1.],
                [0., 1., 1.]])
    """
    return cat(tensors, 0 if tensors[0].dim() == 1 else 1)


def vstack(tensors: Sequence[Tensor]) -> Tensor:
    """Join tensors vertically, along dimension 0; 1-D tensors become rows (torch.vstack).

    Example:
        >>> import nerve
        >>> nerve.vstack([nerve.tensor([1, 2]), nerve.tensor([3, 4])])
        tensor([[1, 2],
                [3, 4]])
    """
    return cat([t.reshape(1, -1) if t.dim() == 1 else t for t in tensors], 0)


def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """The ``length`` elements from ``start`` along ``dim``, as torch.narrow.

    Example:
        >>> import nerve
        >>> nerve.narrow(nerve.arange(6).reshape(2, 3), 1, 1, 2)
        tensor([[1, 2],
                [4, 5]])
    """
    axis = _check_dim(dim, input._data.ndim, "narrow")
    index = [slice(None)] * input._data.ndim
    index[axis] = slice(start, start + length)
    return input[tuple(index)]


def split(tensor: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of the given sizes.

    Example:
        >>> import nerve
        >>> nerve.split(nerve.arange(5), 2)
        (tensor([0, 1]), tensor([2, 3]), tensor([4]))
        >>> nerve.split(nerve.arange(5), [1, 4])
        (tensor([0]), tensor([1, 2, 3, 4]))
    """
    axis = _check_dim(dim, tensor._data.ndim, "split")
    total = tensor._data.shape[axis]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        if size <= 0:
            raise RuntimeError(
                f"split expects split_size be non-negative, but got split_size={size}"
            )
        sizes = [min(size, total - start) for start in range(0, total, size)] or [0]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != total:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {total} (input tensor's "
                f"size at dimension {axis}), but got split_sizes={sizes}"
            )
    pieces, start = [], 0
    for size in sizes:
        pieces.append(narrow(tensor, axis, start, size))
        start += size
    return tuple(pieces)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """Split into ``chunks`` pieces of equal size (ceil), as torch.chunk; may return fewer.

    Example:
        >>> import nerve
        >>> nerve.chunk(nerve.arange(5), 3)
        (tensor([0, 1]), tensor([2, 3]), tensor([4]))
    """
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    total = input._data.shape[_check_dim(dim, input._data.ndim, "chunk")]
    size = max(-(-total // chunks), 1)
    return split(input, size, dim)


def unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """The slices along ``dim`` as a tuple, that dimension removed (torch.unbind).

    Example:
        >>> import nerve
        >>> nerve.unbind(nerve.tensor([[1, 2], [3, 4]]))
        (tensor([1, 2]), tensor([3, 4]))
    """
    axis = _check_dim(dim, input._data.ndim, "unbind")
    return tuple(input.select(axis, i) for i in range(input._data.shape[axis]))


def select(input: Tensor, dim: int, index: int) -> Tensor:
    """The slice at ``index`` along ``dim``, that dimension removed (``x[:, index]`` for dim=1).

    Example:
        >>> import nerve
        >>> nerve.select(nerve.arange(6).reshape(2, 3), 1, 2)
        tensor([2, 5])
    """
    axis = _check_dim(dim, input._data.ndim, "select")
    key = [slice(None)] * input._data.ndim
    key[axis] = index
    return input[tuple(key)]
