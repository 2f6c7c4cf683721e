"""Distributions over K categories: ``Categorical`` (an index) and ``OneHotCategorical``
(a one-hot vector), torch's names."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import nerve
from nerve.tensor import Tensor

from . import constraints
from .distribution import Distribution
from .utils import lazy_property, logits_to_probs, probs_to_logits

__all__ = ["Categorical", "OneHotCategorical"]


class Categorical(Distribution):
    """A draw of one of K categories, given by ``probs`` or by ``logits`` (not both).

    ``probs`` (non-negative, with a positive sum) are normalised to sum to 1 along the last
    dimension; ``logits`` (any reals, unnormalised log-probabilities) are shifted so that
    ``logits.exp()`` sums to 1. The leading dimensions are the batch. Samples are int64
    indices drawn with :func:`nerve.multinomial` (nerve's generator).

    Example:
        >>> import nerve
        >>> from nerve.distributions import Categorical
        >>> m = Categorical(probs=nerve.tensor([1.0, 1.0, 2.0]))
        >>> m.probs
        tensor([0.2500, 0.2500, 0.5000])
        >>> m.log_prob(nerve.tensor(2)), m.entropy()
        (tensor(-0.6931), tensor(1.0397))
        >>> _ = nerve.manual_seed(0)
        >>> action = m.sample()
        >>> action.shape, action.dtype
        (nerve.Size([]), nerve.int64)
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True

    def __init__(
        self,
        probs: Tensor | None = None,
        logits: Tensor | None = None,
        validate_args: bool | None = None,
    ) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            if probs.dim() < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
        else:
            assert logits is not None
            if logits.dim() < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - logits.logsumexp(dim=-1, keepdim=True)
        self._param = self.probs if probs is not None else self.logits
        self._num_events = self._param.shape[-1]
        batch_shape = self._param.shape[:-1] if self._param.dim() > 1 else ()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Categorical:
        """The distribution with its parameters expanded to ``batch_shape``.

        Example:
            >>> import nerve
            >>> from nerve.distributions import Categorical
            >>> Categorical(logits=nerve.zeros(3)).expand((2,)).logits.shape
            nerve.Size([2, 3])
        """
        new = self._get_checked_instance(Categorical, _instance)
        shape = tuple(batch_shape)
        param_shape = shape + (self._num_events,)
        if "probs" in self.__dict__:
            new.probs = self.probs.expand(param_shape)
            new._param = new.probs
        if "logits" in self.__dict__:
            new.logits = self.logits.expand(param_shape)
            new._param = new.logits
        new._num_events = self._num_events
        return self._finish_expand(new, shape)

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self) -> constraints.Constraint:  # type: ignore[override]
        return constraints.integer_interval(0, self._num_events - 1)

    @lazy_property
    def logits(self) -> Tensor:
        """Normalised log-probabilities (``log(probs)``, clamped away from ``-inf``)."""
        return probs_to_logits(self.probs)

    @lazy_property
    def probs(self) -> Tensor:
        """Normalised probabilities (``softmax(logits)``)."""
        return logits_to_probs(self.logits)

    @property
    def param_shape(self) -> nerve.Size:
        return self._param.size()

    @property
    def mean(self) -> Tensor:
        return nerve.full(
            tuple(self._extended_shape()),
            math.nan,
            dtype=self.probs.dtype,
            device=self.probs.device,
        )

    @property
    def mode(self) -> Tensor:
        return self.probs.argmax(dim=-1)

    @property
    def variance(self) -> Tensor:
        return nerve.full(
            tuple(self._extended_shape()),
            math.nan,
            dtype=self.probs.dtype,
            device=self.probs.device,
        )

    def sample(self, sample_shape: Any = ()) -> Tensor:
        shape = nerve.Size(tuple(sample_shape))
        n = int(np.prod(shape, dtype=np.int64))
        with nerve.no_grad():
            probs_2d = self.probs.detach().reshape(-1, self._num_events)
            if n == 0:
                return nerve.zeros(
                    tuple(self._extended_shape(shape)), dtype=nerve.int64, device=probs_2d.device
                )
            samples_2d = nerve.multinomial(probs_2d, n, True).T
            return samples_2d.reshape(tuple(self._extended_shape(shape)))

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        value = value.long().unsqueeze(-1)
        shape = np.broadcast_shapes(tuple(value.shape), tuple(self.logits.shape))
        log_pmf = self.logits if tuple(self.logits.shape) == shape else self.logits.expand(shape)
        value = value.expand(shape)[..., :1]
        return log_pmf.gather(-1, value).squeeze(-1)

    def entropy(self) -> Tensor:
        min_real = float(np.finfo(self.logits.dtype.np).min)
        logits = self.logits.clamp(min=min_real)
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """The K category indices, shaped ``(K,) + batch_shape`` (``(K, 1, ...)`` unexpanded).

        Example:
            >>> import nerve
            >>> from nerve.distributions import Categorical
            >>> Categorical(logits=nerve.zeros(2, 3)).enumerate_support()
            tensor([[0, 0],
                    [1, 1],
                    [2, 2]])
        """
        values = nerve.arange(self._num_events, dtype=nerve.int64, device=self._param.device)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = values.expand((-1,) + tuple(self._batch_shape))
        return values


class OneHotCategorical(Distribution):
    """A Categorical whose samples are one-hot vectors of length K (event shape ``(K,)``).

    Example:
        >>> import nerve
        >>> from nerve.distributions import OneHotCategorical
        >>> m = OneHotCategorical(probs=nerve.tensor([0.25, 0.75]))
        >>> m.log_prob(nerve.tensor([0.0, 1.0])), m.mean
        (tensor(-0.2877), tensor([0.2500, 0.7500]))
        >>> _ = nerve.manual_seed(0)
        >>> m.sample((4,)).sum(-1)
        tensor([1., 1., 1., 1.])
    """

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.one_hot
    has_enumerate_support = True

    def __init__(
        self,
        probs: Tensor | None = None,
        logits: Tensor | None = None,
        validate_args: bool | None = None,
    ) -> None:
        self._categorical = Categorical(probs, logits)
        batch_shape = self._categorical.batch_shape
        event_shape = self._categorical.param_shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> OneHotCategorical:
        """The distribution with its parameters expanded to ``batch_shape``.

        Example:
            >>> import nerve
            >>> from nerve.distributions import OneHotCategorical
            >>> OneHotCategorical(logits=nerve.zeros(3)).expand((2,)).batch_shape
            nerve.Size([2])
        """
        new = self._get_checked_instance(OneHotCategorical, _instance)
        new._categorical = self._categorical.expand(batch_shape)
        return self._finish_expand(new, tuple(batch_shape))

    @property
    def _param(self) -> Tensor:
        return self._categorical._param

    @property
    def probs(self) -> Tensor:
        return self._categorical.probs

    @property
    def logits(self) -> Tensor:
        return self._categorical.logits

    @property
    def mean(self) -> Tensor:
        return self._categorical.probs

    @property
    def mode(self) -> Tensor:
        probs = self._categorical.probs
        mode = probs.argmax(dim=-1)
        return nerve.nn.functional.one_hot(mode, num_classes=probs.shape[-1]).to(probs.dtype)

    @property
    def variance(self) -> Tensor:
        return self._categorical.probs * (1 - self._categorical.probs)

    @property
    def param_shape(self) -> nerve.Size:
        return self._categorical.param_shape

    def sample(self, sample_shape: Any = ()) -> Tensor:
        probs = self._categorical.probs
        indices = self._categorical.sample(sample_shape)
        return nerve.nn.functional.one_hot(indices, probs.shape[-1]).to(probs.dtype)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        indices = value.max(-1)[1]
        return self._categorical.log_prob(indices)

    def entropy(self) -> Tensor:
        return self._categorical.entropy()

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """The K one-hot vectors, shaped ``(K,) + batch_shape + (K,)``.

        Example:
            >>> import nerve
            >>> from nerve.distributions import OneHotCategorical
            >>> OneHotCategorical(logits=nerve.zeros(2)).enumerate_support()
            tensor([[1., 0.],
                    [0., 1.]])
        """
        n = self.event_shape[0]
        values = nerve.eye(n, dtype=self._param.dtype, device=self._param.device)
        values = values.reshape((n,) + (1,) * len(self.batch_shape) + (n,))
        if expand:
            values = values.expand((n,) + tuple(self.batch_shape) + (n,))
        return values
