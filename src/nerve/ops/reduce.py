"""Reductions: sum, mean, prod, max/min, var/std, logsumexp, norm, cumsum, softmax ..."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..autograd.node import Node, apply
from ..backend import dtypes
from ..backend.device import xp_of
from ..backend.reductions import extreme
from ..tensor import Tensor, _check_dim
from .dual import cast, const, data, shape_of, unreduce
from .dual import sum as dual_sum
from .return_types import return_types

Dim = int | Sequence[int] | None


def normalize_dims(dim: Dim, ndim: int, op: str) -> tuple[int, ...] | None:
    """Dims as a sorted tuple of non-negative axes, or None for all of them."""
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    if not dims:
        return None
    axes = tuple(sorted({_check_dim(d, ndim, op) for d in dims}))
    return axes if ndim else None


def _count(shape: tuple[int, ...], axes: tuple[int, ...] | None) -> int:
    count = 1
    for i, n in enumerate(shape):
        if axes is None or i in axes:
            count *= n
    return count


class Sum(Node):
    saves = ()

    def forward(self, x: Any, axes: Any = None, keepdim: bool = False, dtype: Any = None) -> Any:
        self.shape, self.axes, self.keepdim = x.shape, axes, keepdim
        return x.sum(axis=axes, keepdims=keepdim, dtype=dtype)

    def backward(self, g: Any) -> Any:
        return unreduce(g, self.shape, self.axes, self.keepdim)


class Mean(Sum):
    def forward(self, x: Any, axes: Any = None, keepdim: bool = False, dtype: Any = None) -> Any:
        self.shape, self.axes, self.keepdim = x.shape, axes, keepdim
        count = _count(x.shape, axes)
        if count == 0 or x.dtype.itemsize < 4:  # float16: NumPy's mean accumulates in float32
            return x.mean(axis=axes, keepdims=keepdim, dtype=dtype)
        # sum / count is what mean computes, minus NumPy's Python-level wrapper around it
        return x.sum(axis=axes, keepdims=keepdim, dtype=dtype) / count

    def backward(self, g: Any) -> Any:
        return unreduce(g / _count(self.shape, self.axes), self.shape, self.axes, self.keepdim)


def sum(input: Tensor, dim: Dim = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:  # noqa: A001
    """Sum over ``dim`` (all dims by default). Integer and bool tensors sum to int64.

    Example:
        >>> import nerve
        >>> x = nerve.tensor([[1, 2], [3, 4]])
        >>> nerve.sum(x), nerve.sum(x, dim=0)
        (tensor(10), tensor([4, 6]))
    """
    axes = normalize_dims(dim, input._data.ndim, "sum")
    np_dtype = dtypes.to_dtype(dtype).np if dtype is not None else None
    if np_dtype is None and input._data.dtype.kind in "biu":
        np_dtype = dtypes.int64.np
    return apply(Sum, input, axes=axes, keepdim=keepdim, dtype=np_dtype)


def mean(input: Tensor, dim: Dim = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """The average over ``dim``; only for floating-point tensors, as in torch.

    Example:
        >>> import nerve
        >>> nerve.mean(nerve.tensor([[1.0, 2.0], [3.0, 5.0]]), dim=1)
        tensor([1.5000, 4.0000])
    """
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind != "f":
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {input.dtype}"
        )
    axes = normalize_dims(dim, input._data.ndim, "mean")
    return apply(Mean, input, axes=axes, keepdim=keepdim)


class Prod(Node):
    saves_output = True

    def forward(self, x: Any, axis: Any = None, keepdim: bool = False) -> Any:
        self.axis, self.keepdim = axis, keepdim
        return x.prod(axis=axis, keepdims=keepdim)

    def backward(self, g: Any) -> Any:
        x = self.input(0)
        shape = shape_of(x)
        axes = None if self.axis is None else (self.axis,)
        g = unreduce(g, shape, axes, self.keepdim)
        if not bool((data(x) == 0).any()):
            return g * unreduce(self.output(), shape, axes, self.keepdim) / x
        # With zeros, dividing fails: the product of the others, exactly. Its array kernel
        # (prefix and suffix products) has no recorded form, so create_graph builds it from ops.
        if isinstance(x, Tensor):
            return g * _product_of_others_recorded(x, self.axis)
        return g * _product_of_others(x, self.axis)


def _product_of_others_recorded(x: Tensor, axis: int | None) -> Tensor:
    """prod_{j != i} x_j along ``axis`` from recorded ops: row i of an n x n table holds the
    slice with x_i replaced by 1 (n x n per slice, so only for higher-order gradients)."""
    from .compare import where

    values = x.reshape(-1) if axis is None else x.movedim(axis, -1)
    n = values.shape[-1]
    diagonal = Tensor._make(xp_of(x._data).eye(n, dtype=bool))
    others = where(diagonal, 1.0, values.unsqueeze(-2)).prod(-1)
    return others.reshape(x.shape) if axis is None else others.movedim(-1, axis)


def _product_of_others(x: Any, axis: int | None) -> Any:
    """prod_{j != i} x_j along ``axis`` without dividing (exact where x has zeros)."""
    xp = xp_of(x)
    flat = axis is None
    values = x.reshape(-1) if flat else x
    axis = 0 if flat else axis
    ones = xp.ones_like(xp.take(values, [0], axis=axis))
    left = xp.cumprod(xp.concatenate([ones, values], axis=axis), axis=axis)
    left = xp.take(left, range(values.shape[axis]), axis=axis)
    reversed_values = xp.flip(values, axis=axis)
    right = xp.cumprod(xp.concatenate([ones, reversed_values], axis=axis), axis=axis)
    right = xp.flip(xp.take(right, range(values.shape[axis]), axis=axis), axis=axis)
    result = left * right
    return result.reshape(x.shape) if flat else result


def prod(
    input: Tensor, dim: int | None = None, keepdim: bool = False, *, dtype: Any = None
) -> Tensor:
    """The product of all elements, or along ``dim``; integers multiply as int64 (torch.prod).

    Example:
        >>> import nerve
        >>> nerve.prod(nerve.tensor([[1, 2], [3, 4]]), dim=1)
        tensor([ 2, 12])
    """
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind in "biu":
        input = input.long()
    axis = None if dim is None else _check_dim(dim, input._data.ndim, "prod")
    return apply(Prod, input, axis=axis, keepdim=keepdim)


class Extreme(Node):
    """max/min/amax/amin. With ``single`` (max(dim)) the gradient goes to the returned index;
    otherwise it is shared evenly between tied extremes, as torch does."""

    saves_output = True

    def forward(self, x: Any, axes: Any, keepdim: bool, largest: bool, index: Any = None) -> Any:
        self.axes, self.keepdim, self.index = axes, keepdim, index
        return extreme(x, axes, keepdim, largest)

    def backward(self, g: Any) -> Any:
        x = self.input(0)
        shape = shape_of(x)
        if self.index is not None:
            xp = xp_of(self.index)
            axis = self.axes[0]
            idx = self.index if self.keepdim else xp.expand_dims(self.index, axis)
            positions = xp.arange(shape[axis]).reshape(
                [-1 if i == axis else 1 for i in range(len(shape))]
            )
            return unreduce(g, shape, self.axes, self.keepdim) * const(positions == idx, g)
        out = unreduce(self.output(), shape, self.axes, self.keepdim)
        ties = cast(x == out, g)
        count = dual_sum(ties, self.axes, keepdim=self.axes is not None)
        return unreduce(g, shape, self.axes, self.keepdim) * ties / count


def _extreme(input: Tensor, dim: Any, keepdim: bool, largest: bool, name: str) -> Any:
    if input._data.size == 0 and (dim is None or input._data.ndim == 0):
        raise RuntimeError(
            f"{name}(): Expected reduction dim to be specified for input.numel() == 0."
        )
    if dim is None:
        return apply(Extreme, input, axes=None, keepdim=False, largest=largest)
    axis = _check_dim(dim, input._data.ndim, name)
    data = input._data if input._data.ndim else input._data.reshape(1)
    index = data.argmax(axis=axis) if largest else data.argmin(axis=axis)
    if keepdim:
        index = xp_of(data).expand_dims(index, axis)
    if not input._data.ndim:
        index = index.reshape(())
    axes = (axis,) if input._data.ndim else None
    values = apply(
        Extreme,
        input,
        axes=axes,
        keepdim=keepdim,
        largest=largest,
        index=index if input._data.ndim else None,
    )
    pair = return_types.max if largest else return_types.min
    return pair(values, Tensor._make(index.astype(dtypes.int64.np, copy=False)))


def max(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001
    """The largest value; with ``dim``, a ``(values, indices)`` pair. ``max(a, b)`` of two
    tensors is :func:`maximum`.

    Example:
        >>> import nerve
        >>> x = nerve.tensor([[1, 5], [7, 2]])
        >>> nerve.max(x)
        tensor(7)
        >>> values, indices = nerve.max(x, dim=1)
        >>> values, indices
        (tensor([5, 7]), tensor([1, 0]))
    """
    if isinstance(dim, Tensor):
        from .compare import maximum

        return maximum(input, dim)
    return _extreme(input, dim, keepdim, True, "max")


def min(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001
    """The smallest value; with ``dim``, a ``(values, indices)`` pair. ``min(a, b)`` of two
    tensors is :func:`minimum`.

    Example:
        >>> import nerve
        >>> x = nerve.tensor([[1, 5], [7, 2]])
        >>> nerve.min(x), nerve.min(x, dim=0).indices
        (tensor(1), tensor([0, 1]))
    """
    if isinstance(dim, Tensor):
        from .compare import minimum

        return minimum(input, dim)
    return _extreme(input, dim, keepdim, False, "min")


def amax(input: Tensor, dim: Dim = (), keepdim: bool = False) -> Tensor:
    """The largest value over ``dim`` (a dimension or several; all by default), without indices.

    Example:
        >>> import nerve
        >>> nerve.amax(nerve.tensor([[1, 5], [7, 2]]), dim=0)
        tensor([7, 5])
    """
    axes = normalize_dims(dim, input._data.ndim, "amax")
    return apply(Extreme, input, axes=axes, keepdim=keepdim, largest=True)


def amin(input: Tensor, dim: Dim = (), keepdim: bool = False) -> Tensor:
    """The smallest value over ``dim`` (a dimension or several; all by default), without indices.

    Example:
        >>> import nerve
        >>> nerve.amin(nerve.tensor([[1, 5], [7, 2]]), dim=1)
        tensor([1, 2])
    """
    axes = normalize_dims(dim, input._data.ndim, "amin")
    return apply(Extreme, input, axes=axes, keepdim=keepdim, largest=False)


def _arg(input: Tensor, dim: int | None, keepdim: bool, largest: bool) -> Tensor:
    data = input._data
    if dim is None:
        index = data.argmax() if largest else data.argmin()
        if keepdim:
            index = xp_of(data).asarray(index).reshape((1,) * data.ndim)
    else:
        axis = _check_dim(dim, data.ndim, "argmax" if largest else "argmin")
        data = data if data.ndim else data.reshape(1)
        index = (
            data.argmax(axis=axis, keepdims=keepdim)
            if largest
            else data.argmin(axis=axis, keepdims=keepdim)
        )
        if not input._data.ndim:
            index = index.reshape(())
    return Tensor._make(xp_of(data).asarray(index, dtype=dtypes.int64.np))


def argmax(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the largest value (the first one on ties), flattened when ``dim`` is None.

    Example:
        >>> import nerve
        >>> x = nerve.tensor([[1, 5], [7, 2]])
        >>> nerve.argmax(x), nerve.argmax(x, dim=1)
        (tensor(2), tensor([1, 0]))
    """
    return _arg(input, dim, keepdim, True)


def argmin(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the smallest value (the first one on ties), flattened when ``dim`` is None.

    Example:
        >>> import nerve
        >>> x = nerve.tensor([[1, 5], [7, 2]])
        >>> nerve.argmin(x), nerve.argmin(x, dim=0)
        (tensor(0), tensor([0, 1]))
    """
    return _arg(input, dim, keepdim, False)


def all(input: Tensor, dim: Dim = None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """Whether every element (over ``dim``, or all) is nonzero: a bool tensor (torch.all).

    Example:
        >>> import nerve
        >>> x = nerve.tensor([[True, False], [True, True]])
        >>> nerve.all(x), nerve.all(x, dim=1)
        (tensor(False), tensor([False,  True]))
    """
    axes = normalize_dims(dim, input._data.ndim, "all")
    return Tensor._make(input._data.astype(bool).all(axis=axes, keepdims=keepdim))


def any(input: Tensor, dim: Dim = None, keepdim: bool = False) -> Tensor:  # noqa: A001
    """Whether some element (over ``dim``, or all) is nonzero: a bool tensor (torch.any).

    Example:
        >>> import nerve
        >>> x = nerve.tensor([[0, 0], [0, 3]])
        >>> nerve.any(x), nerve.any(x, dim=1)
        (tensor(True), tensor([False,  True]))
    """
    axes = normalize_dims(dim, input._data.ndim, "any")
    return Tensor._make(input._data.astype(bool).any(axis=axes, keepdims=keepdim))


def count_nonzero(input: Tensor, dim: Dim = None) -> Tensor:
    """The number of nonzero elements over ``dim`` (all by default), as int64.

    Example:
        >>> import nerve
        >>> nerve.count_nonzero(nerve.tensor([[0, 1], [2, 3]]), dim=1)
        tensor([1, 2])
    """
    axes = normalize_dims(dim, input._data.ndim, "count_nonzero")
    return Tensor._make(
        xp_of(input._data).asarray((input._data != 0).sum(axis=axes), dtype=dtypes.int64.np)
    )
