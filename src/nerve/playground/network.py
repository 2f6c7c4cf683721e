"""The playground's network, built and inspected with nerve: nothing here is NumPy maths.

The model comes from the workflow's :func:`build_model` (a ``Sequential`` of ``Linear`` layers,
activations and optional batch normalisation and dropout), its weights from ``nerve.nn.init``,
the loss from :func:`build_loss`, the optimizer and schedule from the workflow's
:func:`~nerve.workflow.optimize.build_optimizer` and ``build_scheduler`` (the page's choices
become a :class:`~nerve.workflow.RunConfig`, as ``nerve train``'s options do). The views
are read from the same model: :func:`forward_collect` runs one batched forward pass and keeps
every hidden layer's activations (the neuron heatmaps and the hidden-space view come from
it), and :func:`explain` asks nerve's autograd for d output / d neuron at one point.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import nerve
from nerve import nn
from nerve.nn import functional as F
from nerve.workflow import ModelSpec, RunConfig, build_loss, build_model, optimize

__all__ = [
    "build_network",
    "linear_layers",
    "initialize",
    "transplant",
    "build_criterion",
    "target_tensor",
    "optimizer_config",
    "build_optimizer",
    "build_scheduler",
    "forward_collect",
    "output_activation",
]

MOMENTUM = 0.9
STEP_GAMMA = 0.5  # the step schedule halves the learning rate every schedule_epochs


def workflow_loss(task: str, loss: str) -> str:
    """The workflow's loss name for the page's choice (cross entropy or squared error).

    Binary data gets a sigmoid output under both losses (BCE or MSE on the probability), so
    switching the loss keeps the network; multiclass data always has k logits (softmax is in
    the loss), so the same holds there.
    """
    if task == "regression":
        return "mse"
    if task == "binary":
        return "bce" if loss == "cross_entropy" else "mse"
    return "cross_entropy"


def output_size(task: str, n_classes: int) -> int:
    """One unit for binary and regression outputs, one per class for multiclass data."""
    return n_classes if task == "multiclass" else 1


def output_activation(task: str) -> str:
    """What the output neuron applies: sigmoid (binary), softmax (multiclass) or nothing."""
    return {"binary": "sigmoid", "multiclass": "softmax"}.get(task, "linear")


def build_network(settings: dict[str, Any], n_inputs: int, task: str, n_classes: int) -> Any:
    """The ``nn.Sequential`` the settings describe, initialised from ``settings['init_seed']``."""
    spec = ModelSpec(
        input_size=n_inputs,
        hidden=list(settings["hidden"]),
        output_size=output_size(task, n_classes),
        activation=list(settings["activations"]),
        dropout=settings["dropout"],
        batch_norm=settings["batch_norm"],
        loss=workflow_loss(task, settings["loss"]),
    )
    model = build_model(spec, task)
    initialize(model, settings["init"], settings["init_seed"])
    return model


def linear_layers(model: Any) -> list[Any]:
    """The model's ``Linear`` layers in order: hidden layers first, the output layer last."""
    return [m for m in model if isinstance(m, nn.Linear)]


def initialize(model: Any, scheme: str, seed: int) -> None:
    """Re-draw every Linear layer's weights from a generator seeded with ``seed``.

    ``default`` repeats what ``nn.Linear`` does (PyTorch's default: uniform in
    +-1/sqrt(fan_in) for weights and biases); ``xavier`` is Glorot uniform and ``he`` is
    Kaiming normal for ReLU, both with zero biases. A private generator, not the global one,
    so that sessions in other threads cannot change each other's weights.
    """
    gen = nerve.Generator().manual_seed(seed)
    with nerve.no_grad():
        for layer in linear_layers(model):
            if scheme == "xavier":
                nn.init.xavier_uniform_(layer.weight, generator=gen)
                nn.init.zeros_(layer.bias)
            elif scheme == "he":
                nn.init.kaiming_normal_(layer.weight, nonlinearity="relu", generator=gen)
                nn.init.zeros_(layer.bias)
            else:
                nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=gen)
                bound = 1.0 / math.sqrt(layer.in_features)
                nn.init.uniform_(layer.bias, -bound, bound, generator=gen)


def transplant(old: Any, new: Any) -> bool:
    """Copy the parameters of ``old`` into ``new`` where the layers match in shape.

    Used when a change keeps the weights' shapes (an activation, dropout, batch normalisation
    on or off), so that training goes on from where it was. Returns whether every Linear layer
    was copied.
    """
    old_layers = [m for m in old if isinstance(m, (nn.Linear, nn.BatchNorm1d))]
    new_layers = [m for m in new if isinstance(m, (nn.Linear, nn.BatchNorm1d))]
    old_lin, new_lin = linear_layers(old), linear_layers(new)
    complete = len(old_lin) == len(new_lin) and all(
        a.weight.shape == b.weight.shape for a, b in zip(old_lin, new_lin)
    )
    if not complete:
        return False
    old_bn = [m for m in old_layers if isinstance(m, nn.BatchNorm1d)]
    new_bn = [m for m in new_layers if isinstance(m, nn.BatchNorm1d)]
    pairs = list(zip(old_lin, new_lin))
    if len(old_bn) == len(new_bn):
        pairs += list(zip(old_bn, new_bn))
    for src, dst in pairs:
        dst.load_state_dict(src.state_dict())
    return True


class SoftmaxMSELoss(nn.Module):
    """Squared error between the softmax of k logits and the one-hot target.

    The lecture's contrast for multi-class data: the same network trained with MSE instead of
    cross entropy (whose gradients are better behaved).
    """

    def __init__(self, n_classes: int) -> None:
        super().__init__()
        self.n_classes = n_classes

    def forward(self, input: Any, target: Any) -> Any:
        one_hot = F.one_hot(target, self.n_classes).to(input.dtype)
        return F.mse_loss(F.softmax(input, dim=1), one_hot)


def build_criterion(task: str, loss: str, n_classes: int, weights: np.ndarray | None) -> Any:
    """The loss module; ``weights`` (one per class) weight the cross entropy when given."""
    if task == "multiclass" and loss == "mse":
        return SoftmaxMSELoss(n_classes)
    name = workflow_loss(task, loss)
    use_weights = weights is not None and name in ("bce", "cross_entropy")
    return build_loss(task, name, weights if use_weights else None)


def target_tensor(y: np.ndarray, task: str) -> Any:
    """Targets as the loss expects them: class indices for k logits, else a float column."""
    if task == "multiclass":
        return nerve.from_numpy(np.ascontiguousarray(y, dtype=np.int64))
    return nerve.from_numpy(np.asarray(y, dtype=np.float32).reshape(-1, 1))


def optimizer_config(settings: dict[str, Any]) -> RunConfig:
    """The workflow's ``[optimizer]``, ``[schedule]`` and weight decay for the page's choices:
    SGD, SGD with momentum 0.9 or Adam; a step schedule halving the rate every
    ``schedule_epochs`` epochs, or a cosine over ``schedule_epochs`` epochs."""
    values: dict[str, Any] = {
        "optimizer.name": "adam" if settings["optimizer"] == "adam" else "sgd",
        "optimizer.lr": settings["lr"],
        "optimizer.momentum": MOMENTUM if settings["optimizer"] == "momentum" else 0.0,
        "regularization.weight_decay": settings["weight_decay"],
        "schedule.name": settings["schedule"],
    }
    if settings["schedule"] == "step":
        values |= {"schedule.step_size": settings["schedule_epochs"], "schedule.gamma": STEP_GAMMA}
    elif settings["schedule"] == "cosine":
        values["schedule.t_max"] = settings["schedule_epochs"]
    return RunConfig().override(values, where="playground", parse_strings=False)


def build_optimizer(model: Any, settings: dict[str, Any]) -> Any:
    """The workflow's optimizer for the page's choices, over ``model``'s parameters."""
    return optimize.build_optimizer(optimizer_config(settings), model.parameters())


def build_scheduler(optimizer: Any, settings: dict[str, Any], epoch: int) -> Any:
    """The workflow's learning-rate schedule, positioned at ``epoch`` (None for a constant rate).

    Built anew whenever the rate or the schedule changes, so that a rate changed during
    training becomes the schedule's new starting rate instead of a reset.
    """
    for group in optimizer.param_groups:
        group["lr"] = group["initial_lr"] = settings["lr"]
        group["weight_decay"] = settings["weight_decay"]
    sched = optimize.build_scheduler(optimizer_config(settings), optimizer, steps_per_epoch=1)
    if sched is not None:
        sched.step(epoch)  # the closed form: jump straight to the current epoch
    return sched


def forward_collect(model: Any, x: Any) -> tuple[Any, list[Any]]:
    """Run ``model`` on ``x`` once and return its output and every hidden layer's activations.

    A hidden layer's activations are what enters the next Linear layer (after its activation
    function, batch normalisation and dropout), so they are exactly what the next weights
    multiply. With gradients enabled they stay in the graph, which :func:`explain` uses.
    """
    hidden: list[Any] = []
    h = x
    seen_linear = False
    for module in model:
        if isinstance(module, nn.Linear):
            if seen_linear:
                hidden.append(h)
            seen_linear = True
        h = module(h)
    return h, hidden
