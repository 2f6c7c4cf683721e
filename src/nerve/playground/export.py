"""Take the playground home: the trained weights, and the set-up as a runnable script.

Three exports of a session:

* ``safetensors``: the trained ``state_dict`` written by ``nerve.save`` (load it with
  ``model.load_state_dict(nerve.load(path))``, or any safetensors reader);
* ``nerve`` and ``torch``: one Python script, generated from one template, that rebuilds the
  data set (its points are embedded, so clicks and uploads travel too), the features, the
  normalisation, the network (starting from the playground's initial weights), the loss, the
  optimizer, the schedule and the regularisation, trains for as many epochs as the playground
  did, and prints the final loss and accuracy. The two scripts differ only in the module they
  import, which is the point: nerve's API is PyTorch's.
"""

from __future__ import annotations

import base64
import io
import json
import re
from string import Template
from typing import TYPE_CHECKING, Any

import numpy as np

import nerve
from nerve import nn
from nerve.workflow import class_weights

from .dataset import FEATURE_LABELS
from .network import MOMENTUM, STEP_GAMMA

if TYPE_CHECKING:
    from .session import Session

__all__ = ["export_message", "weights_bytes", "script_source"]

DEFAULT_EPOCHS = 200  # when exporting before any training
FEATURE_CODE = {
    "x1": "x1",
    "x2": "x2",
    "x1sq": "x1**2",
    "x2sq": "x2**2",
    "x1x2": "x1 * x2",
    "sin_x1": "np.sin(np.pi * x1)",
    "sin_x2": "np.sin(np.pi * x2)",
}


# What of a user's text may appear as plain words (the docstring, a file name): letters,
# digits and a few harmless marks. Everything else becomes "_", so that no quote, backslash,
# newline or "$" from an uploaded file's name can end a literal or reach the template.
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def plain_text(text: str, limit: int = 40) -> str:
    """``text`` with every character outside ``[A-Za-z0-9_.-]`` replaced by ``_``.

    Example:
        >>> plain_text("x'; import os.csv")
        'x___import_os.csv'
    """
    return _UNSAFE.sub("_", text[:limit]).lstrip(".") or "data"


def export_message(session: Session, fmt: str) -> dict[str, Any]:
    """The ``export`` message for the page: a file name, a MIME type and the content."""
    stem = f"playground_{plain_text(session.points.name)}".replace("-", "_")
    if fmt == "safetensors":
        data = base64.b64encode(weights_bytes(session)).decode("ascii")
        return {
            "type": "export",
            "format": fmt,
            "filename": f"{stem}.safetensors",
            "mime": "application/octet-stream",
            "base64": data,
        }
    return {
        "type": "export",
        "format": fmt,
        "filename": f"{stem}_{fmt}.py",
        "mime": "text/x-python",
        "text": script_source(session, fmt),
    }


def weights_bytes(session: Session) -> bytes:
    """The model's trained ``state_dict`` in the safetensors format, via ``nerve.save``."""
    buffer = io.BytesIO()
    nerve.save(session.model.state_dict(), buffer)
    return buffer.getvalue()


def _module_code(module: Any) -> str:
    if isinstance(module, nn.Linear):
        return f"nn.Linear({module.in_features}, {module.out_features})"
    if isinstance(module, nn.BatchNorm1d):
        return f"nn.BatchNorm1d({module.num_features})"
    if isinstance(module, nn.Dropout):
        return f"nn.Dropout({module.p:g})"
    return f"nn.{type(module).__name__}()"


def _data_rows(session: Session) -> str:
    pts = session.points
    rows = []
    for (x1, x2), y, part in zip(pts.X, pts.y, pts.part):
        label = f"{y:.6g}" if pts.task == "regression" else str(int(y))
        rows.append(f"{x1:.6g},{x2:.6g},{label},{int(part)}")
    return "\n".join(rows)


def _initial_weights(session: Session) -> str:
    """The playground's initial weights and biases, layer by layer, as Python literals."""
    values = session.initial_weights()  # weight, bias, weight, bias ... of each Linear
    layers = []
    for w, b in zip(values[0::2], values[1::2]):
        w_text = json.dumps(np.round(w.astype(np.float64), 6).tolist())
        b_text = json.dumps(np.round(b.astype(np.float64), 6).tolist())
        layers.append(f"    ({w_text},\n     {b_text}),")
    return "[\n" + "\n".join(layers) + "\n]"


def _loss_code(session: Session) -> str:
    """The body of ``loss_fn(output, target)`` for the task, loss and class weights."""
    task, s = session.points.task, session.settings
    weights = None
    if s["class_weights"] and task != "regression" and s["loss"] == "cross_entropy":
        k = session.points.n_classes
        weights = [round(float(w), 6) for w in class_weights(session.training_labels(), k)]
    if task == "regression":
        return "return F.mse_loss(output, target)"
    if task == "multiclass" and s["loss"] == "mse":
        return (
            "# squared error between the softmax and the one-hot target\n"
            "    one_hot = F.one_hot(target, N_CLASSES).to(output.dtype)\n"
            "    return F.mse_loss(F.softmax(output, dim=1), one_hot)"
        )
    if task == "multiclass":
        if weights is None:
            return "return F.cross_entropy(output, target)"
        return f"return F.cross_entropy(output, target, weight=T.tensor({weights}))"
    if s["loss"] == "mse":
        return "return F.mse_loss(output, target)  # squared error on the sigmoid's probability"
    if weights is None:
        return "return F.binary_cross_entropy(output, target)"
    return (
        f"# each sample counts with the weight of its class {weights}\n"
        f"    weight = target * ({weights[1]} - {weights[0]}) + {weights[0]}\n"
        "    return F.binary_cross_entropy(output, target, weight=weight)"
    )


def _optimizer_code(s: dict[str, Any]) -> str:
    wd = s["weight_decay"]
    if s["optimizer"] == "adam":
        return f"T.optim.Adam(model.parameters(), lr=LR, weight_decay={wd:g})"
    momentum = MOMENTUM if s["optimizer"] == "momentum" else 0
    return f"T.optim.SGD(model.parameters(), lr=LR, momentum={momentum:g}, weight_decay={wd:g})"


def _scheduler_code(s: dict[str, Any]) -> str:
    n = s["schedule_epochs"]
    if s["schedule"] == "step":
        return f"T.optim.lr_scheduler.StepLR(optimizer, step_size={n}, gamma={STEP_GAMMA:g})"
    if s["schedule"] == "cosine":
        return f"T.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max={n})"
    return "None"


def _penalty_code(s: dict[str, Any]) -> str:
    rate = s["reg_rate"]
    if s["regularization"] == "l1" and rate:
        return f"{rate:g} * sum(w.abs().sum() for w in weights)"
    if s["regularization"] == "l2" and rate:
        return f"{rate / 2:g} * sum((w * w).sum() for w in weights)"
    return "0.0"


def script_source(session: Session, flavour: str) -> str:
    """A standalone script for ``nerve`` or ``torch`` that repeats the playground's run."""
    s, pts = session.settings, session.points
    module = "nerve" if flavour == "nerve" else "torch"
    epochs = session.epoch or s["max_epochs"] or DEFAULT_EPOCHS
    layers = ",\n        ".join(_module_code(m) for m in session.model)
    feature_list = ", ".join(FEATURE_CODE[f] for f in s["features"])
    monitor = "val" if (pts.part == 1).any() else "test"
    return _TEMPLATE.substitute(
        module=module,
        # torch's thread pool costs more than it saves on layers this small.
        threads="T.set_num_threads(1)\n    " if module == "torch" else "",
        title=f"The nerve playground's {plain_text(pts.name)} network, as a {module} script.",
        # The only place the name appears as it was: a repr, which is always a closed literal.
        name=repr(pts.name),
        describe=_describe(session),
        data=_data_rows(session),
        task=pts.task,
        n_classes=pts.n_classes,
        feature_names=", ".join(FEATURE_LABELS[f] for f in s["features"]),
        feature_list=feature_list,
        normalize=s["normalize"],
        layers=layers,
        initial=_initial_weights(session),
        lr=repr(s["lr"]),
        batch_size=s["batch_size"],
        epochs=epochs,
        loss_body=_loss_code(session),
        optimizer=_optimizer_code(s),
        scheduler=_scheduler_code(s),
        penalty=_penalty_code(s),
        patience=s["patience"] if s["early_stopping"] else "None",
        monitor=monitor,
        seed=s["seed"],
    )


def _describe(session: Session) -> str:
    s, pts = session.settings, session.points
    hidden = " -> ".join(f"{n} {a}" for n, a in zip(s["hidden"], s["activations"]))
    return (
        f"data {plain_text(pts.name)} ({pts.task}, {len(pts.y)} points, "
        f"noise {s['noise']}%), features {', '.join(s['features'])}, hidden layers "
        f"[{hidden or 'none'}], loss {s['loss']}, optimizer {s['optimizer']} lr {s['lr']:g}, "
        f"batch size {s['batch_size']}, {session.epoch} epochs trained in the playground"
    )


_TEMPLATE = Template('''\
"""$title

Generated by `nerve playground`: $describe.

Run it with `python <this file>`. It needs NumPy and $module. The network starts from the
playground's initial weights; the shuffling of the batches differs, so the numbers differ a
little from the playground's.
"""

import io

import numpy as np
import $module as T
from $module import nn
from $module.nn import functional as F

DATA_NAME = $name  # the data set, as the playground named it
TASK = "$task"  # binary, multiclass or regression
N_CLASSES = $n_classes
LR = $lr
BATCH_SIZE = $batch_size
EPOCHS = $epochs
PATIENCE = $patience  # early stopping on the $monitor loss (None: off)
NORMALIZE = $normalize
SEED = $seed

# The points: x1, x2, label (a class, or the target for regression), part (0 train,
# 1 validation, 2 test).
DATA = """\\
$data
"""

# The initial weights and biases of each Linear layer: (weight, bias).
INITIAL = $initial


def load_data():
    table = np.loadtxt(io.StringIO(DATA), delimiter=",", ndmin=2)
    return table[:, :2], table[:, 2], table[:, 3].astype(np.int64)


def features(X):
    """The network's inputs: $feature_names."""
    x1, x2 = X[:, 0], X[:, 1]
    return np.stack([$feature_list], axis=1).astype(np.float32)


def build_model():
    model = nn.Sequential(
        $layers,
    )
    linears = [m for m in model if isinstance(m, nn.Linear)]
    with T.no_grad():
        for layer, (weight, bias) in zip(linears, INITIAL):
            layer.weight.copy_(T.tensor(weight))
            layer.bias.copy_(T.tensor(bias))
    return model


def loss_fn(output, target):
    $loss_body


def penalty(model):
    weights = [m.weight for m in model if isinstance(m, nn.Linear)]
    return $penalty


def targets(y):
    if TASK == "multiclass":
        return T.from_numpy(y.astype(np.int64))
    return T.from_numpy(y.astype(np.float32).reshape(-1, 1))


def evaluate(model, x, y):
    """(loss, accuracy) for classification, (loss, R^2) for regression."""
    model.eval()
    with T.no_grad():
        output = model(T.from_numpy(x))
        loss = loss_fn(output, targets(y)).item()
        out = output.numpy()
    model.train()
    if TASK == "regression":
        residual = ((out[:, 0] - y) ** 2).sum()
        total = ((y - y.mean()) ** 2).sum()
        return loss, 1.0 - residual / total if total > 0 else 0.0
    pred = out.argmax(axis=1) if TASK == "multiclass" else (out[:, 0] > 0.5).astype(np.int64)
    return loss, float((pred == y).mean())


def main():
    ${threads}T.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    X, y, part = load_data()
    inputs = features(X)
    if NORMALIZE:  # standardise with the training part's mean and spread only
        mean, std = inputs[part == 0].mean(axis=0), inputs[part == 0].std(axis=0)
        inputs = ((inputs - mean) / np.where(std > 1e-12, std, 1.0)).astype(np.float32)
    train = np.flatnonzero(part == 0)
    watch = np.flatnonzero(part == (1 if (part == 1).any() else 2))
    model = build_model()
    optimizer = $optimizer
    scheduler = $scheduler
    best, best_epoch, best_state = float("inf"), 0, None
    for epoch in range(1, EPOCHS + 1):
        order = rng.permutation(train)
        for start in range(0, len(order), BATCH_SIZE):
            batch = order[start : start + BATCH_SIZE]
            if len(batch) < 2 and any(isinstance(m, nn.BatchNorm1d) for m in model):
                continue  # batch normalisation needs two samples or more
            optimizer.zero_grad()
            loss = loss_fn(model(T.from_numpy(inputs[batch])), targets(y[batch]))
            (loss + penalty(model)).backward()
            optimizer.step()
        if scheduler is not None:
            scheduler.step()
        if PATIENCE is not None and len(watch):
            watched, _ = evaluate(model, inputs[watch], y[watch])
            if watched < best:
                best, best_epoch = watched, epoch
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            elif epoch - best_epoch >= PATIENCE:
                print(f"early stopping at epoch {epoch}: best $monitor loss at epoch {best_epoch}")
                model.load_state_dict(best_state)
                break
    metric = "R^2" if TASK == "regression" else "accuracy"
    for name, rows in (("train", part == 0), ("validation", part == 1), ("test", part == 2)):
        if rows.any():
            loss, score = evaluate(model, inputs[rows], y[rows])
            print(f"{name}: loss {loss:.4f}  {metric} {score:.4f}")


if __name__ == "__main__":
    main()
''')
