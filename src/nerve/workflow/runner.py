"""One training run, following the lecture's four steps, from a :class:`RunConfig` to a run
directory.

01. **Process the data** -- load it, split it (stratified for classes), fit the scaler on the
    training split only, and report class imbalance.
02. **Define the model** -- a fully connected network from ``[model]``.
03. **What to optimize** -- the loss for the task, the optimizer, the schedule, the
    regularisation; then train.
04. **Evaluate** -- metrics on train, validation and test beside a baseline (majority class or
    training mean), with the warnings an honest evaluation needs.

Example:
    >>> cfg = RunConfig().override({"training.epochs": "5", "output.root": "/tmp/runs"})
    >>> result = run(cfg, quiet=True)  # doctest: +SKIP
    >>> sorted(p.name for p in result.run_dir.iterdir())  # doctest: +SKIP
    ['config.toml', 'history.csv', 'metrics.json', 'model.safetensors', 'plots']
"""

from __future__ import annotations

import json
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np

import nerve
from nerve import nn

from .callbacks import Callback, EarlyStopping
from .config import RunConfig, data_kind
from .csvschema import CsvSchema
from .data import ArrayData
from .errors import ConfigError, DataError
from .metrics import (
    baseline_warnings,
    confusion_matrix,
    format_metrics_table,
    main_metric,
    majority_baseline,
    mean_baseline,
)
from .model import (
    ModelSpec,
    build_loss,
    build_model,
    output_size,
    predict_labels,
    resolve_loss,
)
from .optimize import build_optimizer, build_scheduler, describe_optimizer
from .plots import plot_confusion_matrix, plot_decision_boundary, plot_history
from .preprocess import class_weights, imbalance_report, make_scaler
from .rundir import SavedRun, check_destination, save_bundle, staged_run_dir
from .split import train_val_test_split
from .tabular import load_csv, load_sklearn
from .toy import make_toy
from .trainer import History, Trainer

__all__ = ["RunResult", "load_data", "split_data", "run", "metrics_table", "evaluate_saved"]

SPLITS = ("train", "validation", "test")


@dataclass
class RunResult:
    """What :func:`run` produced: the run directory and the objects behind it."""

    run_dir: Path
    config: RunConfig
    history: History
    metrics: dict[str, Any]
    trainer: Trainer


def load_data(
    cfg: RunConfig, schema: CsvSchema | None = None
) -> tuple[ArrayData, CsvSchema | None]:
    """Load ``[data]``: a toy set, a scikit-learn set or a CSV file (with its fitted schema;
    pass a saved ``schema`` to encode a CSV exactly as in training)."""
    d = cfg.data
    kind = data_kind(d.source)
    if kind == "toy":
        data = make_toy(d.source, d.n_samples, d.noise, d.seed, d.n_classes, margin=d.margin)
        return data, None
    if kind == "sklearn":
        return load_sklearn(d.source), None
    if schema is not None:
        return load_csv(d.source, d.target, d.task, schema=schema), schema
    return load_csv(d.source, d.target, d.task, return_schema=True)


def split_data(
    cfg: RunConfig, data: ArrayData
) -> tuple[dict[str, np.ndarray], Any, dict[str, ArrayData]]:
    """Split indices, the scaler fitted on the training split only, and the scaled splits
    (empty splits left out)."""
    p = cfg.preprocess
    stratify = p.stratify and data.task != "regression"
    idx = dict(zip(SPLITS, train_val_test_split(data.y, p.val, p.test, stratify, cfg.data.seed)))
    scaler = make_scaler(p.scaler).fit(data.X[idx["train"]])  # never sees validation or test
    scaled = ArrayData(
        scaler.transform(data.X), data.y, data.task, data.name, data.feature_names, data.class_names
    )
    parts = {name: scaled.subset(i) for name, i in idx.items() if len(i)}
    return idx, scaler, parts


def metrics_table(metrics: dict[str, Any]) -> str:
    """The model's metrics per split beside the baseline's (on the last split)."""
    columns = {name: metrics[name] for name in metrics["baseline"]}
    last = list(columns)[-1]
    columns[f"baseline ({last})"] = metrics["baseline"][last]
    return format_metrics_table(columns)


def _say(out: TextIO | None, text: str = "") -> None:
    if out is not None:
        print(text, file=out, flush=True)


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
    progress bar shows when ``progress`` and stdout is a terminal.

    Inside an initialized :mod:`nerve.distributed` group of R > 1 ranks every rank calls
    ``run`` with the same config and trains data-parallel (see :class:`Trainer`); only rank 0
    reports, plots and writes the run directory (the other ranks never create it), and every
    rank's result names rank 0's run directory.
    """
    cfg.validate()
    comm = _group()
    main = comm is None or comm.Get_rank() == 0
    if comm is not None and cfg.training.batch_size < comm.Get_size():
        world = comm.Get_size()
        raise ConfigError(
            f"training.batch_size {cfg.training.batch_size} is the global batch, split across "
            f"the {world} ranks: it must be at least {world} (e.g. --batch-size {8 * world})"
        )
    say = None if quiet or not main else (out or sys.stdout)
    o = cfg.output
    target = Path(o.dir) if o.dir else None
    if target is not None:
        check_destination(target, overwrite)  # fail before training, not after

    # 01 -- process the data
    data, schema = load_data(cfg)
    if schema is not None:
        # config.toml must find the file again from wherever it is read: store it absolute.
        cfg = cfg.override({"data.source": str(Path(cfg.data.source).resolve())})
    idx, scaler, parts = split_data(cfg, data)
    sizes = " / ".join(f"{len(i)} {name}" for name, i in idx.items())
    strat = " (stratified)" if cfg.preprocess.stratify and data.task != "regression" else ""
    _say(say, f"01 process data: {data.describe()}")
    _say(say, f"   split {sizes}{strat}; {cfg.preprocess.scaler} scaler fitted on train")
    y_train = parts["train"].y
    if data.task != "regression":
        _say(say, "   " + imbalance_report(y_train, data.class_names).replace("\n", "\n   "))

    # 02 -- define the model
    nerve.manual_seed(cfg.training.seed)  # the initial weights
    spec, model = _model(cfg, data)
    n_params = sum(p.numel() for p in model.parameters())
    _say(say, f"02 define the model: {spec.describe(data.task)} ({n_params} parameters)")

    # 03 -- what to optimize
    show_bar = progress and not quiet and main
    trainer = _trainer(cfg, data, model, spec, y_train, callbacks or [], show_bar)
    batch = f"batch size {cfg.training.batch_size}"
    if comm is not None:
        world = comm.Get_size()
        batch += f" ({world} ranks, about {cfg.training.batch_size // world} samples each)"
    _say(
        say,
        f"03 optimize: {type(trainer.loss_fn).__name__}, {describe_optimizer(cfg)}, "
        f"{cfg.training.epochs} epochs, {batch}",
    )
    start = time.perf_counter()
    history = trainer.fit(parts["train"], parts.get("validation"))
    elapsed = time.perf_counter() - start
    stopped = f" ({trainer.stop_reason})" if trainer.stop_reason else ""
    _say(say, f"   trained {len(history)} epochs in {elapsed:.1f} s{stopped}")

    # 04 -- evaluate, beside the baseline
    metrics = _evaluate(trainer, parts, data, y_train)
    metrics["training"] = {"epochs": len(history), "seconds": elapsed}
    metrics["training"]["stop_reason"] = trainer.stop_reason
    if comm is not None:
        metrics["training"]["world_size"] = comm.Get_size()
    _say(say, "04 evaluate:")
    _say(say, metrics_table(metrics))
    for warning in metrics["warnings"]:
        _say(say, f"warning: {warning}")

    # Everything goes into a hidden staging directory that is renamed into place at the end.
    if main:
        stem = Path(cfg.data.source).stem
        with staged_run_dir(target, Path(o.root), stem, overwrite) as (staging, final):
            _write(staging, cfg, history, metrics, trainer, spec, scaler, data, y_train, schema)
            if o.plots:
                _plots(staging / "plots", history, trainer, scaler, data, parts)
        run_dir = final[0]
    if comm is not None:
        # The other ranks wait here for rank 0's directory (if rank 0 fails to write it, the
        # CLI aborts the whole job).
        run_dir = Path(comm.bcast(str(run_dir) if main else None, root=0))
        if not main:
            return RunResult(run_dir, cfg, history, metrics, trainer)
    if quiet:
        print(run_dir, file=out or sys.stdout)
    else:
        _say(say, f"run saved to {run_dir}")
    return RunResult(run_dir, cfg, history, metrics, trainer)


def _group() -> Any:
    """nerve.distributed's communicator when a group of R > 1 ranks is initialized, else None."""
    from nerve import distributed as dist

    if not dist.is_initialized() or dist.get_world_size() < 2:
        return None
    return dist.process_group.communicator()


def _model(cfg: RunConfig, data: ArrayData) -> tuple[ModelSpec, nn.Module]:
    m = cfg.model
    try:
        loss = resolve_loss(data.task, None if m.loss == "auto" else m.loss)
    except DataError as err:
        raise ConfigError(f"model.loss: {err}") from err
    try:
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
    cfg: RunConfig,
    data: ArrayData,
    model: nn.Module,
    spec: ModelSpec,
    y_train: np.ndarray,
    extra: list[Callback],
    progress: bool,
) -> Trainer:
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
    callbacks = list(extra)
    if t.early_stopping:
        callbacks.insert(
            0, EarlyStopping(t.monitor, "auto", t.early_stopping, t.min_delta, t.restore_best)
        )
    optimizer = build_optimizer(cfg, model.parameters())
    steps = math.ceil(len(y_train) / t.batch_size)
    return Trainer(
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
    )


def _evaluate(
    trainer: Trainer, parts: dict[str, ArrayData], data: ArrayData, y_train: np.ndarray
) -> dict[str, Any]:
    metrics: dict[str, Any] = {"task": data.task, "main_metric": main_metric(data.task)}
    metrics["baseline"] = {}
    warnings: list[str] = []
    for name, part in parts.items():
        metrics[name] = trainer.evaluate(part)
        if data.task == "regression":
            base = mean_baseline(y_train, part.y)
        else:
            base = majority_baseline(y_train, part.y, data.n_classes)
        metrics["baseline"][name] = base
        if name != "train":  # a perfect training score is no news
            warnings += baseline_warnings(metrics[name], base, data.task, name)
    metrics["warnings"] = warnings
    return metrics


def _json_safe(obj: Any) -> Any:
    """NaN and infinities are not JSON: write them as null."""
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def _write(
    staging: Path,
    cfg: RunConfig,
    history: History,
    metrics: dict[str, Any],
    trainer: Trainer,
    spec: ModelSpec,
    scaler: Any,
    data: ArrayData,
    y_train: np.ndarray,
    schema: CsvSchema | None,
) -> None:
    (staging / "config.toml").write_text(cfg.to_toml(), encoding="utf-8")
    history.to_csv(staging / "history.csv")
    text = json.dumps(_json_safe(metrics), indent=2, allow_nan=False)
    (staging / "metrics.json").write_text(text + "\n", encoding="utf-8")
    save_bundle(
        staging / "model.safetensors", trainer.model, spec, data.task, scaler, data, y_train, schema
    )


def _plots(
    folder: Path,
    history: History,
    trainer: Trainer,
    scaler: Any,
    data: ArrayData,
    parts: dict[str, ArrayData],
) -> None:
    curves = {k: v for k, v in history.history.items() if k != "time"}
    if len(set(curves["lr"])) == 1:
        del curves["lr"]  # a flat line says nothing; keep the panel for real schedules
    plot_history(curves, folder / "loss_curves.png", title=f"{data.name}: learning curves")
    if data.n_features == 2:

        def predict(grid: np.ndarray) -> np.ndarray:
            return trainer.predict_proba(scaler.transform(grid))  # on the model's device

        plot_decision_boundary(
            predict,
            data.X,
            data.y,
            folder / "decision_boundary.png",
            data.task,
            class_names=data.class_names,
        )
    if data.task != "regression":
        name = next(n for n in ("test", "validation", "train") if n in parts)
        part = parts[name]
        labels = predict_labels(trainer.predict_proba(part.X))
        cm = confusion_matrix(part.y, labels, data.n_classes)
        plot_confusion_matrix(
            cm,
            data.class_names,
            folder / "confusion_matrix.png",
            title=f"confusion matrix ({name})",
        )


def evaluate_saved(saved: SavedRun, cfg: RunConfig | None = None) -> dict[str, Any]:
    """Re-evaluate a saved run: on its own data and splits by default (as in training), or on
    all of the data set ``cfg`` names (a CSV is encoded with the run's saved schema).

    Returns metrics shaped like the run's ``metrics.json``: one entry per split (or
    ``"data"``), ``"baseline"`` and ``"warnings"``.
    """
    own = cfg is None
    cfg = cfg or saved.config
    if cfg is None:
        raise FileNotFoundError(f"'{saved.run_dir}' has no config.toml; name the data to use")
    data, _ = load_data(cfg, saved.schema if data_kind(cfg.data.source) == "csv" else None)
    if data.task != saved.task or data.n_features != saved.spec.input_size:
        raise DataError(
            f"the run was trained on a {saved.task} task with {saved.spec.input_size} features; "
            f"{data.name} is {data.task} with {data.n_features}"
        )
    if own:
        idx, _, _ = split_data(cfg, data)
        parts = {name: data.subset(i) for name, i in idx.items() if len(i)}
    else:
        parts = {"data": data}
    metrics: dict[str, Any] = {"baseline": {}, "warnings": []}
    for name, part in parts.items():
        metrics[name] = saved.evaluate(part)
        metrics["baseline"][name] = base = saved.baseline(part)
        if name != "train":
            metrics["warnings"] += baseline_warnings(metrics[name], base, saved.task, name)
    return metrics
