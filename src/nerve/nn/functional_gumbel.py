"""``F.gumbel_softmax``: a differentiable sample from a categorical distribution (the
Gumbel-softmax, or Concrete, relaxation), with torch's arguments and its straight-through
``hard`` variant. The noise comes from nerve's generator (so not the numbers torch draws)."""

from __future__ import annotations

import warnings

import numpy as np

from ..creation import zeros_like
from ..ops.softmax import softmax
from ..random import numpy_generator
from ..tensor import Tensor

__all__ = ["gumbel_softmax"]


def _gumbel_noise(logits: Tensor) -> Tensor:
    """Standard Gumbel noise shaped like ``logits``: ``-log(E)`` with ``E ~ Exponential(1)``."""
    draws = numpy_generator(None).exponential(1.0, tuple(logits.shape))
    noise = -np.log(draws)
    return Tensor._make(logits.device.xp.asarray(noise, dtype=logits._data.dtype))


def gumbel_softmax(
    logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10, dim: int = -1
) -> Tensor:
    """``softmax((logits + g) / tau)`` along ``dim`` with Gumbel noise ``g``: a soft one-hot
    sample of the categories whose unnormalised log-probabilities are ``logits``; a lower
    temperature ``tau`` gives samples nearer to one-hot. With ``hard`` the result is the one-hot
    of the sample's largest entry, while its gradient is the soft sample's (straight-through).
    ``eps`` is deprecated and unused, as in torch.

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> _ = nerve.manual_seed(0)
        >>> sample = F.gumbel_softmax(nerve.zeros(2, 4), tau=0.5, hard=True)
        >>> sample.sum(dim=-1)  # one 1 in each row
        tensor([1., 1.])
    """
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    y_soft = softmax((logits + _gumbel_noise(logits)) / tau, dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = zeros_like(logits).scatter(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft
