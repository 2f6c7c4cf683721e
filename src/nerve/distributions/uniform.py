"""The continuous uniform distribution on ``[low, high)``, torch's
``torch.distributions.Uniform``."""

from __future__ import annotations

import math
from numbers import Number
from typing import Any

import nerve
from nerve.tensor import Tensor

from . import constraints
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["Uniform"]


class Uniform(Distribution):
    """Uniformly distributed values in the half-open interval ``[low, high)``.

    Example:
        >>> import nerve
        >>> from nerve.distributions import Uniform
        >>> m = Uniform(nerve.tensor([0.0]), nerve.tensor([4.0]))
        >>> m.mean, m.variance, m.log_prob(nerve.tensor([1.0]))
        (tensor([2.]), tensor([1.3333]), tensor([-1.3863]))
        >>> _ = nerve.manual_seed(0)
        >>> x = m.sample((1000,))
        >>> x.shape, bool(((x >= 0) & (x < 4)).all())
        (nerve.Size([1000, 1]), True)
    """

    has_rsample = True

    def __init__(
        self, low: Tensor | float, high: Tensor | float, validate_args: bool | None = None
    ) -> None:
        self.low, self.high = broadcast_all(low, high)
        if isinstance(low, Number) and isinstance(high, Number):
            batch_shape = nerve.Size(())
        else:
            batch_shape = self.low.size()
        super().__init__(batch_shape, validate_args=validate_args)

    @property
    def arg_constraints(self) -> dict[str, constraints.Constraint]:  # type: ignore[override]
        return {
            "low": constraints.less_than(self.high),
            "high": constraints.greater_than(self.low),
        }

    def expand(self, batch_shape: Any, _instance: Any = None) -> Uniform:
        """The distribution with ``low`` and ``high`` expanded to ``batch_shape``.

        Example:
            >>> from nerve.distributions import Uniform
            >>> Uniform(0.0, 1.0).expand((4,)).batch_shape
            nerve.Size([4])
        """
        new = self._get_checked_instance(Uniform, _instance)
        shape = tuple(batch_shape)
        new.low = self.low.expand(shape)
        new.high = self.high.expand(shape)
        return self._finish_expand(new, shape)

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self) -> constraints.Constraint:  # type: ignore[override]
        return constraints.interval(self.low, self.high)

    @property
    def mean(self) -> Tensor:
        return (self.high + self.low) / 2

    @property
    def mode(self) -> Tensor:
        return math.nan * self.high

    @property
    def stddev(self) -> Tensor:
        return (self.high - self.low) / 12**0.5

    @property
    def variance(self) -> Tensor:
        return (self.high - self.low).pow(2) / 12

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        rand = nerve.rand(tuple(shape), dtype=self.low.dtype, device=self.low.device)
        return self.low + rand * (self.high - self.low)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        lb = (self.low <= value).to(self.low.dtype)
        ub = (self.high > value).to(self.low.dtype)
        return nerve.log(lb * ub) - nerve.log(self.high - self.low)

    def cdf(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        result = (value - self.low) / (self.high - self.low)
        return result.clamp(min=0, max=1)

    def icdf(self, value: Tensor) -> Tensor:
        return value * (self.high - self.low) + self.low

    def entropy(self) -> Tensor:
        return nerve.log(self.high - self.low)
