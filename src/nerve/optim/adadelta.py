"""Adadelta (step sizes from running averages of squared gradients and squared updates) and
ASGD (averaged stochastic gradient descent), each step as torch 2.13 computes it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ..autograd.grad_mode import no_grad
from ..creation import tensor
from ..tensor import Tensor
from .optimizer import (
    Optimizer,
    capturable_errors,
    check_non_negative,
    gradient,
    params_with_grad,
)


class Adadelta(Optimizer):
    """Adadelta (Zeiler): no learning rate to tune in the paper; torch keeps ``lr`` (default
    1.0) as a factor on the update.

    Example:
        >>> import nerve
        >>> opt = nerve.optim.Adadelta(nerve.nn.Linear(4, 2).parameters())
    """

    _capturable_errors = capturable_errors(xla=(False, False))

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay}
        defaults.update(maximize=maximize, capturable=capturable, foreach=foreach)
        defaults.update(differentiable=differentiable)
        super().__init__(params, defaults)

    def _check_options(self, options: dict[str, Any]) -> None:
        """torch's checks and order: lr, rho in [0, 1], eps, weight_decay."""
        check_non_negative(lr=options["lr"])
        rho = options["rho"]
        try:
            valid = bool(0.0 <= rho <= 1.0)  # False for NaN
        except TypeError:
            raise TypeError(
                f"Invalid rho value: {rho!r} (expected a number in [0, 1], got "
                f"{type(rho).__name__})"
            ) from None
        if not valid:
            raise ValueError(f"Invalid rho value: {rho}")
        check_non_negative(eps=options["eps"], weight_decay=options["weight_decay"])

    @no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, rho, eps = group["lr"], group["rho"], group["eps"]
            for p in params_with_grad(group):
                xp = p.device.xp
                state = self.state[p]
                if not state:
                    state["step"] = tensor(0.0)
                    state["square_avg"] = Tensor._make(xp.zeros_like(p._data))
                    state["acc_delta"] = Tensor._make(xp.zeros_like(p._data))
                state["step"]._data += 1
                grad = gradient(p, group)
                square_avg, acc_delta = state["square_avg"]._data, state["acc_delta"]._data
                square_avg *= rho
                square_avg += (1 - rho) * grad * grad
                # The update: RMS of past updates over RMS of gradients, times the gradient.
                delta = xp.sqrt(acc_delta + eps) / xp.sqrt(square_avg + eps) * grad
                acc_delta *= rho
                acc_delta += (1 - rho) * delta * delta
                p._data -= lr * delta
                p._bump_version()
        return loss


class ASGD(Optimizer):
    """Averaged SGD (Polyak and Juditsky): SGD with a decaying step size ``eta`` and a weight
    decay ``lambd``, keeping in ``state[p]["ax"]`` the average of the iterates from step
    ``t0`` on (the averaged weights, which the caller may copy into the model).

    Example:
        >>> import nerve
        >>> opt = nerve.optim.ASGD(nerve.nn.Linear(4, 2).parameters(), lr=0.01)
    """

    _capturable_errors = capturable_errors("params, mus, etas, and state_steps")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0}
        defaults.update(weight_decay=weight_decay, foreach=foreach, maximize=maximize)
        defaults.update(differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _check_options(self, options: dict[str, Any]) -> None:
        check_non_negative(lr=options["lr"], weight_decay=options["weight_decay"])

    @no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, lambd, alpha, t0 = group["lr"], group["lambd"], group["alpha"], group["t0"]
            for p in params_with_grad(group):
                state = self.state[p]
                if not state:
                    state["step"] = tensor(0.0)
                    state["eta"] = tensor(float(lr))  # float32 scalars, as torch's state
                    state["mu"] = tensor(1.0)
                    state["ax"] = Tensor._make(p.device.xp.zeros_like(p._data))
                state["step"]._data += 1
                grad = gradient(p, group)
                eta = float(state["eta"]._data)
                w = p._data
                w *= 1 - lambd * eta  # the decay term
                w -= eta * grad
                ax, mu = state["ax"]._data, float(state["mu"]._data)
                if mu != 1:
                    ax += (w - ax) * mu
                else:  # before t0: the "average" is the last iterate
                    ax[...] = w
                step = float(state["step"]._data)
                state["eta"]._data[...] = np.float32(lr / ((1 + lambd * lr * step) ** alpha))
                state["mu"]._data[...] = np.float32(1 / max(1, step - t0))
                p._bump_version()
        return loss


__all__ = ["ASGD", "Adadelta"]
