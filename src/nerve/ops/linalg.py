"""Matrix products: matmul / @ (1-D, 2-D and batched with broadcasting), mm, bmm, dot, outer."""

from __future__ import annotations

from typing import Any

from ..autograd.node import Node, apply
from ..backend.blas import matmul2d
from ..tensor import Tensor
from . import dual
from .dual import mT, shape_of, sum_to
from .promotion import matmul_operands, promote_pair


class Matmul(Node):
    def forward(self, a: Any, b: Any) -> Any:
        # for 2-D operands: ndarray.dot (the same product as @ with half the call overhead) or
        # MKL's for large ones
        return matmul2d(a, b) if a.ndim == 2 and b.ndim == 2 else a @ b

    def backward(self, g: Any) -> tuple[Any, Any]:
        a, b = self.input(0), self.input(1)
        need_a, need_b = self.needs_input_grad
        a_ndim, b_ndim = len(shape_of(a)), len(shape_of(b))
        if a_ndim == 2 and b_ndim == 2:  # the common case: two matrices
            return (dual.mm(g, mT(b)) if need_a else None), (dual.mm(mT(a), g) if need_b else None)
        if a_ndim == 1 and b_ndim == 1:  # a dot product: g is a scalar
            return (g * b if need_a else None), (g * a if need_b else None)
        # vectors become matrices (and back), batch dimensions are summed where broadcast
        a2 = a.reshape((1, -1)) if a_ndim == 1 else a
        b2 = b.reshape((-1, 1)) if b_ndim == 1 else b
        if a_ndim == 1:
            g = g.reshape(shape_of(g)[:-1] + (1, shape_of(g)[-1]))
        if b_ndim == 1:
            g = g.reshape(shape_of(g) + (1,))
        ga = gb = None
        if need_a:
            ga = sum_to(g @ mT(b2), shape_of(a2))
            ga = ga.reshape(shape_of(a)) if a_ndim == 1 else ga
        if need_b:
            gb = sum_to(mT(a2) @ g, shape_of(b2))
            gb = gb.reshape(shape_of(b)) if b_ndim == 1 else gb
        return ga, gb


def _check_matmul(a: Tensor, b: Tensor, op: str) -> None:
    if a._data.ndim == 0 or b._data.ndim == 0:
        raise RuntimeError(
            f"{op}: both arguments need at least 1 dimension, got shapes {list(a.shape)} and "
            f"{list(b.shape)}"
        )
    inner_a = a._data.shape[-1]
    inner_b = b._data.shape[0] if b._data.ndim == 1 else b._data.shape[-2]
    if inner_a != inner_b:
        raise RuntimeError(
            f"{op}: shapes {list(a.shape)} and {list(b.shape)} cannot be multiplied: the last "
            f"dimension of the first ({inner_a}) must equal the "
            f"{'only' if b._data.ndim == 1 else 'second-to-last'} dimension of the second "
            f"({inner_b})"
        )


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """The matrix product with torch's rules for 1-D operands and batch broadcasting.

    Example:
        >>> import nerve
        >>> (nerve.ones(32, 8) @ nerve.ones(8, 4)).shape
        nerve.Size([32, 4])
    """
    matmul_operands(input, other)  # torch never promotes a product: its dtype error
    input, other = promote_pair(input, other, "matmul")
    _check_matmul(input, other, "matmul")
    if input._data.ndim > 2 or other._data.ndim > 2:
        from .broadcast import broadcast_shape

        broadcast_shape(
            "matmul (batch dimensions)",
            input.shape[:-2],
            other.shape[:-2] if other.ndim > 1 else (),
        )
    return apply(Matmul, input, other)


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """The product of two matrices (2-D only, no broadcasting).

    Example:
        >>> import nerve
        >>> nerve.mm(nerve.tensor([[1.0, 2.0]]), nerve.tensor([[3.0], [4.0]]))
        tensor([[11.]])
    """
    if input.dim() != 2 or mat2.dim() != 2:
        raise RuntimeError(
            f"mm: expected 2-D tensors, got shapes {list(input.shape)} and {list(mat2.shape)}"
        )
    if input.shape[1] != mat2.shape[0]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({input.shape[0]}x{input.shape[1]} and "
            f"{mat2.shape[0]}x{mat2.shape[1]})"
        )
    return matmul(input, mat2)


def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """Batched matrix product of (b, n, m) and (b, m, p) tensors.

    Example:
        >>> import nerve
        >>> nerve.bmm(nerve.ones(5, 2, 3), nerve.ones(5, 3, 4)).shape
        nerve.Size([5, 2, 4])
    """
    if input.dim() != 3 or mat2.dim() != 3:
        raise RuntimeError(
            f"bmm: expected 3-D tensors, got shapes {list(input.shape)} and {list(mat2.shape)}"
        )
    if input.shape[0] != mat2.shape[0]:
        raise RuntimeError(f"bmm: batch sizes differ: {input.shape[0]} and {mat2.shape[0]}")
    return matmul(input, mat2)


def dot(input: Tensor, other: Tensor) -> Tensor:
    """The inner product of two 1-D tensors of the same length.

    Example:
        >>> import nerve
        >>> nerve.dot(nerve.tensor([1.0, 2.0]), nerve.tensor([3.0, 4.0]))
        tensor(11.)
    """
    if input.dim() != 1 or other.dim() != 1:
        raise RuntimeError(
            f"1D tensors expected, but got {input.dim()}D and {other.dim()}D tensors"
        )
    if input.shape[0] != other.shape[0]:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{input.shape[0]}] and src "
            f"[{other.shape[0]}] to have the same number "
            f"of elements, but got {input.shape[0]} and {other.shape[0]} elements respectively"
        )
    return matmul(input, other)


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """The outer product of two 1-D tensors.

    Example:
        >>> import nerve
        >>> nerve.outer(nerve.tensor([1, 2]), nerve.tensor([1, 10, 100]))
        tensor([[  1,  10, 100],
                [  2,  20, 200]])
    """
    if input.dim() != 1 or vec2.dim() != 1:
        raise RuntimeError(
            f"outer: expected 1-D tensors, got shapes {list(input.shape)} and {list(vec2.shape)}"
        )
    return input.unsqueeze(1) * vec2.unsqueeze(0)
