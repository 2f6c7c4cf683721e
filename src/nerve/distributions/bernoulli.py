"""The Bernoulli distribution (a biased coin), torch's ``torch.distributions.Bernoulli``."""

from __future__ import annotations

import math
from numbers import Number
from typing import Any

import nerve
from nerve.nn import functional as F
from nerve.tensor import Tensor

from . import constraints
from .distribution import Distribution
from .utils import broadcast_all, lazy_property, logits_to_probs, probs_to_logits

__all__ = ["Bernoulli"]


class Bernoulli(Distribution):
    """Samples 1 with probability ``probs`` and 0 otherwise; give ``probs`` or ``logits``
    (log-odds), not both.

    Example:
        >>> import nerve
        >>> from nerve.distributions import Bernoulli
        >>> m = Bernoulli(probs=nerve.tensor([0.25, 0.5]))
        >>> m.log_prob(nerve.tensor([1.0, 0.0])), m.logits
        (tensor([-1.3863, -0.6931]), tensor([-1.0986,  0.0000]))
        >>> _ = nerve.manual_seed(0)
        >>> m.sample((3,)).shape
        nerve.Size([3, 2])
    """

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(
        self,
        probs: Tensor | float | None = None,
        logits: Tensor | float | None = None,
        validate_args: bool | None = None,
    ) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            is_scalar = isinstance(probs, Number)
            (self.probs,) = broadcast_all(probs)
        else:
            assert logits is not None
            is_scalar = isinstance(logits, Number)
            (self.logits,) = broadcast_all(logits)
        self._param = self.probs if probs is not None else self.logits
        batch_shape = () if is_scalar else self._param.size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Bernoulli:
        """The distribution with its parameter expanded to ``batch_shape``.

        Example:
            >>> from nerve.distributions import Bernoulli
            >>> Bernoulli(0.3).expand((2,)).probs
            tensor([0.3000, 0.3000])
        """
        new = self._get_checked_instance(Bernoulli, _instance)
        shape = tuple(batch_shape)
        if "probs" in self.__dict__:
            new.probs = self.probs.expand(shape)
            new._param = new.probs
        if "logits" in self.__dict__:
            new.logits = self.logits.expand(shape)
            new._param = new.logits
        return self._finish_expand(new, shape)

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def mode(self) -> Tensor:
        mode = (self.probs >= 0.5).to(self.probs.dtype)
        return nerve.where(self.probs == 0.5, math.nan, mode)

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)

    @lazy_property
    def logits(self) -> Tensor:
        """The log-odds ``log(p) - log(1 - p)``."""
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self) -> Tensor:
        """The probability of a 1, ``sigmoid(logits)``."""
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self) -> nerve.Size:
        return self._param.size()

    def sample(self, sample_shape: Any = ()) -> Tensor:
        shape = tuple(self._extended_shape(sample_shape))
        with nerve.no_grad():
            probs = self.probs.detach()
            uniform = nerve.rand(shape, dtype=probs.dtype, device=probs.device)
            return (uniform < probs.expand(shape)).to(probs.dtype)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        return -F.binary_cross_entropy_with_logits(logits, value, reduction="none")

    def entropy(self) -> Tensor:
        return F.binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """The values 0 and 1, shaped ``(2,) + batch_shape``.

        Example:
            >>> import nerve
            >>> from nerve.distributions import Bernoulli
            >>> Bernoulli(nerve.tensor([0.1, 0.9])).enumerate_support()
            tensor([[0., 0.],
                    [1., 1.]])
        """
        values = nerve.arange(2, dtype=self._param.dtype, device=self._param.device)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = values.expand((-1,) + tuple(self._batch_shape))
        return values
