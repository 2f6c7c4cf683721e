"""RMSprop and Adagrad: step sizes scaled by the history of squared gradients."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..autograd.grad_mode import no_grad
from ..creation import tensor
from ..tensor import Tensor
from .optimizer import Optimizer, capturable_errors, gradient, params_with_grad


class RMSprop(Optimizer):
    """Divide the gradient by a running root-mean-square of recent gradients.

    Example:
        >>> import nerve
        >>> opt = nerve.optim.RMSprop(nerve.nn.Linear(2, 1).parameters(), lr=0.01, momentum=0.9)
    """

    _non_negative = ("lr", "eps", "momentum", "weight_decay", "alpha")  # torch's order
    _capturable_errors = capturable_errors(xla=(True, True))

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        defaults = {  # torch's keys, in its order (the switches: no arithmetic here)
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "capturable": capturable,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    @no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
            momentum, centered = group["momentum"], group["centered"]
            for p in params_with_grad(group):
                w, grad = p._data, gradient(p, group)
                xp = p.device.xp
                state = self.state[p]
                if not state:
                    state["step"] = tensor(0.0)
                    state["square_avg"] = Tensor._make(xp.zeros_like(w))
                    if momentum > 0:
                        state["momentum_buffer"] = Tensor._make(xp.zeros_like(w))
                    if centered:
                        state["grad_avg"] = Tensor._make(xp.zeros_like(w))
                state["step"]._data += 1
                square_avg = state["square_avg"]._data
                square_avg *= alpha
                square_avg += (1 - alpha) * grad * grad
                if centered:
                    grad_avg = state["grad_avg"]._data
                    grad_avg += (1 - alpha) * (grad - grad_avg)
                    avg = xp.sqrt(square_avg - grad_avg * grad_avg)
                else:
                    avg = xp.sqrt(square_avg)
                avg += eps
                if momentum > 0:
                    buffer = state["momentum_buffer"]._data
                    buffer *= momentum
                    buffer += grad / avg
                    w -= lr * buffer
                else:
                    w -= lr * grad / avg
                p._bump_version()
        return loss


class Adagrad(Optimizer):
    """Per-parameter learning rates that shrink with the sum of past squared gradients.

    Example:
        >>> import nerve
        >>> w = nerve.tensor([1.0, 1.0], requires_grad=True)
        >>> opt = nerve.optim.Adagrad([w], lr=0.1)
        >>> for _ in range(3):
        ...     opt.zero_grad()
        ...     (w * nerve.tensor([10.0, 0.1])).sum().backward()
        ...     opt.step()
        >>> w  # both move alike although their gradients differ a hundredfold
        tensor([0.7716, 0.7716], requires_grad=True)
    """

    _non_negative = ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "foreach": foreach,  # torch's switches (see Optimizer): no arithmetic here
            "maximize": maximize,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                state["step"] = tensor(0.0)
                state["sum"] = Tensor._make(
                    p.device.xp.full_like(p._data, group["initial_accumulator_value"])
                )

    @no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            for p in params_with_grad(group):
                w, grad = p._data, gradient(p, group)
                xp = p.device.xp
                state = self.state[p]
                state["step"]._data += 1
                step = float(state["step"]._data)
                clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
                total = state["sum"]._data
                total += grad * grad
                w -= clr * grad / (xp.sqrt(total) + group["eps"])
                p._bump_version()
        return loss
