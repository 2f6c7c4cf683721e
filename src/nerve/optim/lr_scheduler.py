"""Learning-rate schedules (torch.optim.lr_scheduler's names): call ``scheduler.step()``
once per epoch (or per batch for OneCycleLR), after ``optimizer.step()``.

Each schedule has its formula in closed form, ``lr_at(base_lr, epoch)``, used by
``step(epoch)``. A plain ``step()`` updates the optimizer's *current* learning rates instead
(``get_lr``), as torch does: that is what lets two schedules drive one optimizer together
(a warm-up times a decay), and a learning rate changed by hand stay changed.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from .optimizer import Optimizer


class LRScheduler:
    """Base class: subclasses define ``lr_at(base_lr, epoch)`` (closed form) and, where it
    differs, ``get_lr()`` (the next rates from the current ones).

    Example:
        >>> import nerve
        >>> class Halving(nerve.optim.lr_scheduler.LRScheduler):
        ...     def get_lr(self):  # the rates for epoch self.last_epoch
        ...         return [lr * 0.5**self.last_epoch for lr in self.base_lrs]
        >>> opt = nerve.optim.SGD([nerve.zeros(1, requires_grad=True)], lr=0.1)
        >>> sched = Halving(opt)
        >>> for epoch in range(3):
        ...     opt.step()
        ...     sched.step()
        >>> sched.get_last_lr()
        [0.0125]
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        if last_epoch == -1:
            # setdefault, as torch: OneCycleLR (or an earlier schedule) may have set it already
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        elif any("initial_lr" not in group for group in optimizer.param_groups):
            raise KeyError(
                "param 'initial_lr' is not specified in param_groups when resuming an optimizer"
            )
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self) -> None:
        """The step the constructor makes (SequentialLR makes it again for a later schedule)."""
        self._step_count = 0
        self._is_initial = True
        self._get_lr_called_within_step = False  # torch's flag, kept for its state_dict keys
        try:
            self.step()
        finally:
            self._is_initial = False

    def lr_at(self, base_lr: float, epoch: int) -> float:
        raise NotImplementedError

    def get_lr(self) -> list[float]:
        """The learning rates for ``last_epoch`` (by default: the closed form)."""
        return self._closed_form_lr()

    def _closed_form_lr(self) -> list[float]:
        if type(self).lr_at is LRScheduler.lr_at:  # no closed form: the rates from get_lr
            return self.get_lr()
        return [self.lr_at(base, self.last_epoch) for base in self.base_lrs]

    def _current_lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The learning rates set by the last ``step()``."""
        return self._last_lr

    def step(self, epoch: int | None = None) -> None:
        self._step_count += 1
        self._update_lr(epoch)

    def _update_lr(self, epoch: int | None = None) -> None:
        """Advance one epoch (or jump to ``epoch``) and set the groups' rates."""
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:  # jumping to an epoch: only the closed form knows where that is
            self.last_epoch = epoch
            values = self._closed_form_lr()
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "optimizer" and not callable(v)}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.__dict__.update(state_dict)


_LRScheduler = LRScheduler


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs.

    Example:
        >>> import nerve
        >>> opt = nerve.optim.SGD([nerve.zeros(1, requires_grad=True)], lr=0.1)
        >>> sched = nerve.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
        >>> lrs = []
        >>> for epoch in range(6):
        ...     lrs.append(round(sched.get_last_lr()[0], 4))
        ...     opt.step()
        ...     sched.step()
        >>> lrs
        [0.1, 0.1, 0.05, 0.05, 0.025, 0.025]
    """

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        return base_lr * self.gamma ** (epoch // self.step_size)

    def get_lr(self) -> list[float]:
        epoch, lrs = self.last_epoch, self._current_lrs()
        if epoch == 0 or epoch % self.step_size != 0:
            return lrs
        return [lr * self.gamma for lr in lrs]


class MultiStepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` at each epoch in ``milestones``.

    Example:
        >>> import nerve
        >>> opt = nerve.optim.SGD([nerve.zeros(1, requires_grad=True)], lr=0.1)
        >>> sched = nerve.optim.lr_scheduler.MultiStepLR(opt, milestones=[2, 5], gamma=0.1)
        >>> lrs = []
        >>> for epoch in range(7):
        ...     lrs.append(round(sched.get_last_lr()[0], 4))
        ...     opt.step()
        ...     sched.step()
        >>> lrs
        [0.1, 0.1, 0.01, 0.01, 0.01, 0.001, 0.001]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        milestones: Sequence[int],
        gamma: float = 0.1,
        last_epoch: int = -1,
    ) -> None:
        self.milestones, self.gamma = sorted(milestones), gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        return base_lr * self.gamma ** bisect_right(self.milestones, epoch)

    def get_lr(self) -> list[float]:
        times = Counter(self.milestones)[self.last_epoch]  # a repeated milestone decays twice
        return [lr * self.gamma**times for lr in self._current_lrs()]


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every epoch.

    Example:
        >>> import nerve
        >>> opt = nerve.optim.SGD([nerve.zeros(1, requires_grad=True)], lr=0.1)
        >>> sched = nerve.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
        >>> lrs = []
        >>> for epoch in range(5):
        ...     lrs.append(round(sched.get_last_lr()[0], 4))
        ...     opt.step()
        ...     sched.step()
        >>> lrs
        [0.1, 0.05, 0.025, 0.0125, 0.0063]
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        return base_lr * self.gamma**epoch

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]


class CosineAnnealingLR(LRScheduler):
    """Follow half a cosine from the initial rate down to ``eta_min`` over ``T_max`` epochs.

    Example:
        >>> import nerve
        >>> opt = nerve.optim.SGD([nerve.zeros(1, requires_grad=True)], lr=0.1)
        >>> sched = nerve.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=4)
        >>> lrs = []
        >>> for epoch in range(6):
        ...     lrs.append(round(sched.get_last_lr()[0], 4))
        ...     opt.step()
        ...     sched.step()
        >>> lrs
        [0.1, 0.0854, 0.05, 0.0146, 0.0, 0.0146]
    """

    def __init__(
        self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ) -> None:  # noqa: N803
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        return (
            self.eta_min
            + (base_lr - self.eta_min) * (1 + math.cos(math.pi * epoch / self.T_max)) / 2
        )

    def get_lr(self) -> list[float]:
        # torch's recursive form: the ratio of consecutive closed-form values, applied to the
        # current rates (with an additive step where that ratio would divide by zero).
        epoch, t, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._current_lrs()
        if self._step_count == 1 and epoch > 0:  # resumed with last_epoch: start on the curve
            return self._closed_form_lr()
        if (epoch - 1 - t) % (2 * t) == 0:
            return [
                lr + (base - eta_min) * (1 - math.cos(math.pi / t)) / 2
                for lr, base in zip(self._current_lrs(), self.base_lrs)
            ]
        ratio = (1 + math.cos(math.pi * epoch / t)) / (1 + math.cos(math.pi * (epoch - 1) / t))
        return [ratio * (lr - eta_min) + eta_min for lr in self._current_lrs()]


def _lambdas_per_group(optimizer: Optimizer, lr_lambda: Any) -> list[Callable[[int], float]]:
    """One function of the epoch per parameter group: ``lr_lambda`` for each, or the list
    given (as long as the groups)."""
    groups = len(optimizer.param_groups)
    lambdas = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * groups
    if len(lambdas) != groups:
        raise ValueError(f"Expected {groups} lr_lambdas, but got {len(lambdas)}")
    return lambdas


class LambdaLR(LRScheduler):
    """The initial learning rate times ``lr_lambda(epoch)`` (one function, or one per group).

    Example:
        >>> import nerve
        >>> opt = nerve.optim.SGD([nerve.zeros(1, requires_grad=True)], lr=0.1)
        >>> sched = nerve.optim.lr_scheduler.LambdaLR(opt, lambda epoch: 1 / (epoch + 1))
        >>> lrs = []
        >>> for epoch in range(5):
        ...     lrs.append(round(sched.get_last_lr()[0], 4))
        ...     opt.step()
        ...     sched.step()
        >>> lrs
        [0.1, 0.05, 0.0333, 0.025, 0.02]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]],
        last_epoch: int = -1,
    ) -> None:
        self.lr_lambdas = _lambdas_per_group(optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def _closed_form_lr(self) -> list[float]:
        return [base * fn(self.last_epoch) for base, fn in zip(self.base_lrs, self.lr_lambdas)]

    def state_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}


class LinearLR(LRScheduler):
    """Scale the learning rate linearly from ``start_factor`` to ``end_factor`` over
    ``total_iters`` epochs (a warm-up), then keep it.

    Example:
        >>> import nerve
        >>> opt = nerve.optim.SGD([nerve.zeros(1, requires_grad=True)], lr=0.1)
        >>> sched = nerve.optim.lr_scheduler.LinearLR(opt, start_factor=0.25, total_iters=3)
        >>> lrs = []
        >>> for epoch in range(6):
        ...     lrs.append(round(sched.get_last_lr()[0], 4))
        ...     opt.step()
        ...     sched.step()
        >>> lrs
        [0.025, 0.05, 0.075, 0.1, 0.1, 0.1]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        if not 0 < start_factor <= 1:
            raise ValueError(
                "Starting multiplicative factor expected to be greater than 0 and less or "
                "equal to 1."
            )
        if not 0 <= end_factor <= 1:
            raise ValueError("Ending multiplicative factor expected to be between 0 and 1.")
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer, last_epoch)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        progress = min(self.total_iters, epoch) / self.total_iters
        return base_lr * (self.start_factor + (self.end_factor - self.start_factor) * progress)

    def get_lr(self) -> list[float]:
        epoch, lrs = self.last_epoch, self._current_lrs()
        if epoch == 0:
            return [lr * self.start_factor for lr in lrs]
        if self._is_initial or epoch > self.total_iters:
            return lrs
        change = self.end_factor - self.start_factor
        factor = 1.0 + change / (self.total_iters * self.start_factor + (epoch - 1) * change)
        return [lr * factor for lr in lrs]


def _per_group(value: Any, groups: list[dict[str, Any]], name: str) -> list[Any]:
    """One value per parameter group: a list or tuple must have exactly one per group."""
    if not isinstance(value, (list, tuple)):
        return [value] * len(groups)
    if len(value) != len(groups):
        raise ValueError(
            f"{name} must have the same length as optimizer.param_groups. {name} has "
            f"{len(value)} values, param_groups has {len(groups)}."
        )
    return list(value)


# The schedules in their own files (they import this module's base class, so they come last).
from .lr_compose import ChainedScheduler, ReduceLROnPlateau, SequentialLR  # noqa: E402
from .lr_cyclic import (  # noqa: E402
    ConstantLR,
    CosineAnnealingWarmRestarts,
    CyclicLR,
    PolynomialLR,
)
from .lr_multiplicative import MultiplicativeLR  # noqa: E402
from .lr_onecycle import OneCycleLR  # noqa: E402

__all__ = [
    "ChainedScheduler",
    "ConstantLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "LinearLR",
    "MultiStepLR",
    "MultiplicativeLR",
    "OneCycleLR",
    "PolynomialLR",
    "ReduceLROnPlateau",
    "SequentialLR",
    "StepLR",
]
