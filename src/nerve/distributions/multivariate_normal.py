"""The multivariate normal distribution, torch's ``torch.distributions.MultivariateNormal``,
parameterized by a mean vector and a covariance, precision or lower-triangular scale matrix."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import nerve
from nerve.tensor import Tensor

from . import constraints
from .distribution import Distribution
from .utils import _standard_normal, lazy_property

__all__ = ["MultivariateNormal"]


def _batch_mv(matrix: Tensor, vector: Tensor) -> Tensor:
    """``matrix @ vector`` over broadcast batch dimensions."""
    return (matrix @ vector.unsqueeze(-1)).squeeze(-1)


def _batch_mahalanobis(scale_tril: Tensor, x: Tensor) -> Tensor:
    """``x^T (L L^T)^-1 x`` per batch entry: the squared norm of ``L^-1 x``."""
    y = nerve.linalg.solve(scale_tril, x.unsqueeze(-1)).squeeze(-1)
    return y.pow(2).sum(-1)


def _half_log_det(scale_tril: Tensor) -> Tensor:
    return scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)


class MultivariateNormal(Distribution):
    """A Gaussian over vectors with mean ``loc`` and one of ``covariance_matrix``,
    ``precision_matrix`` or ``scale_tril`` (the lower Cholesky factor of the covariance).

    Example:
        >>> import nerve
        >>> from nerve.distributions import MultivariateNormal
        >>> m = MultivariateNormal(nerve.zeros(2), covariance_matrix=nerve.eye(2))
        >>> m.log_prob(nerve.tensor([0.0, 0.0])), m.entropy()
        (tensor(-1.8379), tensor(2.8379))
        >>> _ = nerve.manual_seed(0)
        >>> m.rsample((5,)).shape, m.event_shape
        (nerve.Size([5, 2]), nerve.Size([2]))
    """

    arg_constraints = {
        "loc": constraints.real_vector,
        "covariance_matrix": constraints.positive_definite,
        "precision_matrix": constraints.positive_definite,
        "scale_tril": constraints.lower_cholesky,
    }
    support = constraints.real_vector
    has_rsample = True

    def __init__(
        self,
        loc: Tensor,
        covariance_matrix: Tensor | None = None,
        precision_matrix: Tensor | None = None,
        scale_tril: Tensor | None = None,
        validate_args: bool | None = None,
    ) -> None:
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        given = [m for m in (covariance_matrix, precision_matrix, scale_tril) if m is not None]
        if len(given) != 1:
            raise ValueError(
                "Exactly one of covariance_matrix or precision_matrix or scale_tril may be "
                "specified."
            )
        matrix = given[0]
        if matrix.dim() < 2:
            name = "scale_tril matrix" if scale_tril is not None else "covariance_matrix"
            if precision_matrix is not None:
                name = "precision_matrix"
            raise ValueError(
                f"{name} must be at least two-dimensional, with optional leading batch dimensions"
            )
        batch_shape = np.broadcast_shapes(tuple(matrix.shape[:-2]), tuple(loc.shape[:-1]))
        n = loc.shape[-1]
        if scale_tril is not None:
            self.scale_tril = scale_tril.expand(batch_shape + (n, n))
        elif covariance_matrix is not None:
            self.covariance_matrix = covariance_matrix.expand(batch_shape + (n, n))
        else:
            self.precision_matrix = matrix.expand(batch_shape + (n, n))
        self.loc = loc.expand(batch_shape + (n,))
        super().__init__(batch_shape, (n,), validate_args=validate_args)
        if scale_tril is not None:
            self._unbroadcasted_scale_tril = scale_tril
        elif covariance_matrix is not None:
            self._unbroadcasted_scale_tril = nerve.linalg.cholesky(covariance_matrix)
        else:
            eye = nerve.eye(n, dtype=matrix.dtype, device=matrix.device)
            cov = nerve.linalg.solve(matrix, eye.expand(tuple(matrix.shape)))
            self._unbroadcasted_scale_tril = nerve.linalg.cholesky((cov + cov.mT) / 2)

    def expand(self, batch_shape: Any, _instance: Any = None) -> MultivariateNormal:
        """The distribution with its batch expanded to ``batch_shape``.

        Example:
            >>> import nerve
            >>> from nerve.distributions import MultivariateNormal
            >>> MultivariateNormal(nerve.zeros(2), nerve.eye(2)).expand((3,)).batch_shape
            nerve.Size([3])
        """
        new = self._get_checked_instance(MultivariateNormal, _instance)
        shape = tuple(batch_shape)
        n = self.event_shape[0]
        new.loc = self.loc.expand(shape + (n,))
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril
        for name in ("covariance_matrix", "scale_tril", "precision_matrix"):
            if name in self.__dict__:
                setattr(new, name, self.__dict__[name].expand(shape + (n, n)))
        return self._finish_expand(new, shape)

    def _matrix_shape(self) -> tuple[int, ...]:
        return tuple(self._batch_shape) + tuple(self._event_shape) * 2

    @lazy_property
    def scale_tril(self) -> Tensor:
        """The lower Cholesky factor ``L`` of the covariance (``L @ L.mT``)."""
        return self._unbroadcasted_scale_tril.expand(self._matrix_shape())

    @lazy_property
    def covariance_matrix(self) -> Tensor:
        """The covariance matrix ``L @ L.mT``."""
        tril = self._unbroadcasted_scale_tril
        return (tril @ tril.mT).expand(self._matrix_shape())

    @lazy_property
    def precision_matrix(self) -> Tensor:
        """The inverse of the covariance matrix."""
        tril = self._unbroadcasted_scale_tril
        eye = nerve.eye(tril.shape[-1], dtype=tril.dtype, device=tril.device)
        inverse = nerve.linalg.solve(tril, eye.expand(tuple(tril.shape)))
        return (inverse.mT @ inverse).expand(self._matrix_shape())

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        shape = tuple(self._batch_shape) + tuple(self._event_shape)
        return self._unbroadcasted_scale_tril.pow(2).sum(-1).expand(shape)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        eps = _standard_normal(shape, self.loc)
        return self.loc + _batch_mv(self._unbroadcasted_scale_tril, eps)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        diff = value - self.loc
        m = _batch_mahalanobis(self._unbroadcasted_scale_tril, diff)
        half_log_det = _half_log_det(self._unbroadcasted_scale_tril)
        return -0.5 * (self._event_shape[0] * math.log(2 * math.pi) + m) - half_log_det

    def entropy(self) -> Tensor:
        half_log_det = _half_log_det(self._unbroadcasted_scale_tril)
        h = 0.5 * self._event_shape[0] * (1.0 + math.log(2 * math.pi)) + half_log_det
        if len(self._batch_shape) == 0:
            return h
        return h.expand(tuple(self._batch_shape))
