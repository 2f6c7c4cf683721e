"""Distances and normalisation of vectors (``nerve.nn.functional``'s normalize,
cosine_similarity and pairwise_distance), composed of the vector norm and arithmetic, so their
gradients (and second derivatives) come from those ops."""

from __future__ import annotations

from ..ops.spread import norm
from ..tensor import Tensor, _check_dim


def normalize(
    input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Tensor | None = None
) -> Tensor:
    """``input / max(||input||_p, eps)`` along ``dim``: unit vectors, zeros stay zeros.

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> F.normalize(nerve.tensor([[3.0, 4.0]]))
        tensor([[0.6000, 0.8000]])
    """
    if input._data.ndim == 0:
        raise IndexError("normalize: dimension specified as 1 but tensor has no dimensions")
    axis = _check_dim(dim, input._data.ndim, "normalize")
    denominator = norm(input, p, dim=axis, keepdim=True).clamp(min=eps).expand_as(input)
    result = input / denominator
    if out is not None:
        out.copy_(result)
        return out
    return result


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """The cosine of the angle between ``x1`` and ``x2`` along ``dim`` (they broadcast): each
    vector divided by its norm (at least ``eps``), then the dot product, as torch computes it."""
    from ..ops.broadcast import broadcast_shape

    shape = broadcast_shape("cosine_similarity", x1.shape, x2.shape)
    if x1.shape != shape:
        x1 = x1.expand(shape)
    if x2.shape != shape:
        x2 = x2.expand(shape)
    axis = _check_dim(dim, len(shape), "cosine_similarity")
    n1 = norm(x1, 2, dim=axis, keepdim=True).clamp(min=eps)
    n2 = norm(x2, 2, dim=axis, keepdim=True).clamp(min=eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim=axis)


def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """The p-norm of ``x1 - x2 + eps`` along the last dimension (of the broadcast shape)."""
    ndim = max(x1._data.ndim, x2._data.ndim)
    difference = x1 - x2 + eps
    if ndim == 0:  # two scalars: |x1 - x2 + eps|
        return difference.abs()
    return norm(difference, p, dim=ndim - 1, keepdim=keepdim)


__all__ = ["cosine_similarity", "normalize", "pairwise_distance"]
