"""L-BFGS: a quasi-Newton method that approximates the inverse Hessian from the last
``history_size`` steps and gradient changes, with an optional strong-Wolfe line search.

Its step takes a closure (it evaluates the loss several times per step). The arithmetic runs
on one flat array of all parameters, in the order torch 2.13 performs it, so that a run from
the same weights takes the same iterates; the state keeps torch's keys (``d``, ``t``,
``old_dirs``, ``old_stps``, ``ro``, ``H_diag``, ``prev_flat_grad``, ``prev_loss``, ``n_iter``,
``func_evals``), its arrays as tensors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ..autograd.grad_mode import enable_grad, no_grad
from ..tensor import Tensor
from .line_search import strong_wolfe
from .optimizer import Optimizer, check_non_negative

# State entries that hold one flat array (as a tensor), and those that hold a list of them.
_ARRAYS = ("d", "prev_flat_grad", "H_diag")
_LISTS = ("old_dirs", "old_stps", "ro", "al")


class LBFGS(Optimizer):
    """L-BFGS (heavily inspired by minFunc, as torch's). One parameter group only.

    ``step(closure)`` runs up to ``max_iter`` iterations and ``max_eval`` loss evaluations
    (default ``max_iter * 5 // 4``), stopping early when the largest gradient entry is below
    ``tolerance_grad`` or the loss or the step changes less than ``tolerance_change``.

    Example:
        >>> import nerve
        >>> w = nerve.nn.Parameter(nerve.tensor([3.0, -2.0]))
        >>> opt = nerve.optim.LBFGS([w], line_search_fn="strong_wolfe")
        >>> def closure():
        ...     opt.zero_grad()
        ...     loss = ((w - 1) ** 2).sum()
        ...     loss.backward()
        ...     return loss
        >>> _ = opt.step(closure)
        >>> [round(v, 4) for v in w.tolist()]
        [1.0, 1.0]
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ) -> None:
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = {
            "lr": lr,
            "max_iter": max_iter,
            "max_eval": max_eval,
            "tolerance_grad": tolerance_grad,
            "tolerance_change": tolerance_change,
            "history_size": history_size,
            "line_search_fn": line_search_fn,
        }
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params: list[Tensor] = self.param_groups[0]["params"]

    def _check_options(self, options: dict[str, Any]) -> None:
        check_non_negative(lr=options["lr"])

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        if self.param_groups:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        super().add_param_group(param_group)

    # -- the parameters as one flat vector ---------------------------------------------------

    def _gather_flat_grad(self) -> Any:
        xp = self._params[0].device.xp
        parts = [
            xp.zeros(p._data.size, p._data.dtype) if p.grad is None else p.grad._data.reshape(-1)
            for p in self._params
        ]
        return xp.concatenate(parts)

    def _add_grad(self, step_size: Any, update: Any) -> None:
        offset = 0
        for p in self._params:
            size = p._data.size
            p._data += step_size * update[offset : offset + size].reshape(p._data.shape)
            p._bump_version()
            offset += size

    def _directional_evaluate(self, closure: Callable[[], Any], x: list[Any], t: Any, d: Any):
        """Loss and flat gradient at ``x + t * d``; the parameters are put back to ``x``."""
        self._add_grad(t, d)
        loss = float(closure())
        flat_grad = self._gather_flat_grad()
        for p, data in zip(self._params, x):
            p._data[...] = data
            p._bump_version()
        return loss, flat_grad

    # -- the step ------------------------------------------------------------------------------

    @no_grad()
    def step(self, closure: Callable[[], Any]) -> Any:  # type: ignore[override]
        """Run up to ``max_iter`` L-BFGS iterations; return the loss of the first evaluation."""
        if closure is None or not callable(closure):
            raise TypeError("LBFGS.step() requires a closure that re-evaluates the loss")
        closure = enable_grad()(closure)
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        line_search_fn, history_size = group["line_search_fn"], group["history_size"]
        xp = self._params[0].device.xp

        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        orig_loss = closure()
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad()
        if xp.abs(flat_grad).max() <= tolerance_grad:  # already optimal
            return orig_loss

        memory = _unpack(state)
        d, t, H_diag = memory["d"], memory["t"], memory["H_diag"]  # noqa: N806 (torch's name)
        old_dirs, old_stps, ro = memory["old_dirs"], memory["old_stps"], memory["ro"]
        prev_flat_grad, prev_loss = memory["prev_flat_grad"], memory["prev_loss"]
        al = memory["al"]

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:  # the first direction: steepest descent
                d = -flat_grad
                old_dirs, old_stps, ro, H_diag = [], [], [], 1
            else:
                # Update the memory with the last step s and gradient change y.
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = y.dot(s)
                if ys > 1e-10:  # curvature condition: otherwise skip the update
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0), old_stps.pop(0), ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / y.dot(y)  # noqa: N806 (the initial Hessian's scale)
                if al is None:
                    al = [None] * history_size
                # The two-loop recursion: d = -H g.
                q = -flat_grad
                for i in range(len(old_dirs) - 1, -1, -1):
                    al[i] = old_stps[i].dot(q) * ro[i]
                    q += -al[i] * old_dirs[i]
                d = r = q * H_diag
                for i in range(len(old_dirs)):
                    be_i = old_dirs[i].dot(r) * ro[i]
                    r += (al[i] - be_i) * old_stps[i]
            prev_flat_grad = flat_grad.copy()
            prev_loss = loss
            # The step length: the first iteration ever is scaled by the gradient's size.
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / xp.abs(flat_grad).sum()) * lr
            else:
                t = lr
            gtd = flat_grad.dot(d)  # the directional derivative
            if gtd > -tolerance_change:
                break

            ls_func_evals = 0
            if line_search_fn is not None:
                if line_search_fn != "strong_wolfe":
                    raise RuntimeError("only 'strong_wolfe' is supported")
                x_init = [p._data.copy() for p in self._params]

                def obj_func(x: Any, t: Any, d: Any) -> tuple[float, Any]:
                    return self._directional_evaluate(closure, x, t, d)

                loss, flat_grad, t, ls_func_evals = strong_wolfe(
                    obj_func, x_init, t, d, loss, flat_grad, gtd, max_ls=max_eval - current_evals
                )
                self._add_grad(t, d)
                opt_cond = xp.abs(flat_grad).max() <= tolerance_grad
            else:
                self._add_grad(t, d)  # a fixed step
                opt_cond = False
                if n_iter != max_iter:  # re-evaluate, unless this was the last iteration
                    loss = float(closure())
                    flat_grad = self._gather_flat_grad()
                    opt_cond = xp.abs(flat_grad).max() <= tolerance_grad
                    ls_func_evals = 1
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals

            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if xp.abs(d * t).max() <= tolerance_change:  # the step changed too little
                break
            if abs(loss - prev_loss) < tolerance_change:  # the loss changed too little
                break

        _pack(state, d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=H_diag)
        _pack(state, prev_flat_grad=prev_flat_grad, prev_loss=prev_loss, al=al)
        return orig_loss


def _to_value(value: Any) -> Any:
    """A tensor's array, a NumPy scalar's Python number; anything else as it is."""
    if isinstance(value, Tensor):
        return value._data
    return value


def _unpack(state: dict[str, Any]) -> dict[str, Any]:
    """The iteration's memory from the state (arrays out of their tensors)."""
    memory: dict[str, Any] = {
        key: _to_value(state.get(key)) for key in (*_ARRAYS, "t", "prev_loss")
    }
    for key in _LISTS:
        items = state.get(key)
        memory[key] = None if items is None else [_to_value(v) for v in items]
    return memory


def _pack(state: dict[str, Any], **memory: Any) -> None:
    """Store the memory in the state as torch does: arrays (0-d ones too) as tensors; ``al``
    only once the two-loop recursion has made it."""
    for key, value in memory.items():
        if key in _LISTS:
            if value is not None:
                state[key] = [_as_tensor(v) for v in value]
        else:
            state[key] = _as_tensor(value)


def _as_tensor(value: Any) -> Any:
    """An array or NumPy scalar as a tensor; Python numbers, None and the rest unchanged."""
    if isinstance(value, np.generic):
        return Tensor._make(np.asarray(value))
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return Tensor._make(value)
    return value


__all__ = ["LBFGS"]
