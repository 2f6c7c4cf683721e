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

_MOMENTS = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")  # the last only with amsgrad


class Adam(Optimizer):
    """Adam (Kingma and Ba). ``weight_decay`` adds an L2 term to the gradient, or, with
    ``decoupled_weight_decay=True``, shrinks the weights as :class:`AdamW` does. ``amsgrad``
    keeps the maximum second moment.

    Example:
        >>> import nerve
        >>> opt = nerve.optim.Adam(nerve.nn.Linear(64, 10).parameters(), lr=1e-3)
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "foreach": foreach,  # torch's switches (see Optimizer): no arithmetic here
            "capturable": capturable,
            "differentiable": differentiable,
            "fused": fused,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)  # checks the options (_check_options)
        self._scratch: dict[Tensor, Any] = {}  # per-parameter work buffers for _step_each()
        self._flat: dict[int, FlatState] = {}  # by id of the group: its state in flat buffers

    def _check_options(self, options: dict[str, Any]) -> None:
        check_adam_options(options)

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
            names = _MOMENTS[: 3 if group["amsgrad"] else 2]
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
        lr, weight_decay, xp, params = group["lr"], group["weight_decay"], flat.xp, flat.params
        decoupled = group["decoupled_weight_decay"]
        grad = flat.gather_grads(group["maximize"])
        if weight_decay and not decoupled:  # L2: the gradient gets weight_decay * w
            for part, p in zip(flat.grad_views, params):
                part += weight_decay * p._data
        if weight_decay and decoupled:  # AdamW: shrink the weights themselves
            for p in params:
                p._data *= 1 - lr * weight_decay
        flat.steps += 1
        moments = [flat.buffers[name] for name in flat.names]
        _update(xp, grad, moments, flat.work, float(flat.steps[0]), group)
        for p, update in zip(params, flat.work_views):
            p._data -= update
            p._bump_version()

    def _step_each(self, group: dict[str, Any]) -> None:
        """One parameter at a time (parameters without a gradient this step, say)."""
        lr, weight_decay, amsgrad = group["lr"], group["weight_decay"], group["amsgrad"]
        names = _MOMENTS[: 3 if amsgrad else 2]
        decoupled = group["decoupled_weight_decay"]
        for p in params_with_grad(group):
            w, grad = p._data, gradient(p, group, l2=not decoupled)
            xp = p.device.xp
            state = self._state(p, amsgrad)
            state["step"]._data += 1
            step = float(state["step"]._data)
            if weight_decay and decoupled:  # AdamW: shrink the weights themselves
                w *= 1 - lr * weight_decay
            # One scratch buffer per parameter, reused every step: the update then allocates
            # nothing (on small networks allocation costs as much as the math).
            tmp = self._scratch_for(p)
            moments = [state[name]._data for name in names]
            _update(xp, grad, moments, tmp, step, group)
            w -= tmp
            p._bump_version()


def check_adam_options(options: dict[str, Any], *extra: str) -> None:
    """torch's checks and order for the Adam family: lr, eps, then each beta in [0, 1), then
    weight_decay and the ``extra`` non-negative options (NAdam's momentum_decay)."""
    check_non_negative(lr=options["lr"], eps=options["eps"])
    betas = options["betas"]
    try:
        betas = options["betas"] = tuple(betas)
        pair = betas[0], betas[1]
    except (TypeError, IndexError):
        raise TypeError(
            f"betas must be a pair of numbers (beta1, beta2), got {options['betas']!r}"
        ) from None
    for index, beta in enumerate(pair):
        try:
            valid = bool(0.0 <= beta < 1.0)  # False for NaN
        except TypeError:
            raise TypeError(
                f"Invalid beta parameter at index {index}: {beta!r} (expected a number "
                f"in [0, 1), got {type(beta).__name__})"
            ) from None
        if not valid:
            raise ValueError(f"Invalid beta parameter at index {index}: {beta}")
    check_non_negative(weight_decay=options["weight_decay"], **{k: options[k] for k in extra})


def _update(xp: Any, grad: Any, moments: list[Any], out: Any, step: float, group: Any) -> None:
    """Adam's moments (exp_avg, exp_avg_sq and, with amsgrad, max_exp_avg_sq) updated in place
    from ``grad``, and the step to subtract from the weights written into ``out``: for one
    parameter's arrays or a group's flat buffers alike."""
    lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
    m, v = moments[0], moments[1]
    xp.subtract(grad, m, out=out)
    out *= 1 - beta1
    m += out  # lerp towards the gradient, as torch
    v *= beta2
    xp.multiply(grad, grad, out=out)
    out *= 1 - beta2
    v += out
    if len(moments) == 3:  # amsgrad: the largest second moment so far
        v = xp.maximum(moments[2], v, out=moments[2])
    xp.sqrt(v, out=out)
    out /= math.sqrt(1 - beta2**step)  # bias corrections
    out += eps  # the denominator
    xp.divide(m, out, out=out)
    out *= lr / (1 - beta1**step)


class AdamW(Adam):
    """Adam with decoupled weight decay: weights shrink by ``lr * weight_decay`` each step,
    independently of the gradient's scale (default weight_decay 0.01).

    Example:
        >>> import nerve
        >>> w = nerve.tensor([1.0, -1.0], requires_grad=True)
        >>> opt = nerve.optim.AdamW([w], lr=0.1, weight_decay=0.1)
        >>> opt.zero_grad()
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w  # each weight moved lr against its gradient's sign, and shrank by lr * weight_decay
        tensor([ 0.8900, -0.8900], requires_grad=True)
    """

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
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            foreach=foreach,
            maximize=maximize,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=True,
        )

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """As :meth:`Optimizer.load_state_dict`; the groups stay decoupled whatever was saved
        (torch's AdamW does so, so that an Adam state_dict does not turn it into Adam)."""
        super().load_state_dict(state_dict)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
