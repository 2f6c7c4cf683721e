"""``nerve.nn.functional.bilinear``: a bilinear form of two inputs per output feature, the
layer of :class:`nerve.nn.Bilinear` (F.linear is the op of ops/nn_ops.py)."""

from __future__ import annotations

from ..tensor import Tensor

__all__ = ["bilinear"]


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``y_o = input1^T weight[o] input2 + bias_o`` for (*, in1) and (*, in2) inputs and a
    (out, in1, in2) weight: (*, out). A composition of a matrix product, a product and a sum,
    so its gradients are theirs.

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> F.bilinear(nerve.ones(1, 2), nerve.ones(1, 3), nerve.ones(4, 2, 3)).shape
        nerve.Size([1, 4])
    """
    if weight.dim() != 3:
        raise RuntimeError(f"bilinear(): weight must be 3-dimensional, got {weight.dim()}")
    out, in1, in2 = weight.shape
    if input1.shape[-1] != in1:
        raise RuntimeError(
            f"bilinear(): input1 size does not match weight size: got {input1.shape[-1]} but "
            f"expected {in1}"
        )
    if input2.shape[-1] != in2:
        raise RuntimeError(
            f"bilinear(): input2 size does not match weight size: got {input2.shape[-1]} but "
            f"expected {in2}"
        )
    if tuple(input1.shape[:-1]) != tuple(input2.shape[:-1]):
        raise RuntimeError(
            "bilinear(): input batch dimensions do not match: got "
            f"{list(input1.shape[:-1])} and {list(input2.shape[:-1])}"
        )
    batch = input1.shape[:-1]
    rows1, rows2 = input1.reshape(-1, in1), input2.reshape(-1, in2)
    # (rows, in1) @ (in1, out * in2): each output's weight applied to input1, then paired
    # with input2 and summed over in2
    mixed = (rows1 @ weight.permute(1, 0, 2).reshape(in1, out * in2)).reshape(-1, out, in2)
    result = (mixed * rows2.unsqueeze(1)).sum(-1)
    if bias is not None:
        result = result + bias
    return result.reshape(*batch, out)
