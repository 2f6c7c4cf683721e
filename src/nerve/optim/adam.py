"""Adam and AdamW: per-parameter step sizes from running averages of the gradient and of its
square, with bias correction."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from ..autograd.grad_mode import no_grad
from ..creation import tensor
from ..tensor import Tensor
from .flat import FlatState
from .optimizer import Optimizer, check_non_negative, gradient, params_with_grad


def _check(lr: float, betas: tuple[float, float], eps: float, weight_decay: float) -> None:
    check_non_negative(lr=lr, eps=eps)
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    check_non_negative(weight_decay=weight_decay)


class Adam(Optimizer):
    """Adam (Kingma and Ba). ``weight_decay`` adds an L2 term to the gradient; see
    :class:`AdamW` for decoupled decay. ``amsgrad`` keeps the maximum second moment.

    Example:
        >>> import nerve
        >>> opt = nerve.optim.Adam(nerve.nn.Linear(64, 10).parameters(), lr=1e-3)
    """

    decoupled = False

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
    ) -> None:
        _check(lr, betas, eps, weight_decay)
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
        }
        super().__init__(params, defaults)
        self._scratch: dict[Tensor, Any] = {}  # per-parameter work buffers for _step_each()
        self._flat: dict[int, FlatState] = {}  # by id of the group: its state in flat buffers

    def _scratch_for(self, p: Tensor) -> Any:
        scratch = self._scratch
        buffer = scratch.get(p)
        if buffer is None or buffer.shape != p._data.shape or buffer.dtype != p._data.dtype:
            buffer = scratch[p] = p.device.xp.empty_like(p._data)
        return buffer

    def _state(self, p: Tensor, amsgrad: bool) -> dict[str, Any]:
        state = self.state[p]
        if not state:
            xp = p.device.xp
            state["step"] = tensor(0.0)
            state["exp_avg"] = Tensor._make(xp.zeros_like(p._data))
            state["exp_avg_sq"] = Tensor._make(xp.zeros_like(p._data))
            if amsgrad:
                state["max_exp_avg_sq"] = Tensor._make(xp.zeros_like(p._data))
        return state

    @no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            names = ("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if group["amsgrad"] else ())
            flat = FlatState.of(self._flat, group, self.state, names)
            if flat is not None:
                self._flat_step(group, flat)
            else:
                self._step_each(group)
        return loss

    def __getstate__(self) -> dict[str, Any]:
        # The flat buffers are a cache (rebuilt from ``state`` at the next step); they hold
        # the array module, which neither pickles nor deep-copies.
        return {**self.__dict__, "_flat": {}}

    def _flat_step(self, group: dict[str, Any], flat: FlatState) -> None:
        """The whole group at once: the same arithmetic as :meth:`_step_each`, elementwise,
        over flat buffers (about 15 array calls in all instead of 15 per parameter)."""
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        weight_decay, xp, params = group["weight_decay"], flat.xp, flat.params
        grad = flat.gather_grads(group["maximize"])
        if weight_decay and not self.decoupled:  # L2: the gradient gets weight_decay * w
            for part, p in zip(flat.grad_views, params):
                part += weight_decay * p._data
        if weight_decay and self.decoupled:  # AdamW: shrink the weights themselves
            for p in params:
                p._data *= 1 - lr * weight_decay
        m, v, tmp = flat.buffers["exp_avg"], flat.buffers["exp_avg_sq"], flat.work
        xp.subtract(grad, m, out=tmp)
        tmp *= 1 - beta1
        m += tmp
        v *= beta2
        xp.multiply(grad, grad, out=tmp)
        tmp *= 1 - beta2
        v += tmp
        if group["amsgrad"]:
            v_max = flat.buffers["max_exp_avg_sq"]
            xp.maximum(v_max, v, out=v_max)
            v = v_max
        flat.steps += 1
        step = float(flat.steps[0])
        xp.sqrt(v, out=tmp)
        tmp /= math.sqrt(1 - beta2**step)
        tmp += eps
        xp.divide(m, tmp, out=tmp)
        tmp *= lr / (1 - beta1**step)
        for p, update in zip(params, flat.work_views):
            p._data -= update
            p._bump_version()

    def _step_each(self, group: dict[str, Any]) -> None:
        """One parameter at a time (parameters without a gradient this step, say)."""
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        weight_decay, amsgrad = group["weight_decay"], group["amsgrad"]
        for p in params_with_grad(group):
            w, grad = p._data, gradient(p, group, l2=not self.decoupled)
            xp = p.device.xp
            state = self._state(p, amsgrad)
            state["step"]._data += 1
            step = float(state["step"]._data)
            if weight_decay and self.decoupled:  # AdamW: shrink the weights themselves
                w *= 1 - lr * weight_decay
            m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
            # One scratch buffer per parameter, reused every step: the update below then
            # allocates nothing (on small networks allocation costs as much as the math).
            tmp = self._scratch_for(p)
            xp.subtract(grad, m, out=tmp)
            tmp *= 1 - beta1
            m += tmp  # lerp towards the gradient, as torch
            v *= beta2
            xp.multiply(grad, grad, out=tmp)
            tmp *= 1 - beta2
            v += tmp
            if amsgrad:
                v_max = state["max_exp_avg_sq"]._data
                xp.maximum(v_max, v, out=v_max)
                v = v_max
            bias_correction1 = 1 - beta1**step
            bias_correction2_sqrt = math.sqrt(1 - beta2**step)
            xp.sqrt(v, out=tmp)
            tmp /= bias_correction2_sqrt
            tmp += eps  # the denominator
            xp.divide(m, tmp, out=tmp)
            tmp *= lr / bias_correction1
            w -= tmp
            p._bump_version()


class AdamW(Adam):
    """Adam with decoupled weight decay: weights shrink by ``lr * weight_decay`` each step,
    independently of the gradient's scale (default weight_decay 0.01)."""

    decoupled = True

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)
