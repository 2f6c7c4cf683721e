"""Writing a finished (or diverged) run into its staging directory: config, history, metrics,
model bundle and plots. Used by :func:`~nerve.workflow.runner.run`.

A run whose loss became NaN or infinite has *diverged*: its history and learning curves are
what tell a learner why, so they are written like any other run's; the metrics that need
finite predictions are left out and :class:`TrainingDiverged` says what to try.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from nerve import nn

from .callbacks import Callback
from .cnnmodel import CnnSpec
from .csvschema import CsvSchema
from .data import ArrayData
from .errors import DataError
from .history import History
from .imageplots import (
    plot_confident_mistakes,
    plot_feature_maps,
    plot_filters,
    plot_image_grid,
)
from .images import ImageData
from .metrics import confusion_matrix
from .model import ModelSpec, predict_labels
from .plots import plot_confusion_matrix, plot_decision_boundary, plot_history
from .rundir import save_bundle
from .staging import write_atomic
from .trainer import Trainer

__all__ = ["TrainingDiverged", "DivergenceGuard", "write_run", "write_plots", "diverged_advice"]


class TrainingDiverged(DataError):
    """Training produced a NaN or infinite loss; the run directory keeps its history and plots.

    Example:
        >>> import io, tempfile
        >>> from nerve.workflow import RunConfig, TrainingDiverged, run
        >>> cfg = RunConfig().override({"data.source": "plane", "data.n_samples": "64",
        ...     "optimizer.lr": "1e30", "model.activation": "relu", "training.epochs": "2",
        ...     "output.root": tempfile.mkdtemp(), "output.plots": "false"})
        >>> try:
        ...     run(cfg, quiet=True, out=io.StringIO())
        ... except TrainingDiverged as err:
        ...     print(str(err).split(" (")[0])
        training diverged in epoch 1
    """


class DivergenceGuard(Callback):
    """Stop at the end of the epoch in which the training loss stopped being finite (going on
    would only multiply NaNs); ``epoch`` and ``loss`` say where it happened."""

    def __init__(self) -> None:
        self.epoch, self.loss = 0, math.nan
        self._current = 0

    def on_epoch_begin(self, trainer: Trainer, epoch: int, logs: dict[str, Any]) -> None:
        self._current = epoch

    def on_batch_end(self, trainer: Trainer, batch: int, logs: dict[str, Any]) -> None:
        if not self.epoch and not math.isfinite(logs["loss"]):
            self.epoch, self.loss = self._current, float(logs["loss"])
            trainer.stop(f"diverged: the training loss became {self.loss} in epoch {self.epoch}")


def diverged_advice(cfg: Any, epoch: int, loss: float) -> str:
    """What to try after a diverged run, in one line."""
    hints = [f"a lower learning rate (--lr {cfg.optimizer.lr / 10:g})"]
    if not cfg.regularization.grad_clip:
        hints.append("gradient clipping (--grad-clip 1.0)")
    if cfg.preprocess.scaler == "none":
        hints.append("scaling the features (--scaler standard)")
    else:
        hints.append("checking the features for extreme values")
    where = f"in epoch {epoch}" if epoch else "during training"
    return f"training diverged {where} (loss {loss}); try " + ", ".join(hints)


def model_is_finite(trainer: Trainer) -> bool:
    return all(
        bool(np.isfinite(p.detach().cpu().numpy()).all()) for p in trainer.model.parameters()
    )


def _json_safe(obj: Any) -> Any:
    """NaN and infinities are not JSON: write them as null."""
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def write_run(
    folder: Path,
    cfg: Any,
    history: History,
    metrics: dict[str, Any],
    trainer: Trainer,
    spec: ModelSpec | CnnSpec,
    scaler: Any,
    data: ArrayData,
    y_train: np.ndarray,
    schema: CsvSchema | None,
) -> None:
    """config.toml, history.csv, metrics.json and model.safetensors, each written atomically."""
    write_atomic(folder / "config.toml", cfg.to_toml())
    history.to_csv(folder / "history.csv")
    text = json.dumps(_json_safe(metrics), indent=2, allow_nan=False)
    write_atomic(folder / "metrics.json", text + "\n")
    save_bundle(
        folder / "model.safetensors", trainer.model, spec, data.task, scaler, data, y_train, schema
    )


def write_plots(
    folder: Path,
    history: History,
    trainer: Trainer,
    scaler: Any,
    data: ArrayData,
    parts: dict[str, ArrayData],
    diverged: bool = False,
) -> None:
    """The learning curves, and -- when the model's predictions are finite -- the decision
    boundary (2 features) and the confusion matrix (classification)."""
    curves = {k: v for k, v in history.history.items() if k != "time"}
    if len(set(curves.get("lr", [0]))) == 1:
        curves.pop("lr", None)  # a flat line says nothing; keep the panel for real schedules
    title = f"{data.name}: learning curves" + (" (diverged)" if diverged else "")
    plot_history(curves, folder / "loss_curves.png", title=title)
    if diverged:
        return
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
        if isinstance(part, ImageData):
            _image_plots(folder, trainer, scaler, part, name)


def _image_plots(folder: Path, trainer: Trainer, scaler: Any, part: ImageData, name: str) -> None:
    """Predicted vs true labels, the most confident mistakes, the first layer's filters and
    the feature maps of each conv layer, on the split ``part`` (the test split if any)."""
    proba = trainer.predict_proba(part.X)
    raw = np.clip(scaler.inverse_transform(part.X), 0.0, 1.0).reshape(-1, *part.image_shape)
    names = part.class_names
    plot_image_grid(
        raw,
        part.y,
        predict_labels(proba),
        names,
        folder / "predictions.png",
        proba,
        title=f"{name} images: predicted (true)",
    )
    plot_confident_mistakes(raw, part.y, proba, names, folder / "confident_mistakes.png")
    model = trainer.model
    if any(isinstance(m, nn.Conv2d) for m in model.modules()):
        plot_filters(model, folder / "filters.png")
        plot_feature_maps(
            model,
            part.X[0],
            raw[0],
            folder / "feature_maps.png",
            title=f"feature maps of {name} image 0 (true class {names[int(part.y[0])]})",
        )
