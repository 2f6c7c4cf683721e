"""One learner's playground: data, network and training, driven by checked commands.

A :class:`Session` is synchronous and knows nothing of the web: the server runs its methods in
a worker thread, one at a time, and sends what they return. :meth:`Session.handle` applies one
:class:`~nerve.playground.protocol.Command` and returns the messages for the page;
:meth:`Session.train` runs mini-batches for a time budget; :meth:`Session.frame` computes
everything the page draws from one forward pass. Commands are checked completely before the
session changes, so a rejected command leaves it as it was.
"""

from __future__ import annotations

import math
import secrets
from typing import Any

import numpy as np

import nerve
from nerve.workflow.model import outputs_to_proba

from . import export as export_mod
from .dataset import (
    FEATURE_LABELS,
    TEST,
    TRAIN,
    VAL,
    PointSet,
    feature_matrix,
    fit_scaler,
    parse_csv,
    realize,
    thumbnails,
)
from .links import read_link
from .network import (
    build_network,
    forward_collect,
    linear_layers,
    output_activation,
    target_tensor,
    transplant,
)
from .protocol import (
    CLASSIFICATION_SETS,
    LIMITS,
    REGRESSION_SETS,
    Command,
    ProtocolError,
    check_settings,
    default_settings,
    loss_advice,
    merge_settings,
)
from .report import evaluate
from .training import TrainingLoop, one_blas_thread
from .views import (
    GRID,
    explain,
    grid_points,
    hidden_view,
    line_points,
    neuron_maps,
    output_maps,
    surface,
    unit_names,
    weight_bytes,
)

__all__ = ["Session"]

DATA_KEYS = {"problem", "dataset", "classes", "noise", "n_points", "train_ratio", "val_ratio"}
DATA_KEYS |= {"seed", "imbalance"}
INPUT_KEYS = {"features", "normalize"}
ARCH_KEYS = {"hidden", "init", "init_seed"}
SHAPE_KEEPING_KEYS = {"activations", "dropout", "batch_norm"}  # rebuilt, weights carried over
LOSS_KEYS = {"loss", "class_weights"}
OPTIM_KEYS = {"optimizer", "lr", "weight_decay", "schedule", "schedule_epochs"}
HEADS = {"binary": "probability", "multiclass": "logits", "regression": "value"}
NEW_LAYER_WIDTH = 4  # neurons of a layer added with the page's + button
HISTORY_SHOWN = 400  # points of the loss chart sent per frame (older ones are thinned)


class Session(TrainingLoop):
    """The state of one page: settings, points, model, optimizer and training progress."""

    def __init__(self, settings: dict[str, Any] | None = None) -> None:
        self.settings = default_settings()
        if settings:
            self.settings = merge_settings(self.settings, check_settings(settings))
        self.csv_data: Any = None
        self.running = False
        self.halt: dict[str, str] | None = None  # why training stopped by itself
        self.model: Any = None
        self._rng = np.random.default_rng(secrets.randbits(32))
        self._set_points(realize(self.settings))
        self._build_model()

    # ------------------------------------------------------------------ building

    def _set_points(self, points: PointSet) -> None:
        s = self.settings
        names = CLASSIFICATION_SETS if s["problem"] == "classification" else REGRESSION_SETS
        points.thumbnails = thumbnails(s, names)
        self.points = points
        self._refit_inputs()

    def _refit_inputs(self) -> None:
        """Fit the scaler on the training points and cache the training tensors' sources."""
        self.scaler = fit_scaler(self.points, self.settings["features"], self.settings["normalize"])
        train = self.points.indices(TRAIN)
        self._train_x = self.inputs(self.points.X[train])
        self._train_y = self.points.y[train]
        self._order: np.ndarray | None = None  # the current epoch's shuffled batch order

    def inputs(self, X: np.ndarray) -> np.ndarray:
        """The network's input for coordinates ``X``: features, then the fitted scaler."""
        return np.ascontiguousarray(
            self.scaler.transform(feature_matrix(X, self.settings["features"])), dtype=np.float32
        )

    def _build_model(self, carry_weights: bool = False) -> None:
        """Build the network; a fresh one restarts training, a carried one continues it."""
        old = self.model
        model = build_network(
            self.settings,
            len(self.settings["features"]),
            self.points.task,
            self.points.n_classes,
        )
        if carry_weights and old is not None and transplant(old, model):
            self._best = None  # a snapshot of the old layers no longer fits
        else:
            self._restart()
        self.model = model
        if self.epoch == 0 and self._steps == 0:
            self._initial = self._snapshot(linear_only=True)
        self._build_loss()
        self._build_optimizer(fresh=True)

    def handle(self, cmd: Command) -> list[dict[str, Any]]:
        """Apply one checked command; return the messages to send to the page."""
        handler = getattr(self, f"_cmd_{cmd.type}")
        return handler(**cmd.args)

    def _cmd_set(self, settings: dict[str, Any]) -> list[dict[str, Any]]:
        return self.apply_settings(settings)

    def apply_settings(self, patch: dict[str, Any], new_data: bool = False) -> list[dict[str, Any]]:
        """Change settings; rebuild only what the change needs (data, inputs, model, loss).

        ``new_data`` rebuilds the points even when no data setting changed (a second CSV).
        """
        csv_problem = self._csv_problem()
        new = merge_settings(self.settings, check_settings(patch), csv_problem)
        changed = {k for k in new if new[k] != self.settings[k]}
        rebuild = new_data or bool(changed & DATA_KEYS)
        points = realize(new, self.csv_data) if rebuild else None  # may raise
        self.settings = new
        replies: list[dict[str, Any]] = []
        if points is not None:
            self._set_points(points)
            replies.append(points.to_message())
        elif changed & INPUT_KEYS:
            self._refit_inputs()
        if points is not None or changed & (INPUT_KEYS | ARCH_KEYS):
            self._build_model()
        elif changed & SHAPE_KEEPING_KEYS:
            self._build_model(carry_weights=True)
        else:
            if changed & LOSS_KEYS:
                self._build_loss()
            if changed & OPTIM_KEYS:
                self._build_optimizer(fresh="optimizer" in changed)
        # The points go first: a page that draws the new state has the data it refers to.
        return [*replies, self.state(), self.frame()]

    def _csv_problem(self) -> str | None:
        if self.csv_data is None:
            return None
        return "regression" if self.csv_data.task == "regression" else "classification"

    def _cmd_play(self) -> list[dict[str, Any]]:
        self._check_can_train()
        self.running, self.halt = True, None
        return [self.state()]

    def _cmd_pause(self) -> list[dict[str, Any]]:
        self.running = False
        return [self.state()]

    def _cmd_step(self) -> list[dict[str, Any]]:
        self._check_can_train()
        self.running, self.halt = False, None
        self.train(math.inf, epochs=1)
        return [self.state(), self.frame()]

    def _check_can_train(self) -> None:
        if self.halt and self.halt["kind"] == "diverged":
            raise ProtocolError(
                f"the network diverged ({self.halt['cause']}); {self.halt['advice']}, then press "
                "reset before training again"
            )

    def _cmd_open_link(self, settings: dict[str, Any]) -> list[dict[str, Any]]:
        patch, notes = read_link(self.settings, settings, self._csv_problem())
        try:
            replies = self.apply_settings(patch)
        except ProtocolError as err:  # e.g. a split that leaves no training points
            replies = [self.state()]
            notes = [*notes, f"the link's set-up could not be used ({err}): defaults kept"]
        return [*replies, {"type": "link", "notes": notes}]

    def _cmd_add_neurons(self, layer: int, delta: int) -> list[dict[str, Any]]:
        hidden = list(self.settings["hidden"])
        if layer >= len(hidden):
            raise ProtocolError(f"add_neurons: there is no hidden layer {layer + 1}")
        hidden[layer] = min(max(hidden[layer] + delta, 1), LIMITS["neurons"])
        return self.apply_settings({"hidden": hidden})

    def _cmd_add_layers(self, delta: int) -> list[dict[str, Any]]:
        hidden = list(self.settings["hidden"])
        count = min(max(len(hidden) + delta, 0), LIMITS["hidden_layers"])
        hidden = hidden[:count] + [NEW_LAYER_WIDTH] * (count - len(hidden))
        return self.apply_settings({"hidden": hidden})

    def _cmd_reset(self, keep_weights: bool) -> list[dict[str, Any]]:
        initial = self._initial
        if keep_weights:
            self._build_model()
            self._restore(initial, linear_only=True)
            self._initial = initial
        else:
            self.settings["init_seed"] = int(self._rng.integers(0, 2**31 - 1))
            self._build_model()
        return [self.state(), self.frame()]

    def _cmd_regenerate(self) -> list[dict[str, Any]]:
        return self.apply_settings({"seed": int(self._rng.integers(0, 2**31 - 1))})

    def _cmd_add_point(self, x: float, y: float, label: float) -> list[dict[str, Any]]:
        self.points.add_point(x, y, label)
        return self._points_changed()

    def _cmd_remove_point(self, x: float, y: float) -> list[dict[str, Any]]:
        if not self.points.remove_point(x, y):
            raise ProtocolError("no point there to remove (shift-click on a point)")
        return self._points_changed()

    def _points_changed(self) -> list[dict[str, Any]]:
        # The scaler and class weights follow the training points; the weights stay.
        self._refit_inputs()
        self._build_loss()
        return [self.points.to_message(), self.frame()]

    def _cmd_upload_csv(self, text: str, name: str) -> list[dict[str, Any]]:
        data = parse_csv(text, name)
        previous = self.csv_data
        self.csv_data = data
        try:
            # new_data: with the csv already chosen no setting changes, yet the points do.
            patch = {"dataset": "csv", "problem": self._csv_problem()}
            return self.apply_settings(patch, new_data=True)
        except ProtocolError:
            self.csv_data = previous
            raise

    def _cmd_set_weight(self, layer: int, row: int, col: int, value: float) -> list[dict[str, Any]]:
        sizes = self.layer_sizes()
        if not 1 <= layer < len(sizes):
            raise ProtocolError(f"set_weight: layer must be 1..{len(sizes) - 1}, got {layer}")
        if row >= sizes[layer] or col >= sizes[layer - 1]:
            raise ProtocolError(
                f"set_weight: layer {layer} has {sizes[layer]}x{sizes[layer - 1]} weights; "
                f"there is no weight ({row}, {col})"
            )
        with nerve.no_grad():
            linear_layers(self.model)[layer - 1].weight[row, col] = value
        return self._weights_changed()

    def _cmd_set_bias(self, layer: int, neuron: int, value: float) -> list[dict[str, Any]]:
        sizes = self.layer_sizes()
        if not 1 <= layer < len(sizes) or neuron >= sizes[layer]:
            raise ProtocolError(f"set_bias: there is no neuron {neuron} in layer {layer}")
        with nerve.no_grad():
            linear_layers(self.model)[layer - 1].bias[neuron] = value
        return self._weights_changed()

    def _weights_changed(self) -> list[dict[str, Any]]:
        if self.epoch == 0 and self._steps == 0:
            # Edits made before training are part of the starting point a reset returns to.
            self._initial = self._snapshot(linear_only=True)
        return [self.frame()]

    def _cmd_explain(self, layer: int, neuron: int, x: float, y: float) -> list[dict[str, Any]]:
        sizes = self.layer_sizes()
        if layer >= len(sizes) or neuron >= sizes[layer]:
            raise ProtocolError(f"explain: there is no neuron {neuron} in layer {layer}")
        result = explain(
            self.model,
            self.inputs(np.array([[x, y]])),
            layer,
            neuron,
            self.points.task,
            self.settings["activations"],
            self.unit_names(),
            self.settings["batch_norm"],
        )
        return [{**result, "x": x, "y": y}]

    def _cmd_backprop(self, example: int, batch: bool) -> list[dict[str, Any]]:
        # Step through backprop: a read-only trace of one gradient step (see backprop.py).
        from .backprop import session_trace

        return [session_trace(self, example, batch)]

    def _cmd_export(self, format: str) -> list[dict[str, Any]]:
        return [export_mod.export_message(self, format)]

    def layer_sizes(self) -> list[int]:
        """Neurons per layer: inputs, hidden layers, outputs."""
        outs = [layer.out_features for layer in linear_layers(self.model)]
        return [len(self.settings["features"]), *outs]

    def unit_names(self) -> list[list[str]]:
        """Display names of every neuron, layer by layer."""
        labels = [FEATURE_LABELS[f] for f in self.settings["features"]]
        pts = self.points
        return unit_names(labels, self.settings["hidden"], pts.task, pts.class_names)

    def status(self) -> str:
        """``running``, ``paused`` or why training stopped (diverged, early_stop, max_epochs)."""
        if self.running:
            return "running"
        return self.halt["kind"] if self.halt else "paused"

    def notes(self) -> list[str]:
        """Short remarks on the current set-up that the page shows beside the controls."""
        notes = []
        s = self.settings
        if s["class_weights"] and s["loss"] == "mse" and self.points.task != "regression":
            notes.append("class weights apply to the cross-entropy loss only")
        if s["early_stopping"]:
            part = "validation" if (self.points.part == VAL).any() else "test"
            notes.append(f"early stopping watches the {part} loss")
        if not s["hidden"]:
            notes.append("no hidden layer: the network is a linear model (add a layer)")
        return notes

    def state(self) -> dict[str, Any]:
        """Settings, status and the network's structure."""
        return {
            "type": "state",
            "settings": self.settings,
            "status": self.status(),
            "message": self.halt["message"] if self.halt else "",
            "epoch": self.epoch,
            "notes": self.notes(),
            "task": self.points.task,
            "csv": self.csv_data.name if self.csv_data is not None else None,
            "network": {
                "sizes": self.layer_sizes(),
                "names": self.unit_names(),
                "activations": list(self.settings["activations"]),
                "output_activation": output_activation(self.points.task),
            },
            "loss_advice": loss_advice(self.points.task),
            "limits": LIMITS,
        }

    def frame(self) -> dict[str, Any]:
        """Everything drawn, from ONE forward pass over [grid, grid lines, data points]."""
        with one_blas_thread():
            return self._frame()

    def _frame(self) -> dict[str, Any]:
        pts = self.points
        grid, lines = grid_points(pts.domain), line_points(pts.domain)
        inputs = self.inputs(np.concatenate([grid, lines, pts.X]))
        was_training = self.model.training
        self.model.eval()
        try:
            with nerve.no_grad():
                out, hidden = forward_collect(self.model, nerve.from_numpy(inputs))
        finally:
            self.model.train(was_training)
        out_np = out.numpy().astype(np.float64)
        hidden_np = [h.numpy() for h in hidden]
        n_grid, n_lines = GRID * GRID, len(lines)
        proba = outputs_to_proba(out_np, HEADS[pts.task])
        data_out, data_proba = out_np[n_grid + n_lines :], proba[n_grid + n_lines :]
        losses = {
            name: self._loss_of(data_out, part)
            for name, part in (("train", TRAIN), ("val", VAL), ("test", TEST))
        }
        self._record_history(losses)
        return {
            "type": "frame",
            "epoch": self.epoch,
            "status": self.status(),
            "lr": self.optimizer.param_groups[0]["lr"],
            "loss": losses,
            "history": self._history_shown(),
            "metrics": evaluate(pts, data_proba),
            "surface": surface(proba[:n_grid], pts.task),
            "neurons": neuron_maps(inputs[:n_grid], [h[:n_grid] for h in hidden_np]),
            "outputs": output_maps(proba[:n_grid], pts.task),
            "weights": weight_bytes(linear_layers(self.model)),
            "hidden_view": self._hidden_view(hidden_np, n_grid, n_lines),
        }

    def _loss_of(self, data_out: np.ndarray, part: int) -> float | None:
        idx = self.points.indices(part)
        if idx.size == 0:
            return None
        with nerve.no_grad():
            out = nerve.from_numpy(np.ascontiguousarray(data_out[idx], dtype=np.float32))
            target = target_tensor(self.points.y[idx], self.points.task)
            value = float(self.criterion(out, target).item())
        return value if math.isfinite(value) else None

    def _record_history(self, losses: dict[str, float | None]) -> None:
        entry = [self.epoch, losses["train"], losses["test"], losses["val"]]
        if self.history and self.history[-1][0] == self.epoch:
            self.history[-1] = entry
        else:
            self.history.append(entry)

    def _history_shown(self) -> list[list[Any]]:
        if len(self.history) <= HISTORY_SHOWN:
            return self.history
        stride = math.ceil(len(self.history) / HISTORY_SHOWN)
        return [*self.history[:-1:stride], self.history[-1]]

    def _hidden_view(self, hidden: list[np.ndarray], n_grid: int, n_lines: int) -> Any:
        if not hidden:
            return None
        k = self.settings["view_layer"]
        layer = k if 1 <= k <= len(hidden) else len(hidden)
        acts = np.nan_to_num(hidden[layer - 1].astype(np.float64))
        points, lines = acts[n_grid + n_lines :], acts[n_grid : n_grid + n_lines]
        s = self.settings
        return hidden_view(points, lines, s["view"], s["view_neurons"], layer)
