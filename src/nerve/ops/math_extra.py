"""Everyday products and two binary formulas torch has at top level: addmm, addmv, mv,
baddbmm, addbmm, kron, tensordot, cross (and linalg.cross), dist, atan2 and fmod.

Every function but two is a composition of existing ops (matmul, expand, roll, the
arithmetic), so its gradient and double backward come from those ops. ``atan2`` and ``fmod``
are nodes of their own: their forwards are single array calls that a composition would only
approximate (fmod's rounding; atan of a quotient loses the quadrant), each with one backward
formula.
"""

from __future__ import annotations

import warnings
from typing import Any

from ..autograd.node import run
from ..backend.device import xp_of
from ..tensor import Tensor, _check_dim
from .arith import Binary, _binary, _has_zero, _is_integer
from .broadcast import broadcast_shape
from .dual import const, data
from .linalg import bmm, matmul, mm
from .reorder import roll
from .unary import Trunc

__all__ = [
    "addbmm",
    "addmm",
    "addmv",
    "arctan2",
    "atan2",
    "baddbmm",
    "cross",
    "dist",
    "fmod",
    "kron",
    "linalg_cross",
    "mv",
    "tensordot",
]


def _plus_scaled(product: Tensor, input: Tensor, beta: float, alpha: float) -> Tensor:
    """``beta * input + alpha * product``, ``input`` expanded to the product's shape. With
    ``beta == 0`` the input is ignored, NaN and inf included (as torch)."""
    if alpha != 1:
        product = product * alpha
    if beta == 0:
        return product
    input = input.expand(tuple(product.shape))
    return product + (input if beta == 1 else input * beta)


def _need_dims(x: Tensor, ndim: int, what: str) -> None:
    if x._data.ndim != ndim:
        if ndim == 2:
            raise RuntimeError(f"{what} must be a matrix, got {x.dim()}-D tensor")
        raise RuntimeError(f"{what} must be a {ndim}D tensor")


def addmm(
    input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: float = 1, alpha: float = 1
) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)``, ``input`` broadcast to the product's shape
    (a linear layer's ``bias + x @ W.T`` in one call).

    Example:
        >>> import nerve
        >>> nerve.addmm(nerve.tensor([1.0, 2.0]), nerve.ones(3, 2), nerve.eye(2), alpha=2)
        tensor([[3., 4.],
                [3., 4.],
                [3., 4.]])
    """
    _need_dims(mat1, 2, "mat1")
    _need_dims(mat2, 2, "mat2")
    return _plus_scaled(mm(mat1, mat2), input, beta, alpha)


def mv(input: Tensor, vec: Tensor) -> Tensor:
    """The product of a matrix (n, m) and a vector (m,): a vector (n,).

    Example:
        >>> import nerve
        >>> nerve.mv(nerve.tensor([[1.0, 2.0], [3.0, 4.0]]), nerve.tensor([1.0, -1.0]))
        tensor([-1., -1.])
    """
    if input._data.ndim != 2 or vec._data.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input.dim()}, {vec.dim()}")
    if input.shape[1] != vec.shape[0]:
        raise RuntimeError(
            f"size mismatch, got input ({input.shape[0]}), mat ({input.shape[0]}x"
            f"{input.shape[1]}), vec ({vec.shape[0]})"
        )
    return matmul(input, vec)


def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta: float = 1, alpha: float = 1) -> Tensor:
    """``beta * input + alpha * (mat @ vec)``.

    Example:
        >>> import nerve
        >>> nerve.addmv(nerve.tensor([1.0, 1.0]), nerve.eye(2), nerve.tensor([2.0, 3.0]))
        tensor([3., 4.])
    """
    if mat._data.ndim != 2 or vec._data.ndim != 1 or input._data.ndim > 1:
        raise RuntimeError(
            f"vector + matrix @ vector expected, got {input.dim()}, {mat.dim()}, {vec.dim()}"
        )
    rows = mat.shape[0]
    if mat.shape[1] != vec.shape[0] or input._data.size not in (1, rows):
        raise RuntimeError(
            f"size mismatch, got input ({input._data.size}), mat ({rows}x{mat.shape[1]}), "
            f"vec ({vec.shape[0]})"
        )
    return _plus_scaled(mv(mat, vec), input, beta, alpha)


def _check_batches(batch1: Tensor, batch2: Tensor) -> None:
    _need_dims(batch1, 3, "batch1")
    _need_dims(batch2, 3, "batch2")
    expected = [batch1.shape[0], batch1.shape[2]]
    if list(batch2.shape[:2]) != expected:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: {expected} but "
            f"got: {list(batch2.shape[:2])}."
        )


def baddbmm(
    input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: float = 1, alpha: float = 1
) -> Tensor:
    """``beta * input + alpha * bmm(batch1, batch2)``: one matrix product per batch entry.

    Example:
        >>> import nerve
        >>> nerve.baddbmm(nerve.zeros(2, 1, 1), nerve.ones(2, 1, 3), nerve.ones(2, 3, 1))
        tensor([[[3.]],
        <BLANKLINE>
                [[3.]]])
    """
    _check_batches(batch1, batch2)
    return _plus_scaled(bmm(batch1, batch2), input, beta, alpha)


def addbmm(
    input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: float = 1, alpha: float = 1
) -> Tensor:
    """``beta * input + alpha * sum_i batch1[i] @ batch2[i]``: the products summed over the
    batch.

    Example:
        >>> import nerve
        >>> nerve.addbmm(nerve.zeros(1, 1), nerve.ones(2, 1, 3), nerve.ones(2, 3, 1))
        tensor([[6.]])
    """
    if batch1._data.ndim == batch2._data.ndim == 3 and batch1.shape[0] != batch2.shape[0]:
        raise RuntimeError(
            "batch1 and batch2 must have same number of batches, got "
            f"{batch1.shape[0]} and {batch2.shape[0]}"
        )
    _check_batches(batch1, batch2)
    return _plus_scaled(bmm(batch1, batch2).sum(0), input, beta, alpha)


def kron(input: Tensor, other: Tensor) -> Tensor:
    """The Kronecker product: every element of ``input`` times the whole of ``other``, laid
    out block by block.

    Example:
        >>> import nerve
        >>> nerve.kron(nerve.tensor([[1, 2]]), nerve.tensor([[1], [10]]))
        tensor([[ 1,  2],
                [10, 20]])
    """
    ndim = max(input._data.ndim, other._data.ndim)
    a_shape = (1,) * (ndim - input._data.ndim) + tuple(input.shape)
    b_shape = (1,) * (ndim - other._data.ndim) + tuple(other.shape)
    # interleave: a as (a0, 1, a1, 1, ...) and b as (1, b0, 1, b1, ...), so that the product's
    # pair of axes (i, i') flattens to the block layout a_i * b_i
    a = input.reshape([n for size in a_shape for n in (size, 1)])
    b = other.reshape([n for size in b_shape for n in (1, size)])
    return (a * b).reshape([m * n for m, n in zip(a_shape, b_shape)])


def _tensordot_dims(dims: Any, a_ndim: int) -> tuple[list[int], list[int]]:
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > a_ndim:
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        return list(range(a_ndim - dims, a_ndim)), list(range(dims))
    first, second = dims
    first = [first] if isinstance(first, int) else list(first)
    second = [second] if isinstance(second, int) else list(second)
    if len(first) != len(second):
        raise RuntimeError("both dimension lists should have same length")
    return first, second


def tensordot(a: Tensor, b: Tensor, dims: Any = 2) -> Tensor:
    """Sum the products of ``a`` and ``b`` over the dimension pairs ``dims``: a number n (the
    last n of ``a`` with the first n of ``b``) or two lists of dimensions.

    Example:
        >>> import nerve
        >>> nerve.tensordot(nerve.ones(2, 3, 4), nerve.ones(4, 3, 5), dims=([1, 2], [1, 0])).shape
        nerve.Size([2, 5])
    """
    first, second = _tensordot_dims(dims, a._data.ndim)
    first = [_check_dim(d, a._data.ndim, "tensordot") for d in first]
    second = [_check_dim(d, b._data.ndim, "tensordot") for d in second]
    for i, j in zip(first, second):
        if a.shape[i] != b.shape[j]:
            raise RuntimeError(
                f"contracted dimensions need to match, but first has size {a.shape[i]} in dim "
                f"{i} and second has size {b.shape[j]} in dim {j}"
            )
    free_a = [d for d in range(a._data.ndim) if d not in first]
    free_b = [d for d in range(b._data.ndim) if d not in second]
    size = 1
    for d in first:
        size *= a.shape[d]
    # as one matrix product: (free of a, contracted) @ (contracted, free of b)
    left = a.permute(free_a + first).reshape(-1, size)
    right = b.permute(second + free_b).reshape(size, -1)
    shape = [a.shape[d] for d in free_a] + [b.shape[d] for d in free_b]
    return mm(left, right).reshape(shape)


def _cross(input: Tensor, other: Tensor, dim: int, op: str) -> Tensor:
    if input._data.ndim != other._data.ndim:
        raise RuntimeError(f"{op}: inputs must have the same number of dimensions.")
    axis = _check_dim(dim, input._data.ndim, op)
    if input.shape[axis] != 3 or other.shape[axis] != 3:
        raise RuntimeError(
            f"{op}: inputs dimension {dim} must have length 3. Got {input.shape[axis]} and "
            f"{other.shape[axis]}"
        )
    broadcast_shape(op, input.shape, other.shape)
    # component i is a_(i+1) b_(i+2) - a_(i+2) b_(i+1): the same formula, rolled
    return roll(input, -1, axis) * roll(other, -2, axis) - roll(input, -2, axis) * roll(
        other, -1, axis
    )


def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:
    """The cross product of 3-vectors along ``dim`` (without ``dim``: the first dimension of
    size 3, with torch's warning).

    Example:
        >>> import nerve
        >>> nerve.cross(nerve.tensor([1.0, 0.0, 0.0]), nerve.tensor([0.0, 1.0, 0.0]), dim=0)
        tensor([0., 0., 1.])
    """
    if dim is None:
        warnings.warn(
            "Using torch.cross without specifying the dim arg is deprecated.\nPlease either "
            "pass the dim explicitly or simply use torch.linalg.cross.\nThe default value of "
            "dim will change to agree with that of linalg.cross in a future release.",
            UserWarning,
            stacklevel=2,
        )
        shape = broadcast_shape("cross", input.shape, other.shape)
        dim = next((i for i, n in enumerate(shape) if n == 3), -1)
    return _cross(input, other, dim, "linalg.cross")


def linalg_cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:
    """torch.linalg.cross: the cross product of 3-vectors along ``dim`` (the last by default).

    Example:
        >>> import nerve
        >>> nerve.linalg.cross(nerve.tensor([[0.0, 1.0, 0.0]]), nerve.tensor([[0.0, 0.0, 1.0]]))
        tensor([[1., 0., 0.]])
    """
    return _cross(input, other, dim, "linalg.cross")


def dist(input: Tensor, other: Tensor, p: float = 2) -> Tensor:
    """The p-norm of ``input - other`` (broadcast), over all elements.

    Example:
        >>> import nerve
        >>> nerve.dist(nerve.tensor([0.0, 0.0]), nerve.tensor([3.0, 4.0]))
        tensor(5.)
    """
    from .spread import norm

    return norm(input - other, p)


class Atan2(Binary):
    """The angle of the point (b, a): arctan(a / b) in the right quadrant. Gradient:
    (b, -a) / (a^2 + b^2)."""

    def compute(self, a: Any, b: Any) -> Any:
        return xp_of(a if hasattr(a, "dtype") else b).arctan2(a, b)

    def backward(self, g: Any) -> tuple[Any, Any]:
        a, b = self.input(0), self.input(1)
        need_a, need_b = self.needs_input_grad
        scale = g / (a * a + b * b)
        return self.grads(scale * b if need_a else None, -scale * a if need_b else None)


def atan2(input: Tensor, other: Any) -> Tensor:
    """The angle (radians, in [-pi, pi]) of the point (other, input), elementwise: the
    arctangent of ``input / other`` in the right quadrant.

    Example:
        >>> import nerve
        >>> nerve.atan2(nerve.tensor([1.0, 1.0]), nerve.tensor([1.0, -1.0]))
        tensor([0.7854, 2.3562])
    """
    return _binary(Atan2, input, other, "atan2", to_float=True)


arctan2 = atan2


class Fmod(Binary):
    """C's remainder: ``a - trunc(a / b) * b``, with the sign of ``a``. Gradient: 1 for ``a``,
    ``-trunc(a / b)`` for ``b`` (trunc is piecewise constant: a constant under create_graph)."""

    def compute(self, a: Any, b: Any) -> Any:
        if _is_integer(a) and _is_integer(b) and _has_zero(b):
            raise RuntimeError("ZeroDivisionError")
        return xp_of(a if hasattr(a, "dtype") else b).fmod(a, b)

    def backward(self, g: Any) -> tuple[Any, Any]:
        need_a, need_b = self.needs_input_grad
        gb = None
        if need_b:
            quotient = run(Trunc, data(self.input(0)) / data(self.input(1)))
            gb = -g * const(quotient, g)
        return self.grads(g if need_a else None, gb)


def fmod(input: Tensor, other: Any) -> Tensor:
    """The remainder of ``input / other`` with the sign of ``input`` (C's fmod; ``remainder``
    takes the sign of ``other``).

    Example:
        >>> import nerve
        >>> nerve.fmod(nerve.tensor([5, -5]), 3)
        tensor([ 2, -2])
    """
    return _binary(Fmod, input, other, "fmod")


TENSOR_METHODS = {
    "addmm": addmm,
    "addmv": addmv,
    "mv": mv,
    "baddbmm": baddbmm,
    "addbmm": addbmm,
    "kron": kron,
    "cross": cross,
    "dist": dist,
    "atan2": atan2,
    "arctan2": arctan2,
    "fmod": fmod,
}
