"""Step 02 of the lecture, "define the model": a fully connected network from a small spec.

A :class:`ModelSpec` says what a user chooses -- hidden layer sizes, their activations, dropout,
batch normalisation and optionally the loss; :func:`build_model` turns it into an
``nn.Sequential`` with the output layer the task needs, and :func:`build_loss` gives the loss
that goes with that output layer (step 03, "what function to optimize"):

============  ==============================  ====================================
task          output layer                    loss (default)
============  ==============================  ====================================
binary        1 unit + Sigmoid                ``BCELoss`` (the lecture's network)
multiclass    k units, raw scores (logits)    ``CrossEntropyLoss`` (softmax inside)
regression    1 unit, linear                  ``MSELoss``
============  ==============================  ====================================

What the network's output *means* -- a probability, a logit, k logits or a value -- is its
"head". The helpers at the bottom (:func:`predict_proba`, :func:`predict_labels`) turn outputs
into probabilities and labels whatever the head, so evaluation and the decision-boundary plot
need not care which loss was trained. Only the public ``nerve.nn`` API is used, as a user
script would.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

import nerve
from nerve import nn
from nerve.nn import functional as F

from .errors import DataError, check_choice, check_fraction, check_int

__all__ = [
    "ACTIVATIONS",
    "LOSSES",
    "MAX_UNITS",
    "MAX_LAYERS",
    "MAX_PARAMETERS",
    "DEFAULT_LOSS",
    "ModelSpec",
    "resolve_loss",
    "output_size",
    "build_model",
    "build_loss",
    "ClassWeightedBCELoss",
    "head_of",
    "target_tensor",
    "predict_outputs",
    "outputs_to_proba",
    "predict_proba",
    "predict_labels",
]

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "leaky_relu": nn.LeakyReLU,
    "gelu": nn.GELU,
    "elu": nn.ELU,
    "silu": nn.SiLU,
    "linear": nn.Identity,  # no non-linearity: the lecture's "linear network" warning, on demand
}
LOSSES = ("mse", "bce", "bce_with_logits", "cross_entropy", "l1", "huber")
DEFAULT_LOSS = {"binary": "bce", "multiclass": "cross_entropy", "regression": "mse"}
# Which losses make sense for which task. MSE on a sigmoid output is allowed for binary data
# because the lecture contrasts it with cross entropy; multiclass MSE would need one-hot targets.
_TASK_LOSSES = {
    "binary": ("bce", "bce_with_logits", "cross_entropy", "mse"),
    "multiclass": ("cross_entropy",),
    "regression": ("mse", "l1", "huber"),
}
_TASKS = tuple(_TASK_LOSSES)

# Sizes a fully connected network of this workbench may have, checked before any weight is
# allocated (a model file or an option could otherwise ask for terabytes). 50 million
# parameters are 200 MB of float32 weights, about 800 MB with their gradients and Adam's two
# moments -- far beyond what the lecture's networks need (digits: 64-128-64-10 has 17,226),
# yet small enough for any laptop. 65,536 units is the widest layer (wider ones exceed the
# parameter budget next to any real layer anyway), and 256 hidden layers the deepest (a plain
# MLP stops training long before that: its gradients vanish without residual connections).
MAX_UNITS = 65_536
MAX_LAYERS = 256
MAX_PARAMETERS = 50_000_000


@dataclass
class ModelSpec:
    """The architecture of a fully connected network, as plain data (saved with the model).

    Args:
        input_size: number of input features.
        hidden: sizes of the hidden layers, e.g. ``[64, 32]``; ``[]`` gives a linear model.
        output_size: units of the output layer (see :func:`output_size`).
        activation: one name for every hidden layer or one per layer (see ``ACTIVATIONS``).
        dropout: dropout probability after each hidden layer (0 = none).
        batch_norm: insert ``BatchNorm1d`` between each hidden Linear and its activation.
        loss: a loss override (see ``LOSSES``); None uses the task's default.

    Example:
        >>> spec = ModelSpec(input_size=2, hidden=[8], output_size=1, activation="tanh")
        >>> build_model(spec, "binary")
        Sequential(
          (0): Linear(in_features=2, out_features=8, bias=True)
          (1): Tanh()
          (2): Linear(in_features=8, out_features=1, bias=True)
          (3): Sigmoid()
        )
    """

    input_size: int
    hidden: list[int] = field(default_factory=lambda: [8])
    output_size: int = 1
    activation: str | list[str] = "relu"
    dropout: float = 0.0
    batch_norm: bool = False
    loss: str | None = None

    def __post_init__(self) -> None:
        # Every check here is on plain numbers: nothing is allocated before they all pass.
        self.input_size = check_int("input_size", self.input_size, 1, MAX_UNITS)
        self.output_size = check_int("output_size", self.output_size, 1, MAX_UNITS)
        if not isinstance(self.hidden, (list, tuple)):
            raise DataError(f"hidden must be a list of layer sizes, got {self.hidden!r:.60}")
        if len(self.hidden) > MAX_LAYERS:
            raise DataError(f"hidden lists {len(self.hidden)} layers; at most {MAX_LAYERS}")
        self.hidden = [check_int("hidden layer size", h, 1, MAX_UNITS) for h in self.hidden]
        if self.n_parameters() > MAX_PARAMETERS:
            raise DataError(
                f"the network {self.input_size} -> {' -> '.join(map(str, self.hidden))} -> "
                f"{self.output_size} has {self.n_parameters():,} parameters; at most "
                f"{MAX_PARAMETERS:,} (use fewer or smaller hidden layers)"
            )
        self.dropout = check_fraction("dropout", self.dropout, 0.0, 0.99)
        if not isinstance(self.batch_norm, bool):
            raise DataError(f"batch_norm must be true or false, got {self.batch_norm!r}")
        if self.loss is not None:
            check_choice("loss", self.loss, LOSSES)
        self.activations()  # validates names and count

    def weight_shapes(self) -> list[tuple[int, int]]:
        """The ``(out, in)`` shape of each Linear layer's weight, in order, as plain numbers.

        Example:
            >>> ModelSpec(2, [8, 4], output_size=1).weight_shapes()
            [(8, 2), (4, 8), (1, 4)]
        """
        sizes = [self.input_size, *self.hidden, self.output_size]
        return [(b, a) for a, b in zip(sizes, sizes[1:])]

    def n_parameters(self) -> int:
        """Weights and biases of the Linear layers (BatchNorm adds 2 per hidden unit).

        Example:
            >>> ModelSpec(2, [8], output_size=1).n_parameters()
            33
        """
        linear = sum(out * (inp + 1) for out, inp in self.weight_shapes())
        return linear + (2 * sum(self.hidden) if self.batch_norm is True else 0)

    def activations(self) -> list[str]:
        """The activation of each hidden layer.

        Example:
            >>> ModelSpec(2, [4, 4], activation="relu").activations()
            ['relu', 'relu']
        """
        names = self.activation
        if isinstance(names, str):
            names = [names] * len(self.hidden)
        names = list(names)
        if len(names) != len(self.hidden):
            raise DataError(
                f"got {len(names)} activations for {len(self.hidden)} hidden layers; give one "
                "for all layers or one per layer"
            )
        for name in names:
            check_choice("activation", name, ACTIVATIONS)
        return names

    def to_dict(self) -> dict[str, Any]:
        """Plain data for saving; :meth:`from_dict` restores it."""
        d = asdict(self)
        d["hidden"] = list(self.hidden)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelSpec:
        """Rebuild a spec saved by :meth:`to_dict`, with the same checks as the constructor."""
        if not isinstance(d, dict):
            raise DataError(f"a model spec must be a dict, got {type(d).__name__}")
        unknown = set(d) - set(cls.__dataclass_fields__)
        if unknown or "input_size" not in d:
            raise DataError(f"malformed model spec: keys {sorted(d)}")
        return cls(**d)

    def describe(self, task: str) -> str:
        """One line such as ``'2 -> 8 (tanh) -> 1 (sigmoid), loss bce'``."""
        parts = [str(self.input_size)]
        for size, act in zip(self.hidden, self.activations()):
            extras = "+batchnorm" if self.batch_norm else ""
            extras += f"+dropout {self.dropout:g}" if self.dropout else ""
            parts.append(f"{size} ({act}{extras})")
        loss = resolve_loss(task, self.loss)
        out = {"bce": "sigmoid", "mse": "sigmoid"}.get(loss, "linear")
        out = "linear" if task == "regression" else out
        parts.append(f"{self.output_size} ({out})")
        return " -> ".join(parts) + f", loss {loss}"


def resolve_loss(task: str, loss: str | None = None) -> str:
    """The loss name for ``task``: ``loss`` if it suits the task, else the task's default.

    Example:
        >>> resolve_loss("multiclass"), resolve_loss("binary", "bce_with_logits")
        ('cross_entropy', 'bce_with_logits')
    """
    check_choice("task", task, _TASKS)
    if loss is None:
        return DEFAULT_LOSS[task]
    check_choice("loss", loss, LOSSES)
    if loss not in _TASK_LOSSES[task]:
        raise DataError(
            f"loss {loss!r} does not suit a {task} task; expected one of: "
            f"{', '.join(_TASK_LOSSES[task])}"
        )
    return loss


def output_size(task: str, n_classes: int = 0, loss: str | None = None) -> int:
    """Units of the output layer: k for multiclass (and binary with cross entropy), else 1.

    Example:
        >>> output_size("multiclass", 10), output_size("binary", 2, "cross_entropy")
        (10, 2)
    """
    if resolve_loss(task, loss) == "cross_entropy":
        return check_int("n_classes", n_classes, minimum=2)
    return 1


def build_model(spec: ModelSpec, task: str) -> nn.Sequential:
    """An ``nn.Sequential``: [Linear, (BatchNorm1d), activation, (Dropout)] per hidden layer,
    then the output Linear and, for a probability output (bce / binary mse), a Sigmoid.

    Weights are initialised by each layer's default (as in PyTorch), from nerve's global
    generator: call ``nerve.manual_seed`` first for a reproducible model. A
    :class:`~nerve.workflow.cnnmodel.CnnSpec` gets its convolutional network.

    Example:
        >>> import nerve
        >>> from nerve.workflow import ModelSpec, build_model
        >>> _ = nerve.manual_seed(0)
        >>> build_model(ModelSpec(input_size=2, hidden=[8], activation="tanh"), "binary")
        Sequential(
          (0): Linear(in_features=2, out_features=8, bias=True)
          (1): Tanh()
          (2): Linear(in_features=8, out_features=1, bias=True)
          (3): Sigmoid()
        )
    """
    if getattr(spec, "type", "mlp") == "cnn":
        from .cnnmodel import build_cnn  # the CNN spec builds on this module

        return build_cnn(spec, task)  # type: ignore[arg-type]
    loss = resolve_loss(task, spec.loss)
    expected = spec.output_size if task == "multiclass" else output_size(task, 2, loss)
    if spec.output_size != expected or (task == "multiclass" and spec.output_size < 3):
        raise DataError(
            f"a {task} task with loss {loss!r} needs output_size "
            f"{'k >= 3 (one per class)' if task == 'multiclass' else expected}, "
            f"got {spec.output_size}"
        )
    layers: list[nn.Module] = []
    width = spec.input_size
    for size, act in zip(spec.hidden, spec.activations()):
        layers.append(nn.Linear(width, size))
        if spec.batch_norm:
            layers.append(nn.BatchNorm1d(size))
        layers.append(ACTIVATIONS[act]())
        if spec.dropout > 0:
            layers.append(nn.Dropout(spec.dropout))
        width = size
    layers.append(nn.Linear(width, spec.output_size))
    if task != "regression" and loss in ("bce", "mse"):
        layers.append(nn.Sigmoid())  # BCELoss and binary MSE compare probabilities
    return nn.Sequential(*layers)


class ClassWeightedBCELoss(nn.BCELoss):
    """``BCELoss`` where each sample counts with the weight of its class.

    ``nn.BCELoss`` only takes a fixed per-element weight and has no ``pos_weight``, so the
    per-sample weight is looked up from the target on every call.

    Example:
        >>> loss = ClassWeightedBCELoss([1.0, 3.0])
        >>> round(loss(nerve.tensor([[0.5]]), nerve.tensor([[1.0]])).item(), 4)
        2.0794
    """

    def __init__(self, class_weights: Any) -> None:
        super().__init__()
        w = np.asarray(class_weights, dtype=np.float32)
        if w.shape != (2,):
            raise DataError(f"binary class weights need 2 values, got shape {w.shape}")
        self.w0, self.w1 = float(w[0]), float(w[1])

    def forward(self, input: nerve.Tensor, target: nerve.Tensor) -> nerve.Tensor:
        weight = target * (self.w1 - self.w0) + self.w0
        return F.binary_cross_entropy(input, target, weight=weight, reduction=self.reduction)


def build_loss(task: str, loss: str | None = None, class_weights: Any = None) -> nn.Module:
    """The loss module for ``task`` (``loss`` overrides the default), optionally class-weighted.

    ``class_weights`` (one per class, e.g. from :func:`~nerve.workflow.class_weights`) go to
    ``CrossEntropyLoss(weight=...)``, to ``BCEWithLogitsLoss(pos_weight=w1/w0)`` or to a
    per-sample weighted ``BCELoss``; they need a classification loss.

    Example:
        >>> build_loss("multiclass", class_weights=[1.0, 2.0, 0.5])
        CrossEntropyLoss()
    """
    name = resolve_loss(task, loss)
    if class_weights is None:
        return {
            "mse": nn.MSELoss,
            "l1": nn.L1Loss,
            "huber": nn.HuberLoss,
            "bce": nn.BCELoss,
            "bce_with_logits": nn.BCEWithLogitsLoss,
            "cross_entropy": nn.CrossEntropyLoss,
        }[name]()
    w = np.asarray(class_weights, dtype=np.float32)
    if name == "cross_entropy":
        return nn.CrossEntropyLoss(weight=nerve.tensor(w.tolist()))
    if name == "bce_with_logits":
        # pos_weight scales the positive class relative to the negative one.
        return nn.BCEWithLogitsLoss(pos_weight=nerve.tensor([float(w[1] / max(w[0], 1e-12))]))
    if name == "bce":
        return ClassWeightedBCELoss(w)
    raise DataError(f"class weights need a classification loss, not {name!r}")


def head_of(loss_fn: nn.Module, task: str) -> str:
    """What a model trained with ``loss_fn`` outputs: ``"probability"`` (after a sigmoid),
    ``"logit"`` (one raw score), ``"logits"`` (k raw scores), ``"log_probs"`` or ``"value"``.

    Inferred from the loss type, so the Trainer works with any model a user builds.
    """
    check_choice("task", task, _TASKS)
    if task == "regression":
        return "value"
    if isinstance(loss_fn, nn.BCEWithLogitsLoss):
        return "logit"
    if isinstance(loss_fn, nn.CrossEntropyLoss):
        return "logits"
    if isinstance(loss_fn, nn.NLLLoss):
        return "log_probs"
    # BCELoss, or MSE / L1 on a sigmoid output: a probability of class 1 (multiclass: scores).
    return "probability" if task == "binary" else "logits"


def target_tensor(y: np.ndarray, head: str) -> nerve.Tensor:
    """Targets as the loss expects them: class indices (int64, ``(n,)``) for k-way heads,
    float32 ``(n, 1)`` for a single output unit."""
    if head in ("logits", "log_probs"):
        return nerve.from_numpy(np.ascontiguousarray(y, dtype=np.int64))
    return nerve.from_numpy(np.asarray(y, dtype=np.float32).reshape(-1, 1))


def predict_outputs(
    model: nn.Module, X: np.ndarray, batch_size: int = 8192, device: Any = None
) -> np.ndarray:
    """Raw network outputs for ``X`` as float64 ``(n, out)``, in eval mode and without a graph.

    Batched, so that a large grid (the decision-boundary plot) does not build one huge array;
    the model's train/eval mode is restored afterwards.
    """
    X = np.asarray(X, dtype=np.float32)
    was_training = model.training
    model.eval()
    chunks = []
    try:
        with nerve.no_grad():
            for start in range(0, max(len(X), 1), batch_size):
                xb = nerve.from_numpy(np.ascontiguousarray(X[start : start + batch_size]))
                out = model(xb if device is None else xb.to(device))
                chunks.append(out.cpu().numpy().astype(np.float64).reshape(len(xb), -1))
    finally:
        model.train(was_training)
    return np.concatenate(chunks) if chunks else np.zeros((0, 1))


def outputs_to_proba(out: np.ndarray, head: str) -> np.ndarray:
    """Class probabilities ``(n, k)`` from raw outputs; ``(n,)`` values for a ``"value"`` head.

    Example:
        >>> outputs_to_proba(np.array([[0.0], [2.0]]), "logit").round(3).tolist()
        [[0.5, 0.5], [0.119, 0.881]]
    """
    out = np.asarray(out, dtype=np.float64)
    if head == "value":
        return out[:, 0]
    if head in ("probability", "logit"):
        p = out[:, 0] if head == "probability" else 1.0 / (1.0 + np.exp(-out[:, 0]))
        p = np.clip(p, 0.0, 1.0)  # MSE on a sigmoid output can still round past [0, 1]
        return np.stack([1.0 - p, p], axis=1)
    shifted = out - out.max(axis=1, keepdims=True)  # softmax without overflow
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def predict_proba(model: nn.Module, X: np.ndarray, head: str, device: Any = None) -> np.ndarray:
    """``outputs_to_proba(predict_outputs(model, X), head)``: probabilities or values.

    ``head`` says what the outputs are: ``"sigmoid"`` (one logit: probabilities of both
    classes), ``"softmax"`` (one score per class), or ``"identity"`` (regression values).

    Example:
        >>> import numpy as np
        >>> import nerve
        >>> from nerve.workflow import ModelSpec, build_model, predict_proba
        >>> _ = nerve.manual_seed(0)
        >>> model = build_model(ModelSpec(input_size=2, hidden=[4], output_size=3), "multiclass")
        >>> proba = predict_proba(model, np.zeros((5, 2), dtype=np.float32), "softmax")
        >>> proba.shape, bool(np.allclose(proba.sum(axis=1), 1.0))
        ((5, 3), True)
    """
    return outputs_to_proba(predict_outputs(model, X, device=device), head)


def predict_labels(proba: np.ndarray) -> np.ndarray:
    """Most probable class of each row of ``(n, k)`` probabilities, as int64.

    Example:
        >>> predict_labels(np.array([[0.2, 0.8], [0.9, 0.1]])).tolist()
        [1, 0]
    """
    return np.asarray(proba).argmax(axis=1).astype(np.int64)
