"""Stochastic gradient descent: w <- w - lr * dL/dw, with optional momentum and weight decay."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from .axpy import add_scaled_
from .optimizer import Optimizer, gradient, params_with_grad


class SGD(Optimizer):
    """The lecture's update rule, ``w_{j+1} = w_j - alpha * grad L(w_j)``, with torch's options:
    ``momentum``, ``dampening``, ``nesterov``, ``weight_decay`` (L2) and ``maximize``.

    Example:
        >>> import nerve
        >>> model = nerve.nn.Linear(2, 1)
        >>> opt = nerve.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    """

    _non_negative = ("lr", "momentum", "weight_decay")
    _foreach_autograd = True  # torch's foreach SGD has no "_foreach ops" assertion

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,  # torch 2.13's default (before 2.6, lr was required)
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
            "foreach": foreach,  # torch's switches (see Optimizer): no arithmetic here
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)  # checks the options (_check_options)

    def _check_options(self, options: dict[str, Any]) -> None:
        super()._check_options(options)
        if options.get("nesterov") and (options["momentum"] <= 0 or options["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    @no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
            nesterov = group["nesterov"]
            for p in params_with_grad(group):
                w, d_p = p._data, gradient(p, group)
                if momentum:
                    state = self.state[p]
                    buffer = state.get("momentum_buffer")
                    if buffer is None:
                        buffer = state["momentum_buffer"] = Tensor._make(d_p.copy())
                    else:
                        b = buffer._data
                        b *= momentum
                        b += (1 - dampening) * d_p if dampening else d_p
                    d_p = d_p + momentum * buffer._data if nesterov else buffer._data
                if lr == 1:
                    w -= d_p
                else:
                    add_scaled_(w, -lr, d_p)  # w -= lr * d_p, in one pass where it is large
                p._bump_version()
        return loss
