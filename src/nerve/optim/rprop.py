"""Rprop (resilient backpropagation): each weight moves by its own step size in the direction
opposite its gradient's sign; the step grows while the sign stays and shrinks when it flips."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..autograd.grad_mode import no_grad
from ..creation import tensor
from ..tensor import Tensor
from .optimizer import Optimizer, capturable_errors, gradient, params_with_grad

__all__ = ["Rprop"]


class Rprop(Optimizer):
    """Only the gradient's sign is used: a weight's step size is multiplied by ``etas[1]``
    (> 1) when its gradient keeps its sign, by ``etas[0]`` (< 1) when the sign flips (and that
    step is skipped, its gradient counted as 0), and kept within ``step_sizes`` (min, max);
    every step size starts at ``lr``. Suited to full-batch training (Riedmiller and Braun, 1993).

    Example:
        >>> import nerve
        >>> w = nerve.nn.Parameter(nerve.tensor([3.0, -0.01]))
        >>> opt = nerve.optim.Rprop([w], lr=0.1)
        >>> for _ in range(3):
        ...     opt.zero_grad()
        ...     (w * w).sum().backward()
        ...     opt.step()
        >>> w  # w[0] moved by 0.1, 0.12, 0.144; w[1] overshot 0, waited, then came back
        Parameter containing:
        tensor([2.6360, 0.0400], requires_grad=True)
    """

    _non_negative = ("lr",)
    _capturable_errors = capturable_errors(xla=(True, True))

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50),
        *,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "etas": etas,
            "step_sizes": step_sizes,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)

    def _check_options(self, options: dict[str, Any]) -> None:
        super()._check_options(options)
        etas = options.get("etas")
        if etas is not None and not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")

    @no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            eta_minus, eta_plus = group["etas"]
            low, high = group["step_sizes"]
            for p in params_with_grad(group):
                w, grad = p._data, gradient(p, group, l2=False)
                xp = p.device.xp
                state = self.state[p]
                if not state:
                    state["step"] = tensor(0.0)
                    state["prev"] = Tensor._make(xp.zeros_like(w))
                    state["step_size"] = Tensor._make(xp.full_like(w, group["lr"]))
                state["step"]._data += 1
                prev, step_size = state["prev"]._data, state["step_size"]._data
                agreement = xp.sign(grad * prev)  # +1 same sign as last time, -1 flipped
                factor = xp.where(agreement > 0, eta_plus, xp.where(agreement < 0, eta_minus, 1.0))
                step_size *= factor.astype(w.dtype, copy=False)
                xp.clip(step_size, low, high, out=step_size)
                grad = xp.where(agreement < 0, 0, grad)  # a flip: no move, and no flip next time
                w -= xp.sign(grad) * step_size
                prev[...] = grad
                p._bump_version()
        return loss
