"""Step 03 of the lecture, "what function to optimize": the optimizer and the learning-rate
schedule a :class:`~nerve.workflow.RunConfig` asks for, built with the public ``nerve.optim``
API exactly as a user script would.

Example:
    >>> import nerve
    >>> model = nerve.nn.Linear(2, 1)
    >>> cfg = RunConfig().override({"optimizer.name": "adam", "schedule.name": "cosine"})
    >>> opt = build_optimizer(cfg, model.parameters())
    >>> type(opt).__name__, type(build_scheduler(cfg, opt, steps_per_epoch=10)).__name__
    ('Adam', 'CosineAnnealingLR')
    >>> describe_optimizer(cfg)
    'Adam(lr=0.01), cosine schedule'
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from nerve import optim
from nerve.optim import lr_scheduler

from .config import RunConfig
from .errors import ConfigError

__all__ = ["build_optimizer", "build_scheduler", "describe_optimizer"]


def build_optimizer(cfg: RunConfig, parameters: Iterable[Any]) -> optim.Optimizer:
    """The optimizer ``[optimizer]`` names over ``parameters``, with
    ``regularization.weight_decay`` as its weight decay (decoupled for AdamW)."""
    o, wd = cfg.optimizer, cfg.regularization.weight_decay
    params = list(parameters)
    try:
        if o.name == "sgd":
            return optim.SGD(params, o.lr, o.momentum, weight_decay=wd, nesterov=o.nesterov)
        if o.name in ("adam", "adamw"):
            cls = optim.Adam if o.name == "adam" else optim.AdamW
            return cls(params, o.lr, betas=tuple(o.betas), eps=o.eps, weight_decay=wd)
        if o.name == "rmsprop":
            return optim.RMSprop(params, o.lr, o.alpha, o.eps, wd, o.momentum)
        return optim.Adagrad(params, o.lr, weight_decay=wd, eps=o.eps)
    except ValueError as err:  # e.g. Nesterov without momentum
        raise ConfigError(f"optimizer: {err}") from err


_CLASS_NAMES = {
    "sgd": "SGD",
    "adam": "Adam",
    "adamw": "AdamW",
    "rmsprop": "RMSprop",
    "adagrad": "Adagrad",
}


def describe_optimizer(cfg: RunConfig) -> str:
    """A short description such as ``'SGD(lr=0.01, momentum=0.9), cosine schedule'``."""
    o = cfg.optimizer
    text = f"{_CLASS_NAMES[o.name]}(lr={o.lr:g}"
    if o.name in ("sgd", "rmsprop") and o.momentum:
        text += f", momentum={o.momentum:g}"
    if cfg.regularization.weight_decay:
        text += f", weight_decay={cfg.regularization.weight_decay:g}"
    sched = "" if cfg.schedule.name == "none" else f", {cfg.schedule.name} schedule"
    return text + ")" + sched


def build_scheduler(cfg: RunConfig, optimizer: optim.Optimizer, steps_per_epoch: int) -> Any:
    """The ``[schedule]`` for ``optimizer``, or None for ``name = "none"``.

    ``steps_per_epoch`` is needed by OneCycleLR, which steps once per batch.
    """
    s, epochs = cfg.schedule, cfg.training.epochs
    try:
        if s.name == "step":
            return lr_scheduler.StepLR(optimizer, s.step_size, s.gamma)
        if s.name == "multistep":
            return lr_scheduler.MultiStepLR(optimizer, sorted(s.milestones), s.gamma)
        if s.name == "exponential":
            return lr_scheduler.ExponentialLR(optimizer, s.gamma)
        if s.name == "cosine":
            return lr_scheduler.CosineAnnealingLR(optimizer, s.t_max or epochs, s.eta_min)
        if s.name == "plateau":
            return lr_scheduler.ReduceLROnPlateau(
                optimizer, factor=s.factor, patience=s.patience, min_lr=s.min_lr
            )
        if s.name == "onecycle":
            o = cfg.optimizer
            # Cycle momentum only where the user has some: OneCycleLR would otherwise switch
            # momentum on for plain SGD.
            cycle = o.name in ("adam", "adamw") or (o.name in ("sgd", "rmsprop") and o.momentum > 0)
            return lr_scheduler.OneCycleLR(
                optimizer,
                max_lr=s.max_lr or 10 * o.lr,
                epochs=epochs,
                steps_per_epoch=steps_per_epoch,
                pct_start=s.pct_start,
                cycle_momentum=cycle,
            )
    except ValueError as err:
        raise ConfigError(f"schedule: {err}") from err
    return None
