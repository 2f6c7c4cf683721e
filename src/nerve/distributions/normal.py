"""The normal (Gaussian) distribution, torch's ``torch.distributions.Normal``."""

from __future__ import annotations

import math
from numbers import Number
from typing import Any

import nerve
from nerve.tensor import Tensor

from . import constraints
from .distribution import Distribution
from .utils import _standard_normal, broadcast_all

__all__ = ["Normal"]


class Normal(Distribution):
    """The normal distribution with mean ``loc`` and standard deviation ``scale``.

    ``rsample`` is reparameterized (``loc + eps * scale``, ``eps`` standard normal from nerve's
    generator), so gradients flow to ``loc`` and ``scale`` as a VAE needs.

    Example:
        >>> import nerve
        >>> from nerve.distributions import Normal
        >>> m = Normal(nerve.tensor([0.0, 1.0]), nerve.tensor([1.0, 2.0]))
        >>> m.log_prob(nerve.tensor([0.0, 1.0]))
        tensor([-0.9189, -1.6121])
        >>> m.entropy()
        tensor([1.4189, 2.1121])
        >>> _ = nerve.manual_seed(0)
        >>> m.sample((3,)).shape
        nerve.Size([3, 2])
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(
        self, loc: Tensor | float, scale: Tensor | float, validate_args: bool | None = None
    ) -> None:
        self.loc, self.scale = broadcast_all(loc, scale)
        if isinstance(loc, Number) and isinstance(scale, Number):
            batch_shape = nerve.Size(())
        else:
            batch_shape = self.loc.size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Normal:
        """The distribution with ``loc`` and ``scale`` expanded to ``batch_shape``.

        Example:
            >>> from nerve.distributions import Normal
            >>> Normal(0.0, 1.0).expand((2, 3)).batch_shape
            nerve.Size([2, 3])
        """
        new = self._get_checked_instance(Normal, _instance)
        shape = tuple(batch_shape)
        new.loc = self.loc.expand(shape)
        new.scale = self.scale.expand(shape)
        return self._finish_expand(new, shape)

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def stddev(self) -> Tensor:
        return self.scale

    @property
    def variance(self) -> Tensor:
        return self.stddev.pow(2)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        with nerve.no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        eps = _standard_normal(shape, self.loc)
        return self.loc + eps * self.scale

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        var = self.scale**2
        return (
            -((value - self.loc) ** 2) / (2 * var)
            - self.scale.log()
            - math.log(math.sqrt(2 * math.pi))
        )

    def cdf(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 * (1 + nerve.erf((value - self.loc) * self.scale.reciprocal() / math.sqrt(2)))

    def icdf(self, value: Tensor) -> Tensor:
        return self.loc + self.scale * nerve.erfinv(2 * value - 1) * math.sqrt(2)

    def entropy(self) -> Tensor:
        return 0.5 + 0.5 * math.log(2 * math.pi) + nerve.log(self.scale)
