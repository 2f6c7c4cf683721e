"""Crash safety: a checkpoint after every epoch, and training resumed from it bit for bit.

A checkpoint holds everything the rest of training depends on: the model's weights, the
optimizer's state (momenta, step counts), the scheduler's, the state of the generator that
shuffles the data, nerve's global generator (dropout masks), early stopping's memory, the
epoch and the history so far. It is written atomically (a temporary file, flushed, renamed),
so a run killed at any moment -- even by SIGKILL, in the middle of writing -- leaves the
previous checkpoint or the new one. A run resumed from it ends with the same weights as a run
that was never interrupted.

Example (what ``nerve train --resume`` does)::

    trainer = ResumableTrainer(model, loss_fn, optimizer, ..., epochs=epochs)
    trainer.callbacks.append(Checkpointer(path, resume=load_checkpoint(path)))
    history = trainer.fit(train, val)   # continues after the checkpoint's epoch
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

import nerve

from .callbacks import Callback, EarlyStopping
from .errors import DataError
from .history import History
from .staging import OutputError, write_atomic
from .trainer import Trainer

__all__ = ["Checkpointer", "ResumableTrainer", "load_checkpoint", "CHECKPOINT_FORMAT"]

CHECKPOINT_FORMAT = "nerve.checkpoint"


class ResumableTrainer(Trainer):
    """A :class:`Trainer` that can continue from a checkpoint's epoch.

    It numbers epochs from the checkpoint on (callbacks see epoch 7 after a checkpoint of
    epoch 6), gives the data loader the checkpoint's shuffling state and returns the whole
    history, the checkpoint's epochs included.
    """

    def __init__(self, *args: Any, resume: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.total_epochs = self.epochs
        self.done, self.previous, self.loader_state = 0, History(), None
        self.loader_generator: Any = None
        if resume is not None:
            self.done = int(resume["epoch"])
            self.previous = resume["history"]
            self.loader_state = resume["loader_rng"]
            self.model.load_state_dict(resume["model"])
            self.optimizer.load_state_dict(resume["optimizer"])
            if self.scheduler is not None and resume.get("scheduler") is not None:
                self.scheduler.load_state_dict(resume["scheduler"])
            self.epochs = max(self.total_epochs - self.done, 1)
            self.stop_reason = str(resume.get("stop_reason") or "")

    def fit(self, train_data: Any, val_data: Any = None) -> History:
        if self.done >= self.total_epochs or self.stop_reason:
            self.task = train_data.task  # finished before the kill: nothing left to train
            self.history = self.previous
            self.model.eval()
            return self.history
        new = super().fit(train_data, val_data)
        merged = History()
        for row in [*self.previous.rows(), *new.rows()]:
            merged.append({k: v for k, v in row.items() if k != "epoch"})
        self.history = merged
        return merged

    def _loader(self, data: Any, seed: int | None = None) -> Any:
        loader = super()._loader(data, seed)
        if loader.generator is not None and self.loader_state is not None:
            loader.generator.set_state(self.loader_state)
        self.loader_generator = loader.generator
        return loader

    def _call(self, hook: str, *args: Any) -> None:
        if hook in ("on_epoch_begin", "on_epoch_end"):
            args = (args[0] + self.done, *args[1:])  # epochs count from the first run's start
        super()._call(hook, *args)


class Checkpointer(Callback):
    """Write a checkpoint to ``path`` after every epoch (see the module doc)."""

    def __init__(self, path: str | os.PathLike[str], resume: dict[str, Any] | None = None) -> None:
        self.path = Path(path)
        self.resume = resume

    def on_train_begin(self, trainer: Trainer, logs: dict[str, Any]) -> None:
        if self.resume is None:
            return
        # fit() has just re-seeded the global generator: put the checkpoint's state back.
        nerve.set_rng_state(self.resume["rng"])
        states = iter(self.resume["early_stopping"])
        for cb in trainer.callbacks:
            if isinstance(cb, EarlyStopping):
                cb.load_state_dict(next(states))

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict[str, Any]) -> None:
        history = getattr(trainer, "previous", History())
        rows = [*history.rows(), *trainer.history.rows()]
        generator = getattr(trainer, "loader_generator", None)
        state = {
            "format": CHECKPOINT_FORMAT,
            "version": 1,
            "epoch": epoch,
            "model": trainer.model.state_dict(),
            "optimizer": trainer.optimizer.state_dict(),
            "scheduler": None if trainer.scheduler is None else trainer.scheduler.state_dict(),
            "rng": nerve.get_rng_state(),
            "loader_rng": None if generator is None else generator.get_state(),
            "early_stopping": [
                cb.state_dict() for cb in trainer.callbacks if isinstance(cb, EarlyStopping)
            ],
            "history": {
                key: nerve.tensor([row.get(key, math.nan) for row in rows], dtype=nerve.float64)
                for key in trainer.history.history
            },
            "stop_reason": trainer.stop_reason,
        }
        try:
            write_atomic(self.path, _serialized(state))
        except OSError as err:  # a full disk now, not a lost run at the end
            reason = err.strerror or str(err)
            raise OutputError(f"cannot write the checkpoint '{self.path}': {reason}") from None


def _serialized(state: dict[str, Any]) -> bytes:
    """``nerve.save`` into memory (via a private temporary file), for one atomic write."""
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder) / "c.safetensors"
        nerve.save(state, tmp)
        return tmp.read_bytes()


def load_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a checkpoint written by :class:`Checkpointer`; its history comes back as a
    :class:`History`. Raises DataError for a file that is not one."""
    try:
        state = nerve.load(Path(path))
    except (ValueError, KeyError, TypeError, OSError) as err:
        raise DataError(f"{path}: not a readable checkpoint ({err})") from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise DataError(f"{path}: not a nerve checkpoint (no format={CHECKPOINT_FORMAT!r})")
    epoch = state.get("epoch")
    if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 1:
        raise DataError(f"{path}: key 'epoch': expected an epoch number >= 1, got {epoch!r:.40}")
    columns = state.get("history")
    if not isinstance(columns, dict):
        raise DataError(f"{path}: key 'history': missing")
    arrays = {k: np.asarray(v.numpy() if hasattr(v, "numpy") else v) for k, v in columns.items()}
    if any(a.shape != (epoch,) for a in arrays.values()):
        raise DataError(f"{path}: key 'history': expected {epoch} values per column")
    history = History()
    for i in range(epoch):
        history.append({k: float(a[i]) for k, a in arrays.items()})
    state["history"] = history
    return state
