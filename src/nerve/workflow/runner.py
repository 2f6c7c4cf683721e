"""One training run, following the lecture's four steps, from a :class:`RunConfig` to a run
directory.

01. **Process the data** -- load it, split it (stratified for classes), fit the scaler on the
    training split only, and report class imbalance.
02. **Define the model** -- a fully connected network from ``[model]``.
03. **What to optimize** -- the loss for the task, the optimizer, the schedule, the
    regularisation; then train.
04. **Evaluate** -- metrics on train, validation and test beside a baseline (majority class or
    training mean), with the warnings an honest evaluation needs.

:func:`run`'s docstring shows a run from config to run directory, as a tested example.

The run is staged in a hidden directory beside its final place, created before training (so
an unwritable destination fails at once) and holding a checkpoint after every epoch, from
which :func:`resume_run` continues a killed run; see :mod:`~nerve.workflow.staging`.
"""

from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np

import nerve
from nerve import nn

from .callbacks import Callback, EarlyStopping
from .checkpoint import Checkpointer, ResumableTrainer, load_checkpoint
from .cnnmodel import CnnSpec
from .config import RunConfig, data_kind, load_config
from .csvschema import CsvSchema
from .data import ArrayData
from .errors import ConfigError, DataError
from .images import ImageData
from .metrics import (
    main_metric,
)
from .model import ModelSpec, build_loss, build_model, output_size, resolve_loss
from .optimize import build_optimizer, build_scheduler, describe_optimizer
from .preprocess import class_weights, imbalance_report
from .rundata import evaluate_saved, evaluate_splits, load_data, metrics_table, split_data
from .rundir import check_destination
from .runsave import (
    DivergenceGuard,
    TrainingDiverged,
    diverged_advice,
    model_is_finite,
    write_plots,
    write_run,
)
from .staging import OutputError, Staging, find_partial, remove_stale, write_atomic
from .trainer import History, Trainer

__all__ = [
    "RunResult",
    "load_data",
    "split_data",
    "run",
    "resume_run",
    "metrics_table",
    "evaluate_saved",
    "TrainingDiverged",
]


@dataclass
class RunResult:
    """What :func:`run` produced: the run directory and the objects behind it.

    Example:
        >>> import io, tempfile
        >>> from nerve.workflow import RunConfig, run
        >>> cfg = RunConfig().override({"training.epochs": "2", "training.batch_size": "16",
        ...     "output.plots": "false", "output.root": tempfile.mkdtemp()})
        >>> result = run(cfg, quiet=True, out=io.StringIO())
        >>> result.history
        History(2 epochs: train_loss, train_accuracy, val_loss, val_accuracy, lr, time)
        >>> result.metrics["main_metric"], result.run_dir.name
        ('accuracy', 'xor-0001')
    """

    run_dir: Path
    config: RunConfig
    history: History
    metrics: dict[str, Any]
    trainer: Trainer


def _say(out: TextIO | None, text: str = "") -> None:
    if out is not None:
        print(text, file=out, flush=True)


@dataclass
class _Context:
    """What every step of one run needs: the config, where to report, who writes."""

    cfg: RunConfig
    say: TextIO | None
    comm: Any
    staging: Staging | None  # rank 0's staging directory (None on the other ranks)
    resume: dict[str, Any] | None = None

    @property
    def main(self) -> bool:
        return self.comm is None or self.comm.Get_rank() == 0


def run(
    cfg: RunConfig,
    *,
    overwrite: bool = False,
    quiet: bool = False,
    progress: bool = True,
    out: TextIO | None = None,
    callbacks: list[Callback] | None = None,
) -> RunResult:
    """Train and evaluate as ``cfg`` says and write the run directory (see the module doc).

    ``out`` receives the step-by-step report (default stdout; nothing with ``quiet``), the
    progress bar shows when ``progress`` and stdout is a terminal. The run directory is staged
    (and its place checked) before training; a checkpoint after each epoch lets
    :func:`resume_run` continue a run that was killed.

    Inside an initialized :mod:`nerve.distributed` group of R > 1 ranks every rank calls
    ``run`` with the same config and trains data-parallel (see :class:`Trainer`); only rank 0
    reports, plots and writes the run directory (the other ranks never create it), and every
    rank's result names rank 0's run directory. Data-parallel runs write no checkpoints.

    Example:
        >>> import io, tempfile
        >>> from nerve.workflow import RunConfig, run
        >>> cfg = RunConfig().override({"training.epochs": "2", "training.batch_size": "16",
        ...     "output.plots": "false", "output.root": tempfile.mkdtemp()})
        >>> result = run(cfg, quiet=True, out=io.StringIO())  # quiet: only its path, to out
        >>> sorted(p.name for p in result.run_dir.iterdir())
        ['config.toml', 'history.csv', 'metrics.json', 'model.safetensors']
    """
    cfg.validate()
    comm = _group()
    if comm is not None and cfg.training.batch_size < comm.Get_size():
        world = comm.Get_size()
        raise ConfigError(
            f"training.batch_size {cfg.training.batch_size} is the global batch, split across "
            f"the {world} ranks: it must be at least {world} (e.g. --batch-size {8 * world})"
        )
    main = comm is None or comm.Get_rank() == 0
    say = None if quiet or not main else (out or sys.stdout)
    source = Path(cfg.data.source)
    if (data_kind(cfg.data.source) == "csv" and source.is_file()) or source.is_dir():
        # config.toml must find the file again from wherever it is read: store it absolute.
        cfg = cfg.override({"data.source": str(Path(cfg.data.source).resolve())})
    staging = _stage(cfg, overwrite, say) if main else None
    ctx = _Context(cfg, say, comm, staging)
    return _guarded(ctx, progress and not quiet and main, callbacks or [], quiet, out)


def resume_run(
    path: str | os.PathLike[str],
    *,
    quiet: bool = False,
    progress: bool = True,
    out: TextIO | None = None,
    callbacks: list[Callback] | None = None,
) -> RunResult:
    """Continue a killed run from its last checkpoint (``nerve train --resume PATH``): PATH is
    its staging directory, or the ``--out`` directory it was started with. The run ends with
    the weights an uninterrupted run would have had.

    Example:
        >>> import io, tempfile
        >>> from nerve.workflow import RunConfig, run
        >>> cfg = RunConfig().override({"training.epochs": "2", "training.batch_size": "16",
        ...     "output.plots": "false", "output.root": tempfile.mkdtemp()})
        >>> from nerve.workflow import LambdaCallback, resume_run
        >>> def kill(trainer, epoch, logs):  # the machine goes down in epoch 2
        ...     if epoch == 2:
        ...         raise KeyboardInterrupt
        >>> out = io.StringIO()
        >>> try:
        ...     run(cfg.override({"output.dir": cfg.output.root + "/xor"}), out=out,
        ...         callbacks=[LambdaCallback(on_epoch_end=kill)])
        ... except KeyboardInterrupt:
        ...     print(out.getvalue().splitlines()[-1].split()[:2])
        ['resume', 'with:']
        >>> resume_run(cfg.output.root + "/xor", quiet=True, out=io.StringIO()).history
        History(2 epochs: train_loss, train_accuracy, val_loss, val_accuracy, lr, time)
    """
    if _group() is not None:
        raise ConfigError("--resume continues a single-process run; start it without mpirun")
    staging = Staging.reopen(find_partial(Path(path)))
    try:
        if not staging.checkpoint.is_file():
            raise DataError(f"'{staging.path}' holds no checkpoint yet; start the run again")
        cfg = load_config(staging.path / "config.toml")
        state = load_checkpoint(staging.checkpoint)
    except BaseException:
        staging.release()
        raise
    say = None if quiet else (out or sys.stdout)
    _say(say, f"resuming {staging.path} after epoch {state['epoch']} of {cfg.training.epochs}")
    ctx = _Context(cfg, say, None, staging, state)
    return _guarded(ctx, progress and not quiet, callbacks or [], quiet, out)


def _stage(cfg: RunConfig, overwrite: bool, say: TextIO | None) -> Staging:
    """Check the destination and create the staging directory, before any costly step."""
    o = cfg.output
    target = Path(o.dir) if o.dir else None
    if target is not None:
        check_destination(target, overwrite)
    staging = Staging.create(target, Path(o.root), Path(cfg.data.source).stem)
    try:
        write_atomic(staging.path / "config.toml", cfg.to_toml())
    except OSError as err:
        staging.discard()
        raise OutputError(f"cannot write to '{staging.path.parent}': {err.strerror}") from None
    for left in remove_stale(staging.path.parent):
        _say(say, f"note: an interrupted run can be resumed: nerve train --resume {left}")
    return staging


def _guarded(
    ctx: _Context, progress: bool, callbacks: list[Callback], quiet: bool, out: TextIO | None
) -> RunResult:
    """Run the four steps; on failure remove the staging directory -- unless it holds a
    checkpoint worth resuming (interrupted, or the disk filled up while saving)."""
    try:
        result = _steps(ctx, progress, callbacks)
    except BaseException as err:
        if ctx.staging is not None:
            keep = ctx.resume is not None or isinstance(err, (KeyboardInterrupt, OutputError))
            if keep and ctx.staging.checkpoint.is_file():
                ctx.staging.release()
                _say(ctx.say, f"resume with: nerve train --resume {ctx.staging.path}")
            else:
                ctx.staging.discard()
        raise
    if quiet:
        print(result.run_dir, file=out or sys.stdout)
    else:
        _say(ctx.say, f"run saved to {result.run_dir}")
    return result


def _steps(ctx: _Context, progress: bool, callbacks: list[Callback]) -> RunResult:
    cfg, say = ctx.cfg, ctx.say
    # 01 -- process the data
    data, schema = load_data(cfg)
    idx, scaler, parts = split_data(cfg, data)
    sizes = " / ".join(f"{len(i)} {name}" for name, i in idx.items())
    strat = " (stratified)" if cfg.preprocess.stratify and data.task != "regression" else ""
    _say(say, f"01 process data: {data.describe()}")
    per = " (per channel)" if isinstance(data, ImageData) else ""
    _say(say, f"   split {sizes}{strat}; {cfg.preprocess.scaler} scaler{per} fitted on train")
    y_train = parts["train"].y
    if data.task != "regression":
        _say(say, "   " + imbalance_report(y_train, data.class_names).replace("\n", "\n   "))

    # 02 -- define the model
    nerve.manual_seed(cfg.training.seed)  # the initial weights
    spec, model = _model(cfg, data)
    n_params = sum(p.numel() for p in model.parameters())
    _say(say, f"02 define the model: {spec.describe(data.task)} ({n_params} parameters)")

    # 03 -- what to optimize
    trainer, guard = _trainer(ctx, data, model, spec, y_train, callbacks, progress)
    history, elapsed = _fit(ctx, trainer, parts)
    diverged = bool(guard.epoch) or not model_is_finite(trainer)

    # 04 -- evaluate, beside the baseline
    if diverged:
        metrics: dict[str, Any] = {"task": data.task, "diverged": True, "baseline": {}}
        metrics["warnings"] = [diverged_advice(cfg, guard.epoch, guard.loss)]
    else:
        metrics = evaluate_splits(trainer, parts, data, y_train)
    metrics["training"] = {"epochs": len(history), "seconds": elapsed}
    metrics["training"]["stop_reason"] = trainer.stop_reason
    if ctx.comm is not None:
        metrics["training"]["world_size"] = ctx.comm.Get_size()
    if not diverged:
        _say(say, "04 evaluate:")
        _say(say, metrics_table(metrics))
        for warning in metrics["warnings"]:
            _say(say, f"warning: {warning}")
        for note in metrics.get("notes", []):
            _say(say, f"note: {note}")
    run_dir = _save(ctx, history, metrics, trainer, spec, scaler, data, parts, schema, diverged)
    if diverged:
        raise TrainingDiverged(f"{metrics['warnings'][0]}; history and plots kept in {run_dir}")
    return RunResult(run_dir, cfg, history, metrics, trainer)


def _fit(ctx: _Context, trainer: Trainer, parts: dict[str, ArrayData]) -> tuple[History, float]:
    cfg = ctx.cfg
    batch = f"batch size {cfg.training.batch_size}"
    if ctx.comm is not None:
        world = ctx.comm.Get_size()
        batch += f" ({world} ranks, about {cfg.training.batch_size // world} samples each)"
    _say(
        ctx.say,
        f"03 optimize: {type(trainer.loss_fn).__name__}, {describe_optimizer(cfg)}, "
        f"{cfg.training.epochs} epochs, {batch}",
    )
    start = time.perf_counter()
    # A diverging run overflows on every op; DivergenceGuard reports it once, clearly.
    with np.errstate(over="ignore", invalid="ignore"):
        history = trainer.fit(parts["train"], parts.get("validation"))
    elapsed = time.perf_counter() - start
    stopped = f" ({trainer.stop_reason})" if trainer.stop_reason else ""
    _say(ctx.say, f"   trained {len(history)} epochs in {elapsed:.1f} s{stopped}")
    return history, elapsed


def _save(
    ctx: _Context,
    history: History,
    metrics: dict[str, Any],
    trainer: Trainer,
    spec: ModelSpec,
    scaler: Any,
    data: ArrayData,
    parts: dict[str, ArrayData],
    schema: CsvSchema | None,
    diverged: bool,
) -> Path:
    """Write the run into the staging directory and move it into place (rank 0), then tell
    every rank where it went."""
    run_dir = None
    if ctx.staging is not None:
        folder = ctx.staging.path
        y_train = parts["train"].y
        try:
            write_run(
                folder, ctx.cfg, history, metrics, trainer, spec, scaler, data, y_train, schema
            )
            if ctx.cfg.output.plots:
                (folder / "plots").mkdir(exist_ok=True)
                write_plots(folder / "plots", history, trainer, scaler, data, parts, diverged)
        except OSError as err:
            raise OutputError(f"cannot write the run directory: {err.strerror or err}") from None
        run_dir = ctx.staging.commit()
    if ctx.comm is not None:
        # The other ranks wait here for rank 0's directory (if rank 0 fails to write it, the
        # CLI aborts the whole job).
        run_dir = Path(ctx.comm.bcast(str(run_dir) if ctx.main else None, root=0))
    assert run_dir is not None
    return run_dir


def _group() -> Any:
    """nerve.distributed's communicator when a group of R > 1 ranks is initialized, else None."""
    from nerve import distributed as dist

    if not dist.is_initialized() or dist.get_world_size() < 2:
        return None
    return dist.process_group.communicator()


def _model(cfg: RunConfig, data: ArrayData) -> tuple[ModelSpec | CnnSpec, nn.Module]:
    m = cfg.model
    try:
        loss = resolve_loss(data.task, None if m.loss == "auto" else m.loss)
    except DataError as err:
        raise ConfigError(f"model.loss: {err}") from err
    spec: ModelSpec | CnnSpec
    try:
        if m.type == "cnn":
            if not isinstance(data, ImageData):
                raise DataError(f"a CNN needs images; {data.name} is rows of features")
            act = m.activation if isinstance(m.activation, str) else m.activation[0]
            spec = CnnSpec(
                input_shape=list(data.image_shape),
                channels=list(m.channels),
                kernel=list(m.kernel),
                stride=list(m.stride),
                pool=list(m.pool),
                batch_norm=m.batch_norm,
                conv_dropout=m.conv_dropout,
                hidden=list(m.hidden),
                activation=act,
                dropout=m.dropout,
                augment=cfg.augmentations(),
                output_size=output_size(data.task, data.n_classes, loss),
                loss=loss,
            )
            return spec, build_model(spec, data.task)  # type: ignore[arg-type]
        spec = ModelSpec(
            input_size=data.n_features,
            hidden=list(m.hidden),
            output_size=output_size(data.task, data.n_classes, loss),
            activation=m.activation,
            dropout=m.dropout,
            batch_norm=m.batch_norm,
            loss=loss,
        )
        return spec, build_model(spec, data.task)
    except DataError as err:
        raise ConfigError(f"model: {err}") from err


def _trainer(
    ctx: _Context,
    data: ArrayData,
    model: nn.Module,
    spec: ModelSpec,
    y_train: np.ndarray,
    extra: list[Callback],
    progress: bool,
) -> tuple[Trainer, DivergenceGuard]:
    """The Trainer for ``cfg``, with early stopping, the divergence guard and (on a single
    process) the checkpoint after each epoch, last so that it records the others' state."""
    cfg = ctx.cfg
    t, r, imbalance = cfg.training, cfg.regularization, cfg.preprocess.imbalance
    if imbalance != "none" and data.task == "regression":
        raise ConfigError("preprocess.imbalance applies to classification, not to regression data")
    weights = class_weights(y_train, data.n_classes) if imbalance == "class_weights" else None
    try:
        loss_fn = build_loss(data.task, spec.loss, weights)
    except DataError as err:
        raise ConfigError(f"preprocess.imbalance: {err}") from err
    metric = main_metric(data.task)
    if t.early_stopping and not t.monitor.endswith(("_loss", f"_{metric}")):
        raise ConfigError(
            f"training.monitor {t.monitor!r} is not logged for a {data.task} task; use "
            f"val_loss, train_loss, val_{metric} or train_{metric}"
        )
    if t.device == "cuda" and not nerve.cuda.is_available():
        raise ConfigError("training.device is 'cuda' but no GPU is available (CuPy missing?)")
    guard = DivergenceGuard()
    callbacks: list[Callback] = [guard, *extra]
    if t.early_stopping:
        callbacks.insert(
            0, EarlyStopping(t.monitor, "auto", t.early_stopping, t.min_delta, t.restore_best)
        )
    if ctx.staging is not None and ctx.comm is None:
        callbacks.append(Checkpointer(ctx.staging.checkpoint, ctx.resume))
    optimizer = build_optimizer(cfg, model.parameters())
    steps = math.ceil(len(y_train) / t.batch_size)
    trainer = ResumableTrainer(
        model,
        loss_fn,
        optimizer,
        build_scheduler(cfg, optimizer, steps),
        epochs=t.epochs,
        batch_size=t.batch_size,
        l1=r.l1,
        l2=r.l2,
        grad_clip=r.grad_clip or None,
        callbacks=callbacks,
        seed=t.seed,
        progress=progress,
        device=None if t.device == "cpu" else t.device,
        weighted_sampling=imbalance == "sampler",
        resume=ctx.resume,
    )
    return trainer, guard
