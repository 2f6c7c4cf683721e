"""Gradient clipping: keep one bad batch from throwing the weights far away."""

from __future__ import annotations

import math
from collections.abc import Iterable

from ...autograd.grad_mode import no_grad
from ...tensor import Tensor


def _grads(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p.grad for p in params if p.grad is not None]


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Scale all gradients together so that their joint ``norm_type``-norm is at most
    ``max_norm``; returns the norm before clipping.

    Example:
        >>> import nerve
        >>> w = nerve.ones(4, requires_grad=True)
        >>> (w * 10).sum().backward()
        >>> nerve.nn.utils.clip_grad_norm_([w], max_norm=1.0)
        tensor(20.)
        >>> round(w.grad.norm().item(), 4)
        1.0
    """
    from ...creation import tensor

    grads = _grads(parameters)
    if not grads:
        return tensor(0.0)
    norm_type = float(norm_type)
    with no_grad():
        if math.isinf(norm_type):
            total = max(float(g.abs().max().item()) for g in grads)
        else:
            total = sum(float((g.abs() ** norm_type).sum().item()) for g in grads) ** (
                1.0 / norm_type
            )
        if error_if_nonfinite and not math.isfinite(total):
            raise RuntimeError(
                f"The total norm of order {norm_type} for gradients from `parameters` is "
                "non-finite, so it cannot be clipped. To disable this error and scale the "
                "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
            )
        coefficient = max_norm / (total + 1e-6)
        if coefficient < 1:
            for g in grads:
                g.mul_(coefficient)
    return tensor(total, dtype=grads[0].dtype)


def clip_grad_value_(
    parameters: Tensor | Iterable[Tensor], clip_value: float, foreach: bool | None = None
) -> None:
    """Clamp every gradient element to [-clip_value, clip_value].

    Example:
        >>> import nerve
        >>> w = nerve.tensor([1.0, 2.0, 3.0], requires_grad=True)
        >>> (w * nerve.tensor([-5.0, 0.5, 2.0])).sum().backward()
        >>> nerve.nn.utils.clip_grad_value_([w], clip_value=1.0)
        >>> w.grad
        tensor([-1.0000,  0.5000,  1.0000])
    """
    with no_grad():
        for g in _grads(parameters):
            g.clamp_(-clip_value, clip_value)
