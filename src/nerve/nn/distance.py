"""Similarity and distance layers (torch.nn's CosineSimilarity and PairwiseDistance), each
calling its function in ``nn.functional``."""

from __future__ import annotations

from ..tensor import Tensor
from .functional_distance import cosine_similarity, pairwise_distance
from .module import Module


class CosineSimilarity(Module):
    """The cosine of the angle between ``x1`` and ``x2`` along ``dim``.

    Example:
        >>> import nerve
        >>> nerve.nn.CosineSimilarity(dim=1)(nerve.tensor([[1.0, 0.0]]), nerve.tensor([[1.0, 1.0]]))
        tensor([0.7071])
    """

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """The p-norm of ``x1 - x2 + eps`` along the last dimension.

    Example:
        >>> import nerve
        >>> nerve.nn.PairwiseDistance()(nerve.tensor([[0.0, 0.0]]), nerve.tensor([[3.0, 4.0]]))
        tensor([5.0000])
    """

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
