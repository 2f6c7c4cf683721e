"""Callbacks: code that runs at fixed points of :class:`~nerve.workflow.Trainer` training.

The Trainer calls, in order::

    on_train_begin(trainer, logs)
    for each epoch:
        on_epoch_begin(trainer, epoch, logs)
        for each batch: on_batch_end(trainer, batch, logs)     # logs: {"loss", "size"}
        on_epoch_end(trainer, epoch, logs)                     # logs: this epoch's history row
    on_train_end(trainer, logs)

``epoch`` counts from 1, as the history and the progress bar do. A callback stops training by
calling ``trainer.stop(reason)``; the current epoch finishes and ``on_train_end`` still runs.

Two regularisers of the lecture are callbacks here: **early stopping** (stop when the
validation loss stops improving, and go back to the best weights) and checkpointing the best
model as it trains.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nerve

from .errors import DataError, check_choice, check_int
from .metrics import greater_is_better

if TYPE_CHECKING:
    from .trainer import Trainer

__all__ = ["Callback", "EarlyStopping", "ModelCheckpoint", "LambdaCallback"]

Logs = dict[str, Any]


class Callback:
    """Base class: override any of the hooks; each does nothing by default.

    Example:
        >>> class PrintLoss(Callback):
        ...     def on_epoch_end(self, trainer, epoch, logs):
        ...         print(f"epoch {epoch}: {logs['train_loss']:.3f}")
    """

    def on_train_begin(self, trainer: Trainer, logs: Logs) -> None:
        """Before the first epoch; ``logs`` is empty."""

    def on_epoch_begin(self, trainer: Trainer, epoch: int, logs: Logs) -> None:
        """Before each epoch (``epoch`` counts from 1)."""

    def on_batch_end(self, trainer: Trainer, batch: int, logs: Logs) -> None:
        """After each optimizer step; ``logs`` holds the batch's ``loss`` and ``size``."""

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: Logs) -> None:
        """After each epoch; ``logs`` is the epoch's row of the history (losses, metrics, lr)."""

    def on_train_end(self, trainer: Trainer, logs: Logs) -> None:
        """After the last epoch, also when a callback stopped training early."""


class LambdaCallback(Callback):
    """A callback from plain functions, for one-off needs.

    Example:
        >>> seen = []
        >>> cb = LambdaCallback(on_epoch_end=lambda trainer, epoch, logs: seen.append(epoch))
    """

    def __init__(self, **hooks: Any) -> None:
        for name, fn in hooks.items():
            if not name.startswith("on_") or not hasattr(Callback, name):
                raise DataError(f"unknown callback hook {name!r}")
            setattr(self, name, fn)


class _Monitor:
    """Tracks the best value of one logged quantity (shared by EarlyStopping and checkpoints)."""

    def __init__(self, monitor: str, mode: str, min_delta: float = 0.0) -> None:
        self.monitor = str(monitor)
        check_choice("mode", mode, ("auto", "min", "max"))
        # "auto": losses and errors go down, scores such as accuracy go up.
        self.maximize = greater_is_better(self.monitor) if mode == "auto" else mode == "max"
        if not (isinstance(min_delta, (int, float)) and min_delta >= 0):
            raise DataError(f"min_delta must be a number >= 0, got {min_delta!r}")
        self.min_delta = float(min_delta)
        self.best = -math.inf if self.maximize else math.inf
        self.best_epoch = 0

    def value(self, logs: Logs) -> float:
        if self.monitor not in logs:
            hint = " (pass validation data to fit())" if self.monitor.startswith("val_") else ""
            raise DataError(
                f"cannot monitor {self.monitor!r}: it is not logged{hint}; "
                f"logged: {', '.join(sorted(logs))}"
            )
        return float(logs[self.monitor])

    def improved(self, value: float) -> bool:
        if math.isnan(value):
            return False
        if self.maximize:
            return value > self.best + self.min_delta
        return value < self.best - self.min_delta

    def update(self, epoch: int, logs: Logs) -> bool:
        """Record this epoch; True when it is the best so far."""
        value = self.value(logs)
        if self.improved(value):
            self.best, self.best_epoch = value, epoch
            return True
        return False


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience``
    epochs; with ``restore_best_weights`` the model ends with the weights of its best epoch.

    Args:
        monitor: a history key, e.g. ``"val_loss"`` or ``"val_accuracy"``.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (max for scores, min for losses and errors).
        patience: epochs without improvement to tolerate before stopping.
        min_delta: the smallest change that counts as an improvement.
        restore_best_weights: load the best epoch's weights when training ends.

    Example:
        >>> stopper = EarlyStopping(monitor="val_loss", patience=5)
        >>> stopper.maximize
        False
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        mode: str = "auto",
        patience: int = 10,
        min_delta: float = 0.0,
        restore_best_weights: bool = True,
    ) -> None:
        self._tracker = _Monitor(monitor, mode, min_delta)
        self.monitor, self.maximize = self._tracker.monitor, self._tracker.maximize
        self.min_delta = self._tracker.min_delta
        self.patience = check_int("patience", patience, minimum=0)
        self.restore_best_weights = bool(restore_best_weights)
        self.stopped_epoch = 0
        self.best_state: dict[str, nerve.Tensor] | None = None

    @property
    def best(self) -> float:
        return self._tracker.best

    @property
    def best_epoch(self) -> int:
        return self._tracker.best_epoch

    def on_train_begin(self, trainer: Trainer, logs: Logs) -> None:
        # A fresh tracker, so that one EarlyStopping can serve several fit() calls.
        self._tracker = _Monitor(self.monitor, "max" if self.maximize else "min", self.min_delta)
        self.stopped_epoch, self.best_state, self._wait = 0, None, 0

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: Logs) -> None:
        if self._tracker.update(epoch, logs):
            self._wait = 0
            if self.restore_best_weights:
                # clone(): state_dict() shares memory with the live parameters.
                self.best_state = {k: v.clone() for k, v in trainer.model.state_dict().items()}
            return
        self._wait += 1
        if self._wait >= self.patience:
            self.stopped_epoch = epoch
            trainer.stop(
                f"early stopping: {self.monitor} did not improve for {self.patience} epochs "
                f"(best {self.best:.4g} at epoch {self.best_epoch})"
            )

    def on_train_end(self, trainer: Trainer, logs: Logs) -> None:
        if self.restore_best_weights and self.best_state is not None:
            trainer.model.load_state_dict(self.best_state)

    def state_dict(self) -> dict[str, Any]:
        """What this callback remembers between epochs, for checkpoints (JSON-safe numbers,
        the best weights as tensors)."""
        best = self._tracker.best
        return {
            "best": best if math.isfinite(best) else None,
            "best_epoch": self._tracker.best_epoch,
            "wait": self._wait,
            "stopped_epoch": self.stopped_epoch,
            "best_state": self.best_state,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from :meth:`state_dict` (call after ``on_train_begin``, which resets)."""
        if state["best"] is not None:
            self._tracker.best = float(state["best"])
        self._tracker.best_epoch = int(state["best_epoch"])
        self._wait, self.stopped_epoch = int(state["wait"]), int(state["stopped_epoch"])
        self.best_state = state["best_state"]


class ModelCheckpoint(Callback):
    """Save the model's ``state_dict`` with ``nerve.save`` (safetensors, written atomically).

    Args:
        path: the file; ``{epoch}`` in it is replaced by the epoch number.
        monitor: the history key that decides which epoch is best.
        mode: ``"min"``, ``"max"`` or ``"auto"``.
        save_best_only: save only when ``monitor`` improved (else after every epoch).

    In data-parallel training (``mpirun``) only rank 0 writes the file.

    Example:
        >>> import tempfile, os
        >>> ckpt = ModelCheckpoint(os.path.join(tempfile.mkdtemp(), "best.safetensors"))
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        monitor: str = "val_loss",
        mode: str = "auto",
        save_best_only: bool = True,
    ) -> None:
        self.path = os.fspath(path)
        self._tracker = _Monitor(monitor, mode)
        self.monitor = self._tracker.monitor
        self.save_best_only = bool(save_best_only)
        self.saved: list[Path] = []

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: Logs) -> None:
        improved = self._tracker.update(epoch, logs)
        if self.save_best_only and not improved:
            return
        target = Path(self.path.replace("{epoch}", str(epoch)))
        if _rank() == 0:  # data-parallel training: every rank has the same weights; one saves
            target.parent.mkdir(parents=True, exist_ok=True)
            nerve.save(trainer.model.state_dict(), target)  # nerve.save replaces atomically
        self.saved.append(target)


def _rank() -> int:
    """This process's rank in nerve.distributed's group (0 outside one)."""
    from nerve import distributed as dist

    return dist.get_rank() if dist.is_initialized() else 0
