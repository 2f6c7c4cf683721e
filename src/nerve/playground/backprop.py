"""Backpropagation made visible: one training step of the playground's network, number by number.

The lecture's central slide is backpropagation by the chain rule. :func:`trace` takes the
session's network and one training example (or a mini-batch of them) and records, from nerve
itself, everything a learner steps through on the page:

* the forward pass layer by layer: each neuron's weighted sum ``z`` and its activation ``a``;
* the loss (and the L1 / L2 penalty, when the playground adds one);
* the backward pass node by node: ``dL/da``, ``dL/dz`` and ``dL/dw`` and ``dL/db``, read from
  nerve's autograd (``retain_grad`` on every intermediate, the parameters' real ``.grad``), and
  ``f'(z)``, the activation's local derivative, also from autograd;
* the update ``w <- w - lr * g`` taken by ``nerve.optim.SGD`` and the new loss on the same
  examples.

Nothing here changes the session: the trace runs on a float64 copy of the network (float64 so
that the shown numbers and the finite-difference checks in the tests agree to many digits).
Dropout is switched off, as in the drawn surface; batch normalisation is refused, because its
step mixes the examples of a batch and the page's diagram has no place for it.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np

import nerve
from nerve import nn
from nerve.workflow import class_weights

from .dataset import TRAIN
from .network import build_criterion, linear_layers, output_activation, target_tensor
from .protocol import ProtocolError

__all__ = ["trace", "session_trace", "MAX_BATCH"]

MAX_BATCH = 30  # the page's batch-size limit: a trace never holds more examples than this


def _np(t: Any) -> np.ndarray:
    return t.detach().numpy().astype(np.float64)


def _rows(arr: np.ndarray) -> list[list[float]]:
    """A 2-D array as JSON lists (non-finite values become None on the wire)."""
    return np.asarray(arr, dtype=np.float64).tolist()


def _check_model(model: Any) -> None:
    if any(isinstance(m, nn.BatchNorm1d) for m in model):
        raise ProtocolError(
            "backprop: stepping through backpropagation covers Linear layers and their "
            "activations, not batch normalization; turn batch normalization off to step through"
        )
    for p in model.parameters():
        if not np.isfinite(p.detach().numpy()).all():
            raise ProtocolError(
                "backprop: the network's weights are no longer numbers (training diverged); "
                "press reset first"
            )


def _forward(model: Any, x: Any) -> tuple[list[Any], list[Any], Any]:
    """Run the layers one by one; return every layer's z and a (inputs first) and the output.

    ``zs[l]`` and ``acts[l]`` belong to layer ``l`` (0: the inputs, which have no z). The
    output layer's ``a`` is what the loss reads: the Sigmoid's probability for a binary
    network, the logits themselves for k classes (softmax is inside the loss) and the value
    for regression.
    """
    zs: list[Any] = [None]
    acts: list[Any] = [x]
    h = x
    for module in model:
        if isinstance(module, nn.Dropout):
            continue  # eval mode: dropout passes values through
        h = module(h)
        if isinstance(module, nn.Linear):
            h.retain_grad()
            zs.append(h)
            acts.append(h)  # replaced below when an activation follows
        else:
            h.retain_grad()
            acts[-1] = h
    return zs, acts, h


def _local_derivatives(zs: list[Any], acts: list[Any]) -> list[np.ndarray | None]:
    """``f'(z)`` of each layer from autograd: the activations act elementwise, so the
    gradient of ``sum(a)`` with respect to ``z`` is exactly the diagonal of da/dz."""
    out: list[np.ndarray | None] = [None]
    for z, a in zip(zs[1:], acts[1:]):
        if a is z:
            out.append(np.ones(tuple(z.shape)))  # no activation: the identity
            continue
        (d,) = nerve.autograd.grad(a.sum(), z, retain_graph=True)
        out.append(_np(d))
    return out


def _penalty(model: Any, l1: float, l2: float) -> Any:
    """The playground's L1 / L2 penalty on the weight matrices (biases are not penalised)."""
    total: Any = 0.0
    for layer in linear_layers(model):
        if l1 > 0:
            total = total + l1 * layer.weight.abs().sum()
        if l2 > 0:
            total = total + 0.5 * l2 * (layer.weight * layer.weight).sum()
    return total


def trace(
    model: Any,
    criterion: Any,
    inputs: np.ndarray,
    targets: np.ndarray,
    task: str,
    *,
    lr: float,
    weight_decay: float = 0.0,
    l1: float = 0.0,
    l2: float = 0.0,
) -> dict[str, Any]:
    """One step of gradient descent on ``inputs`` (n, features), recorded number by number.

    ``model`` is a ``Sequential`` of Linear layers and activations (optionally dropout and a
    final Sigmoid) and is left unchanged; ``criterion`` maps (output, target) to the mean loss.
    Returns the forward values (``z``, ``a`` per layer and example), the loss, the gradients
    ``da``, ``dz`` (per example), ``f'(z)``, ``gw``, ``gb`` (summed over the batch, as
    ``.grad`` holds them), the penalty's share of ``gw``, the new weights after one
    ``nerve.optim.SGD`` step and the loss after it.

    Example:
        >>> import numpy as np, nerve
        >>> from nerve import nn
        >>> net = nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 1), nn.Sigmoid())
        >>> t = trace(net, nn.BCELoss(), np.zeros((1, 2)), np.ones(1), "binary", lr=0.1)
        >>> t["sizes"], len(t["layers"])
        ([2, 2, 1], 3)
    """
    _check_model(model)
    net = copy.deepcopy(model).double()
    net.eval()
    x = nerve.from_numpy(np.ascontiguousarray(inputs, dtype=np.float64))
    y = target_tensor(np.asarray(targets), task)
    if task != "multiclass":
        y = y.double()
    with nerve.enable_grad():
        zs, acts, out = _forward(net, x)
        data_loss = criterion(out, y)
        penalty = _penalty(net, l1, l2)
        total = data_loss + penalty
        total.backward(retain_graph=True)
        # Copied now, before f'(z) asks autograd again on the same graph.
        grads = [
            (_np(z.grad), None if a.grad is None else _np(a.grad)) for z, a in zip(zs[1:], acts[1:])
        ]
        grads_w = [(_np(m.weight.grad), _np(m.bias.grad)) for m in linear_layers(net)]
        fprime = _local_derivatives(zs, acts)
    layers_lin = linear_layers(net)
    w_old = [_np(m.weight) for m in layers_lin]
    b_old = [_np(m.bias) for m in layers_lin]
    layers: list[dict[str, Any]] = [{"a": _rows(_np(x))}]
    for l in range(1, len(zs)):
        dz, da = grads[l - 1]
        entry = {"z": _rows(_np(zs[l])), "a": _rows(_np(acts[l])), "dz": _rows(dz)}
        entry["da"] = _rows(da) if da is not None else None
        entry["fprime"] = _rows(fprime[l]) if fprime[l] is not None else None
        layers.append(entry)
    if task == "multiclass":
        # The loss reads the logits (softmax is inside it): there is no separate dL/da or
        # f'(z) at the output, only dL/dz = (p - onehot) / n; p is shown beside the logits.
        layers[-1].update(da=None, fprime=None, p=_rows(_np(nerve.softmax(out, dim=1))))
    params = []
    for k in range(len(layers_lin)):
        pen = np.zeros_like(w_old[k])
        if l1 > 0:
            pen += l1 * np.sign(w_old[k])
        if l2 > 0:
            pen += l2 * w_old[k]
        params.append(
            {
                "w": _rows(w_old[k]),
                "b": b_old[k].tolist(),
                "gw": _rows(grads_w[k][0]),
                "gb": grads_w[k][1].tolist(),
                # Only sent with a penalty: the page then writes dL/dw as chain + penalty.
                "gw_penalty": _rows(pen) if l1 > 0 or l2 > 0 else None,
            }
        )
    # The update: the real optimizer, plain gradient descent (with torch's weight decay term).
    opt = nerve.optim.SGD(net.parameters(), lr=lr, weight_decay=weight_decay)
    opt.step()
    with nerve.no_grad():
        new_out = net(x)
        new_loss = float(criterion(new_out, y).item())
        new_total = new_loss + float(_penalty(net, l1, l2))
    for k, m in enumerate(layers_lin):
        params[k]["w_new"] = _rows(_np(m.weight))
        params[k]["b_new"] = _np(m.bias).tolist()
    return {
        "type": "backprop",
        "task": task,
        "sizes": [int(x.shape[1]), *(m.out_features for m in layers_lin)],
        "layers": layers,
        "params": params,
        "loss": float(data_loss.item()),
        "penalty": float(penalty.item()) if hasattr(penalty, "item") else 0.0,
        "total": float(total.item()),
        "new_loss": new_loss,
        "new_total": new_total,
        "lr": lr,
        "weight_decay": weight_decay,
        "l1": l1,
        "l2": l2,
    }


def _loss_description(task: str, loss: str, weighted: bool) -> str:
    if task == "regression":
        name = "squared error: L = mean (ŷ − y)²"
    elif task == "binary" and loss == "cross_entropy":
        name = "binary cross entropy: L = −mean [y log p + (1 − y) log(1 − p)]"
    elif task == "binary":
        name = "squared error on the probability: L = mean (p − y)²"
    elif loss == "cross_entropy":
        name = "cross entropy of the softmax: L = −mean log p_y"
    else:
        name = "squared error of the softmax and the one-hot target: L = mean (p − onehot)²"
    return name + (" (each example weighted by its class)" if weighted else "")


def session_trace(session: Any, example: int, batch: bool) -> dict[str, Any]:
    """The trace for a playground session: training example ``example``, or with ``batch``
    a mini-batch of ``batch_size`` training examples starting there (wrapping around)."""
    train_y = session.training_labels()
    n = len(train_y)
    if n == 0:
        raise ProtocolError("backprop: there are no training points to step through")
    if not 0 <= example < n:
        raise ProtocolError(
            f"backprop: example must be a training point's number, 0 to {n - 1}; got {example}"
        )
    s = session.settings
    size = min(s["batch_size"], n, MAX_BATCH) if batch else 1
    idx = (example + np.arange(size)) % n
    pts = session.points
    coords = pts.X[pts.indices(TRAIN)][idx]  # the same rows as the session's training inputs
    weights = None
    if s["class_weights"] and pts.task != "regression":
        weights = class_weights(train_y, pts.n_classes)
    criterion = build_criterion(pts.task, s["loss"], pts.n_classes, weights)
    kind, rate = s["regularization"], s["reg_rate"]
    lr = float(session.optimizer.param_groups[0]["lr"])
    result = trace(
        session.model,
        criterion,
        session.inputs(coords),
        train_y[idx],
        pts.task,
        lr=lr,
        weight_decay=s["weight_decay"],
        l1=rate if kind == "l1" else 0.0,
        l2=rate if kind == "l2" else 0.0,
    )
    notes = []
    if s["optimizer"] != "sgd":
        name = "SGD with momentum" if s["optimizer"] == "momentum" else "Adam"
        notes.append(
            f"Training uses {name}, whose step also remembers past gradients; shown here is "
            "the plain gradient-descent step w ← w − lr·g"
        )
    if s["dropout"] > 0:
        notes.append("Dropout is switched off in this trace, as in the drawn surface")
    names = session.unit_names()
    result.update(
        epoch=session.epoch,  # the weights traced are those of this epoch
        class_names=list(pts.class_names),
        examples=idx.tolist(),
        n_train=n,
        batch=batch,
        points=_rows(coords),
        targets=np.asarray(train_y[idx], dtype=np.float64).tolist(),
        names=names,
        activations=[*s["activations"], output_activation(pts.task)],
        loss_name=_loss_description(pts.task, s["loss"], weights is not None),
        notes=notes,
    )
    for key in ("loss", "penalty", "total", "new_loss", "new_total"):
        if not math.isfinite(result[key]):
            result[key] = None
    return _short(result)


DIGITS = 7  # significant digits sent to the page


def _round_sig(arr: np.ndarray) -> np.ndarray:
    """``arr`` rounded to DIGITS significant digits, vectorised: the scaled values are
    rounded to whole numbers and scaled back by an exact power of ten, so that each result is
    the double nearest a short decimal and JSON writes it short."""
    mag = np.floor(np.log10(np.where(arr == 0, 1.0, np.abs(arr))))
    shift = np.clip(DIGITS - 1 - mag, -300, 300).astype(np.int64)  # 10.0**301 overflows
    up = shift >= 0  # multiply and divide by 10**shift; else by 10**-shift the other way
    scale = 10.0 ** np.abs(shift)
    return np.where(up, np.round(arr * scale) / scale, np.round(arr / scale) * scale)


def _short(value: Any) -> Any:
    """Every float to DIGITS significant digits, so that a trace of the largest network (10
    layers of 32 neurons, a batch of 30) stays under a megabyte on the wire; nothing the page
    shows needs more digits. Non-finite values become None (JSON has no NaN)."""
    if isinstance(value, float):
        return float(f"{value:.{DIGITS}g}") if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _short(v) for k, v in value.items()}
    if isinstance(value, list):
        if value and isinstance(value[0], (list, float)):
            try:
                arr = np.asarray(value, dtype=np.float64)
            except (TypeError, ValueError):  # ragged or mixed: item by item
                arr = None
            if arr is not None and np.isfinite(arr).all():
                return _round_sig(arr).tolist()
        return [_short(v) for v in value]
    return value
