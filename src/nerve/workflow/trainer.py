"""The lecture's general training structure, packaged: data loader, model, optimizer, loss.

:class:`Trainer` runs exactly the loop the lecture writes out::

    for datapoint, y in data_loader:
        optimizer.zero_grad()
        prediction = model(datapoint)
        loss = loss_function(prediction, y)
        loss.backward()
        optimizer.step()

around it: epochs, validation after each epoch, a history of losses and metrics, learning-rate
schedules, L1/L2 penalties and gradient clipping, class-balanced sampling, callbacks (early
stopping, checkpoints) and a progress bar. It uses only the public API of ``nerve.nn``,
``nerve.optim`` and ``nerve.utils.data``, as a user script would, and consumes
:class:`~nerve.workflow.ArrayData`.

The loop's body, one mini-batch's step with its penalty, is :func:`~nerve.workflow.step.train_step`
(the playground takes the same step). When :mod:`nerve.distributed` is initialized with more
than one rank (``mpirun -n R nerve train``), :meth:`Trainer.fit` trains data-parallel, each rank
on its share of every batch (:mod:`nerve.workflow.dataparallel`); only rank 0 draws the
progress bar.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

import nerve
from nerve import nn
from nerve.optim import lr_scheduler
from nerve.utils.data import DataLoader, TensorDataset, WeightedRandomSampler

from .callbacks import Callback
from .data import ArrayData
from .dataparallel import fit_data_parallel, group, rank, reduce_epoch
from .errors import DataError, check_int
from .evaluation import evaluate_model, headline_metric
from .history import History
from .metrics import main_metric
from .model import head_of, predict_labels, predict_proba, target_tensor
from .preprocess import sample_weights
from .step import penalized_weights, train_step

__all__ = ["History", "Trainer", "evaluate_model"]


class Trainer:
    """Train ``model`` on :class:`ArrayData` with ``loss_fn`` and ``optimizer``.

    Args:
        model: any ``nn.Module`` mapping ``(batch, features)`` to the loss's input.
        loss_fn: e.g. ``nn.BCELoss()``; its type also tells how outputs become probabilities.
        optimizer: an optimizer over ``model.parameters()``.
        scheduler: an ``lr_scheduler``: stepped per batch for ``OneCycleLR``, with the
            validation (else training) loss for ``ReduceLROnPlateau``, else once per epoch.
        epochs: passes over the training data.
        batch_size: samples per optimizer step (1: the lecture's "for every datapoint").
        l1: coefficient of an L1 penalty ``l1 * sum|w|`` over the weight matrices, added to
            the training loss (drives weights to exactly zero).
        l2: coefficient of an L2 penalty ``l2 / 2 * sum w**2`` added to the loss; weight decay
            proper is the optimizer's ``weight_decay``.
        grad_clip: clip the gradients' joint norm to this value before each step (None: off).
        callbacks: :class:`Callback` objects, called in order.
        seed: seeds nerve's generator (dropout) and the shuffling; same seed, same history.
        progress: show a progress bar over the epochs, when stdout is a terminal.
        device: move the model and each batch there (e.g. ``"cuda"``); None leaves them.
        weighted_sampling: draw training samples with a ``WeightedRandomSampler`` so that every
            class is drawn equally often (a remedy for class imbalance).

    Example:
        >>> from nerve.workflow import make_toy
        >>> data = make_toy("gaussian", n_samples=64, seed=0)
        >>> model = nn.Sequential(nn.Linear(2, 1), nn.Sigmoid())
        >>> opt = nerve.optim.SGD(model.parameters(), lr=0.1)
        >>> trainer = Trainer(model, nn.BCELoss(), opt, epochs=3, batch_size=8, progress=False)
        >>> len(trainer.fit(data)["train_loss"])
        3
        >>> trainer.predict(data.X[:2]).shape
        (2,)
    """

    def __init__(
        self,
        model: nn.Module,
        loss_fn: nn.Module,
        optimizer: nerve.optim.Optimizer,
        scheduler: Any = None,
        *,
        epochs: int = 10,
        batch_size: int = 32,
        l1: float = 0.0,
        l2: float = 0.0,
        grad_clip: float | None = None,
        callbacks: Iterable[Callback] = (),
        seed: int | None = None,
        progress: bool = True,
        device: Any = None,
        weighted_sampling: bool = False,
    ) -> None:
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self.scheduler = scheduler
        self.epochs = check_int("epochs", epochs, minimum=1)
        self.batch_size = check_int("batch_size", batch_size, minimum=1)
        for name, value in (("l1", l1), ("l2", l2)):
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
                raise DataError(f"{name} must be a number >= 0, got {value!r}")
        self.l1, self.l2 = float(l1), float(l2)
        if grad_clip is not None and not (isinstance(grad_clip, (int, float)) and grad_clip > 0):
            raise DataError(f"grad_clip must be a number > 0 or None, got {grad_clip!r}")
        self.grad_clip = None if grad_clip is None else float(grad_clip)
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise DataError(f"callbacks must be Callback objects, got {type(cb).__name__}")
        self.seed = None if seed is None else check_int("seed", seed, minimum=0)
        self.progress, self.device = bool(progress), device
        self.weighted_sampling = bool(weighted_sampling)
        self.history = History()
        self.task: str | None = None
        self.stop_training, self.stop_reason = False, ""
        self._ddp: Any = None  # the DistributedDataParallel wrapper while fit() runs on R > 1
        if device is not None:
            self.model.to(device)

    # ---------------------------------------------------------------------------- training

    def stop(self, reason: str = "stopped by a callback") -> None:
        """Ask training to stop after the current epoch (for callbacks)."""
        self.stop_training, self.stop_reason = True, reason

    def fit(self, train_data: ArrayData, val_data: ArrayData | None = None) -> History:
        """Train for ``epochs`` epochs (fewer if a callback stops it) and return the history."""
        self._check_data(train_data, "train_data")
        self.task = train_data.task
        if val_data is not None:
            self._check_data(val_data, "val_data")
            if val_data.n_samples == 0:
                val_data = None
        self.head = head_of(self.loss_fn, self.task)
        metric = main_metric(self.task)
        comm = group()
        if comm is not None:
            return fit_data_parallel(self, comm, train_data, val_data, metric)
        if self.seed is not None:
            nerve.manual_seed(self.seed)  # dropout masks come from the global generator
        loader = self._loader(train_data)
        self.history, self.stop_training, self.stop_reason = History(), False, ""

        self._call("on_train_begin", {})
        # One bar over the epochs; over the batches when there is a single epoch.
        bar = self._bar(len(loader) if self.epochs == 1 else self.epochs)
        self._epochs(
            lambda bar: self._train_epoch(_unscaled(loader), metric, bar), val_data, metric, bar
        )
        self._call("on_train_end", {"stop_reason": self.stop_reason})
        self.model.eval()
        return self.history

    def _epochs(
        self,
        train_epoch: Callable[[Any], dict[str, float]],
        val_data: ArrayData | None,
        metric: str,
        bar: Any,
        comm: Any = None,
    ) -> None:
        """The epoch loop of fit(), in one process or on every rank of ``comm``: there the
        logged row and the stop decision come from rank 0, so every rank agrees."""
        try:
            for epoch in range(1, self.epochs + 1):
                start = time.perf_counter()
                self._call("on_epoch_begin", epoch, {})
                row = train_epoch(bar if self.epochs == 1 else None)
                if val_data is not None:  # every rank evaluates the whole split: cheap
                    val = self.evaluate(val_data, metrics=False)
                    row["val_loss"], row[f"val_{metric}"] = val["loss"], val[metric]
                row["lr"] = float(self.optimizer.param_groups[0]["lr"])  # the lr of this epoch
                if comm is not None:
                    row = comm.bcast(row, root=0)  # identical numbers, identical decisions
                self._step_scheduler(row)
                elapsed = time.perf_counter() - start
                row["time"] = elapsed if comm is None else comm.bcast(elapsed, root=0)
                self.history.append(row)
                self._call("on_epoch_end", epoch, dict(row))
                if bar is not None:
                    bar.set_postfix_str(_postfix(row, self.scheduler is not None), refresh=False)
                    bar.update(1 if self.epochs > 1 else 0)
                if comm is not None:
                    self.stop_training, self.stop_reason = comm.bcast(
                        (self.stop_training, self.stop_reason), root=0
                    )
                if self.stop_training:
                    break
        finally:
            if bar is not None:
                bar.close()

    def _train_epoch(
        self,
        batches: Iterable[tuple[Any, Any, float]],
        metric: str,
        bar: Any,
        comm: Any = None,
    ) -> dict[str, float]:
        """One pass of the lecture's loop over ``(x, y, loss scale)`` batches; returns the
        epoch's training loss and metric (summed over all ranks of ``comm``, if given)."""
        model = self.model if self._ddp is None else self._ddp
        model.train()
        weights = penalized_weights(self.model)  # no penalty on biases
        total, count, outputs, targets = 0.0, 0, [], []
        for batch, (xb, yb, scale) in enumerate(batches):
            if self.device is not None:
                xb, yb = xb.to(self.device), yb.to(self.device)
            # DDP averages the R gradients; weighting by the share's size (scale) makes that
            # the gradient of the global batch's mean loss when the shares differ in size.
            loss, out = train_step(
                model,
                self.loss_fn,
                self.optimizer,
                xb,
                yb,
                weights=weights,
                l1=self.l1,
                l2=self.l2,
                grad_clip=self.grad_clip,
                loss_scale=scale,
            )
            if isinstance(self.scheduler, lr_scheduler.OneCycleLR):
                self.scheduler.step()  # the 1cycle policy is defined per batch
            # Log the data loss without the penalty, so that training and validation losses
            # stay comparable; the metric comes from the same outputs (no extra pass).
            value, size = loss.item(), len(xb)
            total, count = total + value * size, count + size
            outputs.append(out.detach().cpu().numpy())
            targets.append(yb.cpu().numpy())
            self._call("on_batch_end", batch, {"loss": value, "size": size})
            if bar is not None:
                bar.update(1)
        if comm is not None:
            return reduce_epoch(total, count, outputs, targets, self.task, self.head, metric)
        if count == 0:
            raise DataError("the training data gave no batches; it needs at least one sample")
        score = headline_metric(
            np.concatenate(outputs), np.concatenate(targets), self.task, self.head
        )
        return {"train_loss": total / count, f"train_{metric}": score}

    def _check_data(self, data: ArrayData, name: str) -> None:
        if not isinstance(data, ArrayData):
            raise DataError(f"{name} must be an ArrayData, got {type(data).__name__}")
        if name == "val_data" and data.task != self.task:
            raise DataError(f"{name} is a {data.task} task, but training data is {self.task}")

    def _loader(self, data: ArrayData, seed: int | None = None) -> DataLoader:
        head = head_of(self.loss_fn, data.task)
        dataset = TensorDataset(nerve.from_numpy(data.X), target_tensor(data.y, head))
        seed = self.seed if seed is None else seed
        generator = None if seed is None else nerve.Generator().manual_seed(seed)
        # BatchNorm cannot normalise a batch of one sample in training mode: drop such a
        # trailing batch rather than fail at the end of the first epoch.
        has_bn = any(isinstance(m, nn.BatchNorm1d) for m in self.model.modules())
        if has_bn and self.batch_size == 1:
            raise DataError("batch_size 1 cannot train a model with batch normalisation; use >= 2")
        drop_last = has_bn and len(data) % self.batch_size == 1
        sampler = None
        if self.weighted_sampling:
            if data.task == "regression":
                raise DataError("weighted sampling balances classes; it needs classification data")
            weights = sample_weights(data.y, data.n_classes)
            sampler = WeightedRandomSampler(weights.tolist(), len(data), generator=generator)
        return DataLoader(
            dataset,
            batch_size=self.batch_size,
            shuffle=sampler is None,
            sampler=sampler,
            drop_last=drop_last,
            generator=generator,
        )

    def _step_scheduler(self, row: dict[str, float]) -> None:
        if self.scheduler is None or isinstance(self.scheduler, lr_scheduler.OneCycleLR):
            return
        if isinstance(self.scheduler, lr_scheduler.ReduceLROnPlateau):
            self.scheduler.step(row.get("val_loss", row["train_loss"]))
        else:
            self.scheduler.step()

    def _call(self, hook: str, *args: Any) -> None:
        for cb in self.callbacks:
            getattr(cb, hook)(self, *args)

    def _bar(self, total: int) -> Any:
        """A tqdm bar on stdout, or None when quiet, when stdout is not a terminal (a pipe, a
        log file, a test) or when tqdm is missing."""
        if not self.progress or not _isatty(sys.stdout) or rank() != 0:
            return None
        try:
            from tqdm import tqdm
        except ImportError:  # the bar is a nicety; train without it
            return None
        unit = "epoch" if self.epochs > 1 else "batch"
        return tqdm(total=total, unit=unit, file=sys.stdout, dynamic_ncols=True)

    # -------------------------------------------------------------------------- evaluation

    def evaluate(self, data: ArrayData, metrics: bool = True) -> dict[str, float]:
        """The loss on ``data`` and, with ``metrics``, the full classification or regression
        report (accuracy, F1, ... or mse, mae, r2), with the model in eval mode."""
        self._check_data(data, "data")
        if self.task is not None and data.task != self.task:
            raise DataError(f"data is a {data.task} task, but the model was trained on {self.task}")
        return evaluate_model(self.model, self.loss_fn, data, metrics=metrics, device=self.device)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities ``(n, k)`` (classification) or values ``(n,)`` (regression)."""
        if self.task is None:
            raise DataError("the trainer does not know the task yet; call fit() first")
        X = np.asarray(X, dtype=np.float32)
        return predict_proba(self.model, X, head_of(self.loss_fn, self.task), self.device)

    def predict(self, X: Any) -> np.ndarray:
        """Predicted class labels (int64) or regression values for the rows of ``X``."""
        out = self.predict_proba(X)
        return out if self.task == "regression" else predict_labels(out)


def _unscaled(loader: DataLoader) -> Iterator[tuple[Any, Any, float]]:
    """A single process's batches in the ``(x, y, loss scale)`` form that ``_train_epoch`` takes."""
    for xb, yb in loader:
        yield xb, yb, 1.0


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # replaced or closed streams
        return False


def _postfix(row: dict[str, float], show_lr: bool) -> str:
    """``loss=0.1234 acc=0.9812 val_loss=...``: short enough to fit beside the bar."""
    short = {
        "train_loss": "loss",
        "train_accuracy": "acc",
        "val_accuracy": "val_acc",
        "train_mse": "mse",
    }
    keys = [k for k in row if k != "time" and (k != "lr" or show_lr)]
    return " ".join(f"{short.get(k, k)}={row[k]:.4g}" for k in keys)
