"""The three training workloads of the speed benchmark, written once against the torch API
(so the same code runs on nerve and on PyTorch), plus a hand-written NumPy MLP with no
autograd: the limit of what a NumPy engine can reach, and, when jax is installed, the same
MLP in JAX with a jit-compiled training step (an optional, compiled reference point).

W1, the lecture's network: 2-8-1 (ReLU hidden, Sigmoid output), BCELoss, SGD lr 0.01,
    1,000 XOR-style points, batch 32.
W2, digits: scikit-learn's digits standardized, 80/20 split, 64-128-64-10,
    CrossEntropyLoss, Adam lr 1e-3, batch 64.
W3, wide: synthetic float32 data, 784-1024-1024-10, CrossEntropyLoss, SGD momentum 0.9,
    batch 256.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Workload:
    name: str
    sizes: tuple[int, ...]
    loss: str  # "bce" (sigmoid output) or "ce"
    optimizer: str  # "sgd", "adam" or "momentum"
    lr: float
    batch_size: int


WORKLOADS = {
    "W1": Workload("W1", (2, 8, 1), "bce", "sgd", 0.01, 32),
    "W2": Workload("W2", (64, 128, 64, 10), "ce", "adam", 1e-3, 64),
    "W3": Workload("W3", (784, 1024, 1024, 10), "ce", "momentum", 0.01, 256),
}


def make_data(name: str, quick: bool = False) -> tuple[np.ndarray, ...]:
    """(x_train, y_train, x_test, y_test) as NumPy arrays, the same for every engine."""
    rng = np.random.default_rng(0)
    if name == "W1":
        x = rng.uniform(-1, 1, (1000, 2)).astype(np.float32)
        y = ((x[:, 0] * x[:, 1]) > 0).astype(np.float32)[:, None]
        return x, y, x, y
    if name == "W2":
        from sklearn.datasets import load_digits

        digits = load_digits()
        x, y = digits.data.astype(np.float32), digits.target.astype(np.int64)
        order = rng.permutation(len(x))
        cut = int(0.8 * len(x))
        mean, std = x[order[:cut]].mean(0), x[order[:cut]].std(0)
        std[std == 0] = 1
        x = (x - mean) / std
        return x[order[:cut]], y[order[:cut]], x[order[cut:]], y[order[cut:]]
    n = 512 if quick else 4096
    x = rng.standard_normal((n + 1024, 784)).astype(np.float32)
    teacher = rng.standard_normal((784, 10)).astype(np.float32)
    y = (x @ teacher).argmax(1).astype(np.int64)  # a learnable synthetic task
    return x[:n], y[:n], x[n:], y[n:]


# Engine names: a library ("nerve", "torch"), or a library with its model compiled
# ("nerve_replayed": nerve.compile, which replays a recorded forward; "torch_compiled":
# torch.compile, TorchInductor's generated C++ on the CPU).
COMPILED = {"nerve_replayed": "nerve", "torch_compiled": "torch"}


@dataclass
class Setup:
    """What a user's script builds before the loop, through the torch API of ``engine``."""

    engine: Any
    model: Any  # what the loop calls: the model, or the compiled model
    plain: Any  # the model itself (evaluated after training, so torch.compile need not
    # compile a no_grad program too)
    loss_fn: Any
    optimizer: Any
    loader: Any
    test: tuple[Any, Any]


def build(engine_name: str, workload: Workload, data: tuple[np.ndarray, ...]) -> Setup:
    """The model, loss, optimizer and DataLoader of ``workload``, as a user writes them."""
    library = COMPILED.get(engine_name, engine_name)
    engine: Any = importlib.import_module(library)
    nn: Any = importlib.import_module(library + ".nn")
    data_utils: Any = importlib.import_module(library + ".utils.data")
    engine.manual_seed(0)
    layers: list[Any] = []
    for i, (fan_in, fan_out) in enumerate(zip(workload.sizes, workload.sizes[1:])):
        layers.append(nn.Linear(fan_in, fan_out))
        if i < len(workload.sizes) - 2:
            layers.append(nn.ReLU())
    if workload.loss == "bce":
        layers.append(nn.Sigmoid())
    model = nn.Sequential(*layers)
    loss_fn = nn.BCELoss() if workload.loss == "bce" else nn.CrossEntropyLoss()
    if workload.optimizer == "adam":
        optimizer = engine.optim.Adam(model.parameters(), lr=workload.lr)
    else:
        momentum = 0.9 if workload.optimizer == "momentum" else 0.0
        optimizer = engine.optim.SGD(model.parameters(), lr=workload.lr, momentum=momentum)
    x_train, y_train, x_test, y_test = (engine.from_numpy(a) for a in data)
    loader = data_utils.DataLoader(
        data_utils.TensorDataset(x_train, y_train), batch_size=workload.batch_size, shuffle=True
    )
    compiled = engine.compile(model) if engine_name in COMPILED else model
    return Setup(engine, compiled, model, loss_fn, optimizer, loader, (x_test, y_test))


def train_framework(
    engine_name: str, workload: Workload, data: tuple[np.ndarray, ...], epochs: int
) -> dict[str, Any]:
    """Train with nerve or torch through the public API, exactly as a user writes the loop
    (with the model compiled, for the engines in ``COMPILED``)."""
    setup = build(engine_name, workload, data)
    model, loss_fn, optimizer, loader = setup.model, setup.loss_fn, setup.optimizer, setup.loader
    x_test, y_test = setup.test
    epoch_seconds = []
    for _ in range(epochs):
        start = time.perf_counter()
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            loss.item()
        epoch_seconds.append(time.perf_counter() - start)
    with setup.engine.no_grad():
        out = setup.plain(x_test)
        predicted = (out > 0.5).float() if workload.loss == "bce" else out.argmax(dim=1)
        accuracy = (predicted == y_test).float().mean().item()
    return {"epoch_seconds": epoch_seconds, "steps_per_epoch": len(loader), "accuracy": accuracy}


def shuffled_batches(rng: np.random.Generator, n: int, size: int) -> Iterator[np.ndarray]:
    """The row indices of each batch of one epoch, in a new random order."""
    order = rng.permutation(n)
    for first in range(0, n, size):
        yield order[first : first + size]


def train_numpy(workload: Workload, data: tuple[np.ndarray, ...], epochs: int) -> dict[str, Any]:
    """A hand-written MLP: forward, backward and update written out with NumPy, no autograd."""
    rng = np.random.default_rng(0)
    weights, biases = [], []
    for fan_in, fan_out in zip(workload.sizes, workload.sizes[1:]):
        bound = 1 / np.sqrt(fan_in)
        weights.append(rng.uniform(-bound, bound, (fan_in, fan_out)).astype(np.float32))
        biases.append(rng.uniform(-bound, bound, fan_out).astype(np.float32))
    params = [p for pair in zip(weights, biases) for p in pair]
    slots = [np.zeros_like(p) for p in params]
    second = [np.zeros_like(p) for p in params]
    x_train, y_train, x_test, y_test = data
    n, size, step = len(x_train), workload.batch_size, 0

    def forward(x: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        activations = [x]
        for i, (w, b) in enumerate(zip(weights, biases)):
            x = x @ w + b
            if i < len(weights) - 1:
                x = np.maximum(x, 0)
            activations.append(x)
        return x, activations

    epoch_seconds = []
    for _ in range(epochs):
        start = time.perf_counter()
        for index in shuffled_batches(rng, n, size):
            xb, yb = x_train[index], y_train[index]
            out, activations = forward(xb)
            if workload.loss == "bce":
                p = 1 / (1 + np.exp(-out))
                loss = -np.mean(yb * np.log(p + 1e-7) + (1 - yb) * np.log(1 - p + 1e-7))
                grad = (p - yb) / len(xb)
            else:
                shifted = out - out.max(1, keepdims=True)
                e = np.exp(shifted)
                probs = e / e.sum(1, keepdims=True)
                loss = -np.mean(np.log(probs[np.arange(len(yb)), yb]))
                grad = probs
                grad[np.arange(len(yb)), yb] -= 1
                grad /= len(xb)
            grads: list[np.ndarray] = []
            for i in range(len(weights) - 1, -1, -1):
                grads[:0] = [activations[i].T @ grad, grad.sum(0)]
                if i:
                    grad = (grad @ weights[i].T) * (activations[i] > 0)
            step += 1
            for p, g, m, v in zip(params, grads, slots, second):
                if workload.optimizer == "adam":
                    m += 0.1 * (g - m)
                    v *= 0.999
                    v += 0.001 * g * g
                    p -= (
                        (workload.lr / (1 - 0.9**step))
                        * m
                        / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
                    )
                elif workload.optimizer == "momentum":
                    m *= 0.9
                    m += g
                    p -= workload.lr * m
                else:
                    p -= workload.lr * g
            float(loss)
        epoch_seconds.append(time.perf_counter() - start)
    out, _ = forward(x_test)
    predicted = (out > 0).astype(np.float32) if workload.loss == "bce" else out.argmax(1)
    return {
        "epoch_seconds": epoch_seconds,
        "steps_per_epoch": -(-n // size),
        "accuracy": float((predicted == y_test).mean()),
    }


def train_jax(workload: Workload, data: tuple[np.ndarray, ...], epochs: int) -> dict[str, Any]:
    """The same MLP in JAX: one jit-compiled step (forward, loss, value_and_grad, update), with
    SGD, momentum SGD and Adam written out with torch's semantics. jax is optional: imported
    here only."""
    import jax
    import jax.numpy as jnp

    key = jax.random.PRNGKey(0)
    params = []
    for fan_in, fan_out in zip(workload.sizes, workload.sizes[1:]):
        bound = 1 / np.sqrt(fan_in)
        key, key_w, key_b = jax.random.split(key, 3)
        params.append(jax.random.uniform(key_w, (fan_in, fan_out), jnp.float32, -bound, bound))
        params.append(jax.random.uniform(key_b, (fan_out,), jnp.float32, -bound, bound))
    # momentum buffers (a zero buffer makes the first step buf = grad, as torch does) or
    # Adam's first moments; Adam's second moments; the step count
    state = (
        [jnp.zeros_like(p) for p in params],
        [jnp.zeros_like(p) for p in params],
        jnp.zeros((), jnp.float32),
    )
    lr, layers = workload.lr, len(params) // 2

    def forward(params: list[Any], x: Any) -> Any:
        for i in range(layers):
            x = x @ params[2 * i] + params[2 * i + 1]
            if i < layers - 1:
                x = jnp.maximum(x, 0)
        return x

    def loss_fn(params: list[Any], x: Any, y: Any) -> Any:
        out = forward(params, x)
        if workload.loss == "bce":
            # BCELoss on sigmoid(out), in the log-sigmoid form, logs clamped at -100 as torch's
            log_p = jnp.maximum(jax.nn.log_sigmoid(out), -100.0)
            log_not_p = jnp.maximum(jax.nn.log_sigmoid(-out), -100.0)
            return -jnp.mean(y * log_p + (1 - y) * log_not_p)
        log_probs = jax.nn.log_softmax(out, axis=1)
        return -jnp.mean(jnp.take_along_axis(log_probs, y[:, None], axis=1))

    @jax.jit
    def train_step(params: list[Any], state: tuple[Any, ...], x: Any, y: Any) -> Any:
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
        moments, squares, step = state
        step = step + 1
        if workload.optimizer == "adam":
            moments = [0.9 * m + 0.1 * g for m, g in zip(moments, grads)]
            squares = [0.999 * v + 0.001 * g * g for v, g in zip(squares, grads)]
            step_size = lr / (1 - 0.9**step)
            root_correction = jnp.sqrt(1 - 0.999**step)
            params = [
                p - step_size * m / (jnp.sqrt(v) / root_correction + 1e-8)
                for p, m, v in zip(params, moments, squares)
            ]
        elif workload.optimizer == "momentum":
            moments = [0.9 * buf + g for buf, g in zip(moments, grads)]
            params = [p - lr * buf for p, buf in zip(params, moments)]
        else:
            params = [p - lr * g for p, g in zip(params, grads)]
        return params, (moments, squares, step), loss

    x_train, y_train, x_test, y_test = data
    if workload.loss == "ce":
        y_train = y_train.astype(np.int32)  # jax runs 32-bit unless x64 is enabled
    n, size = len(x_train), workload.batch_size
    shuffle = np.random.default_rng(0)
    epoch_seconds = []
    # the last partial batch has a new shape and compiles a second program: both compiles
    # fall in the first epoch, which training.py leaves out of the median
    for _ in range(epochs):
        start = time.perf_counter()
        for index in shuffled_batches(shuffle, n, size):
            params, state, loss = train_step(params, state, x_train[index], y_train[index])
            float(loss)
        epoch_seconds.append(time.perf_counter() - start)
    out = np.asarray(forward(params, jnp.asarray(x_test)))
    predicted = (out > 0).astype(np.float32) if workload.loss == "bce" else out.argmax(1)
    return {
        "epoch_seconds": epoch_seconds,
        "steps_per_epoch": -(-n // size),
        "accuracy": float((predicted == y_test).mean()),
    }


def run(engine: str, name: str, epochs: int, quick: bool = False) -> dict[str, Any]:
    workload, data = WORKLOADS[name], make_data(name, quick)
    if engine == "numpy":
        return train_numpy(workload, data, epochs)
    if engine == "numpy_exact":
        from numpy_exact import train_numpy_exact

        return train_numpy_exact(workload, data, epochs)
    if engine == "jax":
        return train_jax(workload, data, epochs)
    return train_framework(engine, workload, data, epochs)


__all__ = ["WORKLOADS", "ModuleType", "run"]
