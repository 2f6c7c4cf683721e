"""The training half of a playground session: mini-batches, epochs and when to stop.

:class:`TrainingLoop` is the base of :class:`~nerve.playground.session.Session`. Each
mini-batch takes the workflow's own step, :func:`~nerve.workflow.step.train_step` (zero the
gradients, forward, loss plus the L1/L2 penalty, backward, step), the one ``nerve train``
takes; what this module adds is the page's pacing (a time budget or a number of epochs
between two frames) and the regularisation list's stopping rules: early stopping with
patience, an epoch limit, and divergence detection, so that a learning rate that is too large
ends in a message instead of a silent grey plot.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
from threadpoolctl import ThreadpoolController

import nerve
from nerve.workflow import class_weights
from nerve.workflow.step import train_step

from .dataset import TEST, TRAIN, VAL
from .network import (
    build_criterion,
    build_optimizer,
    build_scheduler,
    linear_layers,
    target_tensor,
)

__all__ = ["TrainingLoop", "EXPLODED_LOSS", "EXPLODED_WEIGHT", "LOSS_GROWTH"]

# A loss this large on data of order one, or weights this large, only come from divergence.
EXPLODED_LOSS = 1e4
EXPLODED_WEIGHT = 1e5
# An epoch whose mean loss is this many times the loss of the initial weights has diverged:
# a saturated network (a sigmoid pinned at the wrong class) never gets NaN, but gets here.
LOSS_GROWTH = 5.0
# A training point this many robust deviations (MAD) from the median of its column is an
# outlier that can make the gradients explode by itself, whatever the learning rate.
OUTLIER_MADS = 25.0
_BLAS: dict[str, Any] = {"controller": None, "limiter": None, "users": 0}
_BLAS_LOCK = threading.Lock()


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the BLAS on one thread: the playground's matrices are thin (thousands x 8), and on
    a busy 2-core machine a second BLAS thread makes a frame about 4x slower, not faster.

    The limit is process-wide, and sessions run in several worker threads: the first one in
    sets it, the last one out restores what was there (not the first one out, which would
    lift the limit under the others or leave it on for good).
    """
    with _BLAS_LOCK:
        if _BLAS["users"] == 0:
            if _BLAS["controller"] is None:
                _BLAS["controller"] = ThreadpoolController()
            _BLAS["limiter"] = _BLAS["controller"].limit(limits=1, user_api="blas")
        _BLAS["users"] += 1
    try:
        yield
    finally:
        with _BLAS_LOCK:
            _BLAS["users"] -= 1
            if _BLAS["users"] == 0:
                _BLAS["limiter"].restore_original_limits()
                _BLAS["limiter"] = None


class TrainingLoop:
    """Training state and steps; the session provides points, settings, inputs and model."""

    settings: dict[str, Any]
    points: Any
    model: Any
    running: bool
    halt: dict[str, str] | None
    _train_x: np.ndarray
    _train_y: np.ndarray
    _rng: np.random.Generator

    def inputs(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _restart(self) -> None:
        self.epoch, self._steps, self.history = 0, 0, []
        self._order, self.running, self.halt = None, False, None
        self._best: tuple[float, int, list[np.ndarray]] | None = None
        self._initial: list[np.ndarray] = []
        self._reference_loss: float | None = None  # the loss of the initial weights
        # The batch order is drawn from the link's seeds, as the data and the weights are, so
        # that the same link (and the same clicks) gives the same run.
        seeds = [self.settings["seed"], self.settings["init_seed"]]
        self._batch_rng = np.random.default_rng(seeds)

    def initial_weights(self) -> list[np.ndarray]:
        """Weight and bias of each Linear layer at the start of this run (what reset restores)."""
        return [value.copy() for value in self._initial]

    def training_labels(self) -> np.ndarray:
        """The targets of the training points."""
        return self._train_y

    def _build_loss(self) -> None:
        weights = None
        if self.settings["class_weights"] and self.points.task != "regression":
            weights = class_weights(self._train_y, self.points.n_classes)
        self.criterion = build_criterion(
            self.points.task, self.settings["loss"], self.points.n_classes, weights
        )

    def _build_optimizer(self, fresh: bool) -> None:
        if fresh:
            self.optimizer = build_optimizer(self.model, self.settings)
        self.scheduler = build_scheduler(self.optimizer, self.settings, self.epoch)

    def _params(self, linear_only: bool) -> list[Any]:
        if linear_only:  # the weights and biases, whatever batch normalisation is doing
            return [p for layer in linear_layers(self.model) for p in (layer.weight, layer.bias)]
        return list(self.model.parameters())

    def _snapshot(self, linear_only: bool = False) -> list[np.ndarray]:
        return [p.detach().numpy().copy() for p in self._params(linear_only)]

    def _restore(self, values: list[np.ndarray], linear_only: bool = False) -> None:
        with nerve.no_grad():
            for param, value in zip(self._params(linear_only), values):
                param.copy_(nerve.from_numpy(value.copy()))

    def train(self, budget_s: float, epochs: int | None = None) -> int:
        """Train for about ``budget_s`` seconds (at least one batch) or ``epochs`` full epochs.

        Stops early, with ``self.halt`` set, when training diverges, early stopping fires or
        the epoch limit is reached. Returns the number of epochs completed.
        """
        with one_blas_thread():
            return self._train(budget_s, epochs)

    def _train(self, budget_s: float, epochs: int | None) -> int:
        deadline = time.perf_counter() + budget_s
        completed = 0
        while self.halt is None:
            self._train_batch()
            if self.halt is None and self._order is not None and self._pos >= len(self._order):
                self._end_epoch()
                completed += 1
                if epochs is not None and completed >= epochs:
                    break
            if time.perf_counter() >= deadline:
                break
        if self.halt is not None:
            self.running = False
        return completed

    def _train_batch(self) -> None:
        if self._order is None or self._pos >= len(self._order):
            if self._steps == 0 and self.epoch == 0:
                self._initial = self._snapshot(linear_only=True)
            self._order, self._pos = self._batch_rng.permutation(len(self._train_y)), 0
            self._epoch_loss = [0.0, 0]
        idx = self._order[self._pos : self._pos + self.settings["batch_size"]]
        self._pos += len(idx)
        if len(idx) < 2 and self.settings["batch_norm"]:
            return  # batch normalisation cannot normalise a single sample
        self.model.train()
        kind, rate = self.settings["regularization"], self.settings["reg_rate"]
        loss, _ = train_step(
            self.model,
            self.criterion,
            self.optimizer,
            nerve.from_numpy(self._train_x[idx]),
            target_tensor(self._train_y[idx], self.points.task),
            l1=rate if kind == "l1" else 0.0,
            l2=rate if kind == "l2" else 0.0,
        )
        self._steps += 1
        value = float(loss.item())
        if self._reference_loss is None:
            self._reference_loss = value  # computed before the first step: the initial weights
        self._epoch_loss[0] += value * len(idx)
        self._epoch_loss[1] += len(idx)
        if not math.isfinite(value):
            self._diverged("the loss became NaN (not a number)")
        elif value > EXPLODED_LOSS:
            self._diverged(f"the loss exploded to {value:.3g}")

    def _end_epoch(self) -> None:
        self.epoch += 1
        if self.scheduler is not None:
            self.scheduler.step(self.epoch)
        biggest = max(float(np.abs(p).max()) for p in self._snapshot())
        mean_loss = self._epoch_loss[0] / max(self._epoch_loss[1], 1)
        ref = self._reference_loss
        if not math.isfinite(biggest):
            self._diverged("its weights are no longer numbers (NaN or infinity)")
            return
        if biggest > EXPLODED_WEIGHT:
            self._diverged(f"the weights exploded (largest |w| = {biggest:.3g})")
            return
        if ref is not None and mean_loss > LOSS_GROWTH * ref + 0.1:
            self._diverged(
                f"the loss grew to {mean_loss:.3g}, from {ref:.3g} with the initial weights"
            )
            return
        if self.settings["early_stopping"]:
            self._check_early_stopping()
        limit = self.settings["max_epochs"]
        if self.halt is None and limit and self.epoch >= limit:
            self.halt = {"kind": "max_epochs", "message": f"Reached the limit of {limit} epochs."}

    def _diverged(self, what: str) -> None:
        """Stop with a message that says what happened, its likely cause and what to try."""
        s = self.settings
        outlier = self._outlier()
        if outlier is not None:
            advice = (
                f"a training point lies far from the others ({outlier}): one absurd point can "
                "blow up the gradients at any learning rate; remove it (shift-click on it) or "
                "fix the data"
            )
            if not s["normalize"]:
                advice += ", or normalize the inputs"
        else:
            others = [] if s["optimizer"] == "adam" else ["Adam"]
            if not s["normalize"]:
                others.append("normalization")
            extra = f" (or {', or '.join(others)})" if others else ""
            advice = (
                f"the learning rate {s['lr']:g} is too large for this network: try "
                f"{s['lr'] / 10:g} or smaller{extra}"
            )
        self.halt = {
            "kind": "diverged",
            "cause": what,
            "advice": advice,
            "message": f"Training diverged at epoch {self.epoch}: {what}. "
            f"{advice[0].upper()}{advice[1:]}, then press reset.",
        }

    def _outlier(self) -> str | None:
        """The training point farthest from the rest, described, if it is an outlier."""
        train = self.points.indices(TRAIN)
        columns = [self.points.X[train, 0], self.points.X[train, 1]]
        names = ["x1", "x2"]
        if self.points.task == "regression":
            columns.append(np.asarray(self.points.y[train], dtype=np.float64))
            names.append("target")
        worst, where = 0.0, (0, 0)
        for c, values in enumerate(columns):
            if values.size < 5:
                return None
            med = np.median(values)
            mad = 1.4826 * np.median(np.abs(values - med))
            spread = max(mad, 1e-6 * max(1.0, abs(float(med))))
            score = np.abs(values - med) / spread
            i = int(np.argmax(score))
            if score[i] > worst:
                worst, where = float(score[i]), (i, c)
        if worst < OUTLIER_MADS:
            return None
        i, c = where
        point = self.points.X[train[i]]
        return (
            f"x1={point[0]:.3g}, x2={point[1]:.3g}"
            + (f", target={columns[2][i]:.3g}" if len(columns) == 3 else "")
            + f"; its {names[c]} is {worst:.0f} deviations from the median"
        )

    def _check_early_stopping(self) -> None:
        part = VAL if (self.points.part == VAL).any() else TEST
        idx = self.points.indices(part)
        if idx.size == 0:
            return
        value = self._loss_on(self.inputs(self.points.X[idx]), self.points.y[idx])
        if self._best is None or value < self._best[0]:
            self._best = (value, self.epoch, self._snapshot())
            return
        best_loss, best_epoch, best_weights = self._best
        if self.epoch - best_epoch >= self.settings["patience"]:
            self._restore(best_weights)
            name = "validation" if part == VAL else "test"
            self.halt = {
                "kind": "early_stop",
                "message": (
                    f"Early stopping: the {name} loss has not improved for "
                    f"{self.settings['patience']} epochs; the weights of epoch {best_epoch} "
                    f"(loss {best_loss:.4f}) were restored."
                ),
            }

    def _loss_on(self, inputs: np.ndarray, y: np.ndarray) -> float:
        was_training = self.model.training
        self.model.eval()
        try:
            with nerve.no_grad():
                out = self.model(nerve.from_numpy(inputs))
                return float(self.criterion(out, target_tensor(y, self.points.task)).item())
        finally:
            self.model.train(was_training)

    # ------------------------------------------------------------------ what the page sees
