"""Adam's relatives: NAdam (Nesterov momentum), RAdam (rectified variance) and Adamax (the
infinity norm in place of the second moment), each step as torch 2.13 computes it."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from ..autograd.grad_mode import no_grad
from ..creation import tensor
from ..tensor import Tensor
from .adam import check_adam_options
from .optimizer import Optimizer, capturable_errors, params_with_grad


class _AdamFamily(Optimizer):
    """The shared constructor check and the per-parameter state of the three."""

    _extra_checks: tuple[str, ...] = ()
    _moments: tuple[str, ...] = ("exp_avg", "exp_avg_sq")
    _scalars: tuple[tuple[str, float], ...] = ()  # float32 scalars in the state, with their start

    def _check_options(self, options: dict[str, Any]) -> None:
        check_adam_options(options, *self._extra_checks)

    def _state(self, p: Tensor) -> dict[str, Any]:
        state = self.state[p]
        if not state:
            state["step"] = tensor(0.0)  # float32, as torch keeps its step counts
            for name, start in self._scalars:
                state[name] = tensor(start)
            for name in self._moments:
                state[name] = Tensor._make(p.device.xp.zeros_like(p._data))
        return state

    def _grad_and_decay(self, p: Tensor, group: dict[str, Any], decoupled: bool) -> Any:
        """The gradient a step uses (negated to maximize); weight decay either added to it
        (L2) or, with ``decoupled``, applied to the weights themselves as AdamW does."""
        grad = p.grad._data  # type: ignore[union-attr]
        if group["maximize"]:
            grad = -grad
        weight_decay = group["weight_decay"]
        if weight_decay:
            if decoupled:
                p._data *= 1 - group["lr"] * weight_decay
            else:
                grad = grad + weight_decay * p._data
        return grad

    @no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            for p in params_with_grad(group):
                state = self._state(p)
                state["step"]._data += 1
                self._update(p, state, float(state["step"]._data), group)
                p._bump_version()
        return loss

    def _update(self, p: Tensor, state: dict[str, Any], step: float, group: Any) -> None:
        raise NotImplementedError


def _moments(state: dict[str, Any], grad: Any, beta1: float, beta2: float) -> tuple[Any, Any]:
    """Adam's running averages, updated in place: exp_avg lerps towards the gradient (as
    torch's ``lerp_``), exp_avg_sq towards its square."""
    m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
    m += (grad - m) * (1 - beta1)
    v *= beta2
    v += (1 - beta2) * grad * grad
    return m, v


class NAdam(_AdamFamily):
    """Adam with Nesterov momentum (Dozat), whose momentum coefficient warms up by
    ``momentum_decay``; ``decoupled_weight_decay`` makes it NAdamW.

    Example:
        >>> import nerve
        >>> opt = nerve.optim.NAdam(nerve.nn.Linear(4, 2).parameters(), lr=2e-3)
    """

    _extra_checks = ("momentum_decay",)
    _scalars = (("mu_product", 1.0),)
    _capturable_errors = capturable_errors(
        "params, mu_products and state_steps", foreach_state="params, mu_products, and state_steps"
    )

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum_decay": momentum_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
            "foreach": foreach,  # torch's switches (see Optimizer): no arithmetic here
            "capturable": capturable,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _update(self, p: Tensor, state: dict[str, Any], step: float, group: Any) -> None:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        grad = self._grad_and_decay(p, group, group["decoupled_weight_decay"])
        decay = group["momentum_decay"]
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * decay))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * decay))
        # The product of the mu's is a float32 scalar in torch's state (of the parameters'
        # dtype after a reload): rounded as it is, mu with it.
        product = state["mu_product"]._data
        product *= product.dtype.type(mu)
        mu_product = float(product)
        m, v = _moments(state, grad, beta1, beta2)
        xp = p.device.xp
        denom = xp.sqrt(v / (1 - beta2**step)) + eps
        w = p._data
        w += (-lr * (1.0 - mu) / (1.0 - mu_product)) * (grad / denom)
        w += (-lr * mu_next / (1.0 - mu_product * mu_next)) * (m / denom)


class RAdam(_AdamFamily):
    """Rectified Adam (Liu et al.): plain momentum SGD while the variance estimate is too
    young (rho_t <= 5), Adam with a variance rectification term afterwards.

    Example:
        >>> import nerve
        >>> opt = nerve.optim.RAdam(nerve.nn.Linear(4, 2).parameters())
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "decoupled_weight_decay": decoupled_weight_decay,
            "differentiable": differentiable,
        }  # torch's key order
        super().__init__(params, defaults)

    def _update(self, p: Tensor, state: dict[str, Any], step: float, group: Any) -> None:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        grad = self._grad_and_decay(p, group, group["decoupled_weight_decay"])
        m, v = _moments(state, grad, beta1, beta2)
        correction1, correction2 = 1 - beta1**step, 1 - beta2**step
        corrected = m / correction1
        rho_inf = 2 / (1 - beta2) - 1  # the longest approximated simple moving average
        rho_t = rho_inf - 2 * step * (beta2**step) / correction2
        if rho_t > 5.0:
            rect = math.sqrt(
                (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
            )
            adaptive = correction2**0.5 / (p.device.xp.sqrt(v) + eps)
            p._data -= corrected * lr * adaptive * rect
        else:
            p._data -= corrected * lr


class Adamax(_AdamFamily):
    """Adam with the infinity norm: steps divided by a decaying maximum of |gradient|.

    Example:
        >>> import nerve
        >>> opt = nerve.optim.Adamax(nerve.nn.Linear(4, 2).parameters())
    """

    _moments = ("exp_avg", "exp_inf")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay}
        defaults.update(foreach=foreach, maximize=maximize)
        defaults.update(differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _update(self, p: Tensor, state: dict[str, Any], step: float, group: Any) -> None:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        grad = self._grad_and_decay(p, group, decoupled=False)
        xp = p.device.xp
        m, norm = state["exp_avg"]._data, state["exp_inf"]._data
        m += (grad - m) * (1 - beta1)
        norm *= beta2
        xp.maximum(norm, xp.abs(grad) + eps, out=norm)
        p._data += (-lr / (1 - beta1**step)) * (m / norm)


__all__ = ["Adamax", "NAdam", "RAdam"]
