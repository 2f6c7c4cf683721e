"""The workloads' MLP written out in NumPy with PyTorch's formulas and preallocated buffers: the
floor for an engine that keeps torch's semantics, as a replay of the whole training step could
at best run it.

Unlike the plain hand-written MLP in workloads.py (``numpy``), it computes what torch (and
nerve) compute: weights stored (out, in); BCELoss checks that its input and target lie in
[0, 1] and clamps its logs at -100, its gradient is torch's (p - y) / max(p (1 - p), 1e-12)
followed by the sigmoid's p (1 - p); CrossEntropyLoss goes through a stable log-softmax; SGD's
momentum buffer starts as the first gradient; Adam uses torch's lerp and bias corrections.
Every intermediate of the forward is written into a buffer made once (out= arguments), and so
are the gradients of the layers' outputs: only what depends on the batch size (the last, short
batch) is a view of them. What remains per step is NumPy's own cost per call.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

try:  # SciPy's sigmoid, as nerve's uses when SciPy is installed (scikit-learn brings it)
    from scipy.special import expit
except ImportError:  # pragma: no cover - the bench and test extras install SciPy

    def expit(x: np.ndarray) -> np.ndarray:
        return 1 / (1 + np.exp(-x))


class _Layers:
    """Weights (out, in), biases, their gradients and optimizer state, and the buffers."""

    def __init__(self, sizes: tuple[int, ...], batch: int, rng: np.random.Generator) -> None:
        f = np.float32
        self.weights, self.biases = [], []
        for fan_in, fan_out in zip(sizes, sizes[1:]):
            bound = 1 / np.sqrt(fan_in)
            self.weights.append(rng.uniform(-bound, bound, (fan_out, fan_in)).astype(f))
            self.biases.append(rng.uniform(-bound, bound, fan_out).astype(f))
        self.params = [p for pair in zip(self.weights, self.biases) for p in pair]
        self.grads = [np.empty_like(p) for p in self.params]
        self.first = [np.zeros_like(p) for p in self.params]  # momentum, or Adam's moments
        self.second = [np.zeros_like(p) for p in self.params]
        self.work = [np.empty_like(p) for p in self.params]
        self.outputs = [np.empty((batch, n), f) for n in sizes[1:]]  # each layer's output
        self.grad_outputs = [np.empty((batch, n), f) for n in sizes[1:]]
        self.zeros = [np.zeros((batch, n), f) for n in sizes[1:]]  # ReLU: maximum vectorizes
        self.ones = np.ones(batch, f)
        self.steps = 0


def _forward(layers: _Layers, x: np.ndarray) -> list[np.ndarray]:
    """Each layer's output for the batch ``x`` (views of the buffers), ReLU between layers."""
    m, last = len(x), len(layers.weights) - 1
    outs, h = [], x
    for i, (w, b) in enumerate(zip(layers.weights, layers.biases)):
        out = layers.outputs[i][:m]
        np.dot(h, w.T, out=out)
        out += b
        if i < last:
            np.maximum(out, layers.zeros[i][:m], out=out)
        outs.append(out)
        h = out
    return outs


def _bce(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Sigmoid then BCELoss (mean) as torch computes them; the loss and d loss / d logits."""
    p = expit(logits)
    low, high = float(p.min()), float(p.max())
    if low < 0 or high > 1 or float(y.min()) < 0 or float(y.max()) > 1:
        raise ValueError("BCELoss takes probabilities and targets in [0, 1]")
    log_p, log_q = np.log(p), np.log1p(-p)
    if not (low > 1e-43 and high < 1):  # torch clamps the logs at -100
        np.maximum(log_p, -100, out=log_p)
        np.maximum(log_q, -100, out=log_q)
    log_p -= log_q
    log_p *= y
    log_p += log_q
    loss = -float(log_p.sum()) / p.size
    spread = p * (1 - p)
    grad = (p - y) / np.maximum(spread, 1e-12)
    grad *= 1 / p.size
    grad *= spread  # the sigmoid's backward
    return loss, grad


def _cross_entropy(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """CrossEntropyLoss (mean) through a stable log-softmax; the loss and its gradient."""
    log_p = logits - logits.max(axis=1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(axis=1, keepdims=True))
    rows = np.arange(len(y))
    loss = -float(log_p[rows, y].sum()) / len(y)
    grad = np.exp(log_p)
    grad[rows, y] -= 1
    grad *= 1 / len(y)
    return loss, grad


def _backward(layers: _Layers, x: np.ndarray, outs: list[np.ndarray], grad: np.ndarray) -> None:
    """The gradients of the weights and biases into ``layers.grads``."""
    m = len(x)
    for i in range(len(layers.weights) - 1, -1, -1):
        below = outs[i - 1] if i else x
        np.dot(grad.T, below, out=layers.grads[2 * i])
        np.dot(layers.ones[:m], grad, out=layers.grads[2 * i + 1])
        if i:
            g_below = layers.grad_outputs[i - 1][:m]
            np.dot(grad, layers.weights[i], out=g_below)
            g_below *= below != 0  # ReLU's backward
            grad = g_below


def _update(layers: _Layers, optimizer: str, lr: float) -> None:
    layers.steps += 1
    step = layers.steps
    for p, g, m, v, work in zip(
        layers.params, layers.grads, layers.first, layers.second, layers.work
    ):
        if optimizer == "adam":
            np.subtract(g, m, out=work)  # m.lerp_(g, 0.1)
            work *= 0.1
            m += work
            v *= 0.999
            np.multiply(g, g, out=work)
            work *= 0.001
            v += work
            np.sqrt(v, out=work)
            work /= np.sqrt(1 - 0.999**step)
            work += 1e-8
            np.divide(m, work, out=work)
            work *= lr / (1 - 0.9**step)
            p -= work
        elif optimizer == "momentum":
            if step == 1:
                m[...] = g
            else:
                m *= 0.9
                m += g
            np.multiply(m, lr, out=work)
            p -= work
        else:
            np.multiply(g, lr, out=work)
            p -= work


def train_numpy_exact(workload: Any, data: tuple[np.ndarray, ...], epochs: int) -> dict[str, Any]:
    """Train ``workload`` for ``epochs``; seconds per epoch, steps per epoch, test accuracy."""
    from workloads import shuffled_batches

    rng = np.random.default_rng(0)
    x_train, y_train, x_test, y_test = data
    n, size = len(x_train), workload.batch_size
    layers = _Layers(workload.sizes, size, rng)
    loss_of = _bce if workload.loss == "bce" else _cross_entropy
    epoch_seconds = []
    for _ in range(epochs):
        start = time.perf_counter()
        for index in shuffled_batches(rng, n, size):
            xb, yb = x_train[index], y_train[index]
            outs = _forward(layers, xb)
            loss, grad = loss_of(outs[-1], yb)
            _backward(layers, xb, outs, grad)
            _update(layers, workload.optimizer, workload.lr)
        epoch_seconds.append(time.perf_counter() - start)
    logits = x_test
    for i, (w, b) in enumerate(zip(layers.weights, layers.biases)):
        logits = logits @ w.T + b
        if i < len(layers.weights) - 1:
            logits = np.maximum(logits, 0)
    predicted = (logits > 0).astype(np.float32) if workload.loss == "bce" else logits.argmax(1)
    return {
        "epoch_seconds": epoch_seconds,
        "steps_per_epoch": -(-n // size),
        "accuracy": float((predicted == y_test).mean()),
    }
