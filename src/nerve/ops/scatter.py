"""Scattering along a dimension: ``scatter`` (a value or a tensor written at ``index``, or
combined with ``reduce``) and ``scatter_add`` (repeats accumulate), torch's checks included.

``out[i][index[i][j]] = src[i][j]`` for dim=1: the index tensor names, for each of its
positions, where along ``dim`` the matching ``src`` value goes. Its gradient reads the output's
gradient back at those positions (``GetItem``), and a written-over value gets none.
"""

from __future__ import annotations

from typing import Any

from ..autograd.grad_mode import state
from ..autograd.node import Node, apply, run
from ..backend.device import xp_of
from ..tensor import Tensor, _check_dim
from .dual import shape_of
from .index import GetItem, IndexBackward, _along_axis, _check_index, index_add_into


class ScatterAdd(Node):
    saves = ()

    def forward(self, target: Any, src: Any, key: Any) -> Any:
        self.key, self.src_shape = key, src.shape
        # torch reads only the leading block of src that the index covers
        self.block = tuple(slice(0, n) for n in key[0].shape) if key else ()
        out = target.copy()
        index_add_into(xp_of(out), out, key, src[self.block])
        return out

    def backward(self, g: Any) -> tuple[Any, Any]:
        need_target, need_src = self.needs_input_grad
        gs = None
        if need_src:
            gs = run(GetItem, g, key=self.key, advanced=True)
            if tuple(shape_of(gs)) != tuple(self.src_shape):
                gs = run(IndexBackward, gs, key=self.block, advanced=False, shape=self.src_shape)
        return (g if need_target else None), gs


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """Add ``src`` into a copy of ``input`` at ``index`` along ``dim``; repeats accumulate.

    Example:
        >>> import nerve
        >>> nerve.scatter_add(nerve.zeros(3), 0, nerve.tensor([0, 2, 0]), nerve.ones(3))
        tensor([2., 0., 1.])
    """
    _check_index(index, "scatter_add")
    if input._data.ndim == 0 or index._data.ndim == 0:  # 0-d tensors count as one element
        return _as_vectors(scatter_add, input, dim, index, src)
    axis = _check_dim(dim, input._data.ndim, "scatter_add")
    _check_scatter("scatter_add", input, axis, index, src)
    return apply(ScatterAdd, input, src, key=_along_axis(index._data, axis))


def scatter(
    input: Tensor,
    dim: int,
    index: Tensor,
    src: Any = None,
    *,
    value: Any = None,
    reduce: str | None = None,
) -> Tensor:
    """Write ``src`` (a tensor, or the number ``value``) into a copy of ``input`` at ``index``
    along ``dim``: ``out[i][index[i][j]] = src[i][j]`` for dim=1. ``reduce="add"`` adds
    instead (as :func:`scatter_add`), ``reduce="multiply"`` multiplies (no gradient, as in
    torch).

    Example:
        >>> import nerve
        >>> nerve.scatter(nerve.zeros(4), 0, nerve.tensor([3, 0]), nerve.tensor([5.0, 6.0]))
        tensor([6., 0., 0., 5.])
        >>> nerve.zeros(2, 3).scatter(1, nerve.tensor([[0], [2]]), value=1.0)
        tensor([[1., 0., 0.],
                [0., 0., 1.]])
    """
    if (src is None) == (value is None):
        raise TypeError("scatter() takes either src (a tensor or a number) or value, not both")
    src = value if src is None else src
    _check_index(index, "scatter")
    if input._data.ndim == 0 or index._data.ndim == 0:  # 0-d tensors count as one element
        return _as_vectors(scatter, input, dim, index, src, reduce=reduce)
    axis = _check_dim(dim, input._data.ndim, "scatter")
    _check_scatter("scatter", input, axis, index, src)
    block = tuple(slice(0, n) for n in index._data.shape)
    if reduce is not None:
        return _scatter_reduced(input, axis, index, src, block, reduce)
    out = input.clone()
    out[_along_axis(index._data, axis)] = src[block] if isinstance(src, Tensor) else src
    return out


def _as_vectors(
    function: Any, input: Tensor, dim: int, index: Tensor, src: Any, **options: Any
) -> Any:
    """A scatter with a 0-d input, index or source, each read as one element (as torch)."""
    _check_dim(dim, max(input._data.ndim, 1), "scatter")
    src = _one_d(src) if isinstance(src, Tensor) else src
    out = function(_one_d(input), dim, _one_d(index), src, **options)
    return out.reshape(()) if input._data.ndim == 0 else out


def _one_d(tensor: Tensor) -> Tensor:
    return tensor.reshape(1) if tensor._data.ndim == 0 else tensor


def _scatter_reduced(
    input: Tensor, axis: int, index: Tensor, src: Any, block: tuple[slice, ...], reduce: str
) -> Tensor:
    """scatter's ``reduce``: "add" is scatter_add (with its gradient); "multiply" has none
    (torch's derivative is not implemented either), so it refuses to be recorded."""
    if reduce not in ("add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    values = src if isinstance(src, Tensor) else input.new_full(index.shape, src)
    if reduce == "add":
        return scatter_add(input, axis, index, values[block])
    if state.enabled and (input.requires_grad or values.requires_grad):
        raise RuntimeError(
            "the derivative of scatter with reduce='multiply' is not implemented (as in torch); "
            "compute it under nerve.no_grad(), or multiply by a scattered tensor of factors"
        )
    out = input._data.copy()
    xp_of(out).multiply.at(out, _along_axis(index._data, axis), values._data[block])
    return Tensor._make(out)


def _check_scatter(op: str, input: Tensor, axis: int, index: Tensor, src: Any) -> None:
    """torch's shape, bound and dtype checks of scatter and scatter_add."""
    data, idx = input._data, index._data
    if idx.ndim != data.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    src_shape = src._data.shape if isinstance(src, Tensor) else None
    too_big = any(n > m for d, (n, m) in enumerate(zip(idx.shape, data.shape)) if d != axis)
    if src_shape is not None:
        too_big = too_big or any(n > m for n, m in zip(idx.shape, src_shape))
    if too_big:
        against = f" and to be no larger size than src {list(src_shape)}" if src_shape else ""
        raise RuntimeError(
            f"Expected index {list(idx.shape)} to be no larger than self {list(data.shape)} "
            f"apart from dimension {axis}{against}"
        )
    if src_shape is not None and src._data.dtype != data.dtype:
        raise RuntimeError(f"{op}(): Expected self.dtype to be equal to src.dtype")
    _check_bounds(idx.reshape(-1), data.shape[axis] if data.ndim else 1, axis)


def _check_bounds(positions: Any, size: int, axis: int) -> None:
    """torch's error for an index outside [-size, size) along ``axis``."""
    if positions.size and not -size <= int(positions.min()) <= int(positions.max()) < size:
        bad = positions[(positions < -size) | (positions >= size)][0]
        raise RuntimeError(
            f"index {int(bad)} is out of bounds for dimension {axis} with size {size}"
        )
