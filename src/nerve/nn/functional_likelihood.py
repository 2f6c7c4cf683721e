"""Negative log likelihood losses of count and real-valued targets (``nerve.nn.functional``'s
poisson_nll_loss and gaussian_nll_loss), with torch's names, options, formulas and errors:
the losses of a network that predicts a distribution's parameters (a Poisson rate; a Gaussian's
mean and variance) rather than a value.

Each is a composition of existing ops, so its gradient is theirs.
"""

from __future__ import annotations

import math
from typing import Any

from ..autograd.grad_mode import no_grad
from ..creation import ones_like
from ..ops.compare import where
from ..tensor import Tensor
from .functional_loss import _apply_reduction, resolve_reduction

__all__ = ["gaussian_nll_loss", "poisson_nll_loss"]


def _check_reduction(reduction: str, message: str) -> None:
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + message)


def poisson_nll_loss(
    input: Tensor,
    target: Tensor,
    log_input: bool = True,
    full: bool = False,
    size_average: bool | None = None,
    eps: float = 1e-8,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """The negative log likelihood of ``target`` counts under a Poisson distribution of rate
    ``input``: ``exp(input) - target * input`` when the input is the log of the rate
    (``log_input``), else ``input - target * log(input + eps)``; with ``full``, plus Stirling's
    approximation of ``log(target!)`` where the target exceeds 1.

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> F.poisson_nll_loss(nerve.tensor([0.0, 1.0]), nerve.tensor([1.0, 3.0]))
        tensor(0.3591)
    """
    if size_average is not None or reduce is not None:
        reduction = resolve_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, " is not a valid value for reduction")
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:  # (taken at 1 where it is left out: no log of 0, whose 0 * inf would warn)
        counted = target > 1
        safe = where(counted, target, 1.0)
        stirling = safe * safe.log() - safe + 0.5 * (2 * math.pi * safe).log()
        loss = loss + where(counted, stirling, 0.0)
    return _apply_reduction(loss, reduction)


def gaussian_nll_loss(
    input: Tensor,
    target: Tensor,
    var: Tensor | float,
    full: bool = False,
    eps: float = 1e-6,
    reduction: str = "mean",
) -> Tensor:
    """The negative log likelihood of ``target`` under Gaussians of mean ``input`` and variance
    ``var``: ``0.5 * (log(var) + (input - target)^2 / var)``, plus ``0.5 * log(2 pi)`` with
    ``full``. ``var`` has the input's shape (one variance each), or one dimension fewer or one
    of size 1 (shared), or is a number; it is clamped at ``eps`` for the loss, while its
    gradient flows as if it were not (torch's rule).

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> F.gaussian_nll_loss(nerve.tensor([0.0, 1.0]), nerve.tensor([1.0, 1.0]), 1.0)
        tensor(0.2500)
    """
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * ones_like(input)
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):  # one per row: shared by the last axis
            var = var.unsqueeze(-1)
        elif input.dim() != var.dim() or _mismatched(input.shape, var.shape) != 1:
            raise ValueError("var is of incorrect size")
    _check_reduction(reduction, " is not valid")
    var = var.clone()
    with no_grad():  # the loss reads the clamped values; the gradient passes the clone
        var.clamp_(min=eps)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _apply_reduction(loss, reduction)


def _mismatched(a: Any, b: Any) -> int:
    """torch's count of a homoscedastic variance's shape: the sizes of ``b`` where it
    differs from ``a`` (1 when a single axis of size 1 is shared)."""
    return sum(m for n, m in zip(a, b) if n != m)
