"""MultiplicativeLR, in its own file for the length of ``lr_scheduler.py``; import it from
``nerve.optim.lr_scheduler``."""

from __future__ import annotations

import types
from collections.abc import Callable, Sequence
from typing import Any

from .lr_scheduler import LRScheduler, _lambdas_per_group
from .optimizer import Optimizer

__all__ = ["MultiplicativeLR"]


class MultiplicativeLR(LRScheduler):
    """Multiply each group's current learning rate by ``lr_lambda(epoch)`` at every step (one
    function, or one per group): the factors compound, unlike LambdaLR's, which scale the
    initial rate.

    Example:
        >>> import nerve
        >>> opt = nerve.optim.SGD([nerve.zeros(1, requires_grad=True)], lr=0.1)
        >>> sched = nerve.optim.lr_scheduler.MultiplicativeLR(opt, lambda epoch: 0.5)
        >>> lrs = []
        >>> for epoch in range(4):
        ...     lrs.append(round(sched.get_last_lr()[0], 4))
        ...     opt.step()
        ...     sched.step()
        >>> lrs
        [0.1, 0.05, 0.025, 0.0125]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]],
        last_epoch: int = -1,
    ) -> None:
        self.lr_lambdas = _lambdas_per_group(optimizer, lr_lambda)
        for fn in self.lr_lambdas:
            if not callable(fn):
                raise TypeError(f"lr_lambda should be a function, but got {type(fn).__name__}")
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return self._current_lrs()
        return [lr * fn(self.last_epoch) for lr, fn in zip(self._current_lrs(), self.lr_lambdas)]

    def state_dict(self) -> dict[str, Any]:
        """The scheduler's attributes; of the factors, only a callable object's attributes
        (a plain function or lambda is saved as None), as torch."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [
            None if isinstance(fn, types.FunctionType) else dict(fn.__dict__)
            for fn in self.lr_lambdas
        ]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = dict(state_dict)
        saved = state.pop("lr_lambdas", [])
        self.__dict__.update(state)
        for fn, attributes in zip(self.lr_lambdas, saved):
            if attributes is not None:
                fn.__dict__.update(attributes)
