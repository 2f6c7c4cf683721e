"""Dropout: a regularizer from the lecture's list — zero random activations while training;
Dropout1d/2d zero whole channels."""

from __future__ import annotations

from ..tensor import Tensor
from . import functional as F
from . import functional_norm
from .module import Module


class Dropout(Module):
    """Zero each element with probability ``p`` in training (scaling the rest by 1/(1-p));
    the identity in evaluation mode.

    Example:
        >>> import nerve
        >>> drop = nerve.nn.Dropout(0.5).eval()
        >>> bool((drop(nerve.ones(4)) == 1).all())
        True
    """

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout1d(Dropout):
    """Zero whole channels of (N, C, L) or (C, L) inputs with probability ``p`` in training,
    scaling the rest by 1/(1-p).

    Example:
        >>> import nerve
        >>> layer = nerve.nn.Dropout1d(0.5)
        >>> out = layer(nerve.ones(1, 8, 3))
        >>> all(row in ([0.0] * 3, [2.0] * 3) for row in out[0].tolist())  # whole channels
        True
        >>> _ = layer.eval()
        >>> layer(nerve.ones(1, 2, 3))  # evaluation: the input as it is
        tensor([[[1., 1., 1.],
                 [1., 1., 1.]]])
    """

    def forward(self, input: Tensor) -> Tensor:
        return functional_norm.dropout1d(input, self.p, self.training)


class Dropout2d(Dropout):
    """Zero whole feature maps of (N, C, H, W) inputs with probability ``p`` in training,
    scaling the rest by 1/(1-p): adjacent pixels are correlated, so dropping single ones
    would regularize little.

    Example:
        >>> import nerve
        >>> out = nerve.nn.Dropout2d(0.5)(nerve.ones(1, 8, 2, 2))
        >>> sorted(set(out.flatten().tolist())) in ([0.0], [2.0], [0.0, 2.0])
        True
    """

    def forward(self, input: Tensor) -> Tensor:
        return functional_norm.dropout2d(input, self.p, self.training)


class AlphaDropout(Dropout):
    """Dropout that keeps a SELU network's activations at zero mean and unit variance
    (``F.alpha_dropout``); the identity in evaluation mode.

    Example:
        >>> import nerve
        >>> nerve.nn.AlphaDropout(0.2).eval()(nerve.ones(2))
        tensor([1., 1.])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.alpha_dropout(input, self.p, self.training)
