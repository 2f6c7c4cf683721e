"""Helpers the distributions share (torch.distributions.utils' names): broadcasting the
parameters, converting between probabilities and logits, drawing standard noise, and the
inverse error function the Normal's ``icdf`` needs.

Example:
    >>> import nerve
    >>> from nerve.distributions.utils import broadcast_all
    >>> [t.shape for t in broadcast_all(nerve.zeros(2, 1), 1.0, nerve.ones(3))]
    [nerve.Size([2, 3]), nerve.Size([2, 3]), nerve.Size([2, 3])]
"""

from __future__ import annotations

from collections.abc import Callable
from numbers import Number
from typing import Any

import numpy as np

import nerve
from nerve.tensor import Tensor

__all__ = [
    "broadcast_all",
    "clamp_probs",
    "lazy_property",
    "logits_to_probs",
    "probs_to_logits",
]


def broadcast_all(*values: Tensor | float) -> tuple[Tensor, ...]:
    """The values as tensors of one broadcast shape; numbers take the dtype and device of the
    first tensor (the default dtype when all are numbers). Gradients flow back through.

    Example:
        >>> import nerve
        >>> from nerve.distributions.utils import broadcast_all
        >>> loc, scale = broadcast_all(nerve.zeros(2), 1.0)
        >>> scale
        tensor([1., 1.])
    """
    if not all(isinstance(v, (Tensor, Number)) for v in values):
        raise ValueError(
            "Input arguments must all be instances of Number, "
            "torch.Tensor or objects implementing __torch_function__."
        )
    options: dict[str, Any] = {"dtype": nerve.get_default_dtype()}
    for value in values:
        if isinstance(value, Tensor):
            options = {"dtype": value.dtype, "device": value.device}
            break
    tensors = [v if isinstance(v, Tensor) else nerve.tensor(v, **options) for v in values]
    shape = np.broadcast_shapes(*(tuple(t.shape) for t in tensors))
    return tuple(t if tuple(t.shape) == shape else t.expand(shape) for t in tensors)


def _finfo(dtype: Any) -> np.finfo:
    return np.finfo(dtype.np)


def clamp_probs(probs: Tensor) -> Tensor:
    """Probabilities clamped into ``[eps, 1 - eps]`` (``eps`` of their dtype).

    Example:
        >>> import nerve
        >>> from nerve.distributions.utils import clamp_probs
        >>> clamp_probs(nerve.tensor([0.0, 0.5, 1.0]))
        tensor([1.1921e-07, 5.0000e-01, 1.0000e+00])
    """
    eps = float(_finfo(probs.dtype).eps)
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """Log-probabilities (or, ``is_binary``, log-odds) of probabilities.

    Example:
        >>> import nerve
        >>> from nerve.distributions.utils import probs_to_logits
        >>> probs_to_logits(nerve.tensor([0.5, 0.25]), is_binary=True)
        tensor([ 0.0000, -1.0986])
    """
    clamped = clamp_probs(probs)
    if is_binary:
        return nerve.log(clamped) - nerve.log1p(-clamped)
    return nerve.log(clamped)


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    """Probabilities of logits: softmax over the last dimension (``is_binary``: sigmoid).

    Example:
        >>> import nerve
        >>> from nerve.distributions.utils import logits_to_probs
        >>> logits_to_probs(nerve.tensor([0.0, 0.0]))
        tensor([0.5000, 0.5000])
    """
    if is_binary:
        return nerve.sigmoid(logits)
    return nerve.softmax(logits, dim=-1)


class lazy_property:  # noqa: N801 - torch's name
    """A property computed on first access and then stored on the instance (so that a
    Categorical made from ``probs`` computes its ``logits`` once, and only if asked).

    Example:
        >>> from nerve.distributions.utils import lazy_property
        >>> class A:
        ...     @lazy_property
        ...     def x(self):
        ...         return 42
        >>> a = A(); a.x, "x" in a.__dict__
        (42, True)
    """

    def __init__(self, wrapped: Callable[[Any], Any]) -> None:
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__
        self.__name__ = wrapped.__name__

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        if instance is None:
            return self
        with nerve.enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


def _sum_rightmost(value: Tensor, dim: int) -> Tensor:
    """Sum out the ``dim`` rightmost dimensions of ``value``."""
    if dim == 0:
        return value
    return value.reshape(tuple(value.shape[: value.dim() - dim]) + (-1,)).sum(-1)


def _standard_normal(shape: tuple[int, ...], like: Tensor) -> Tensor:
    """Standard normal noise from nerve's generator, in ``like``'s dtype and device."""
    return nerve.randn(tuple(shape), dtype=like.dtype, device=like.device)
