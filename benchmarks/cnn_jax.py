"""The CNN workloads C1-C3 (benchmarks/cnn.py) as one jit-compiled JAX training step each:
the same layers, loss and optimizer written with jax.lax, so that JAX's compiled step sits in
the same table as nerve and PyTorch (where jax is installed: the bench extra).

The whole step (forward, loss, gradient, optimizer update) is one XLA program; its compile
time, in the warm-up, is left out of the timing as torch's and nerve's import times are.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

# (kind, arguments) per layer, as cnn.build writes them with torch's names
LAYERS: dict[str, list[tuple[str, tuple[int, ...]]]] = {
    "C1": [("conv", (1, 16)), ("relu", ()), ("maxpool", ()), ("linear", (256, 10))],
    "C2": [
        ("conv", (1, 8)), ("relu", ()), ("maxpool", ()),
        ("conv", (8, 16)), ("relu", ()), ("maxpool", ()), ("linear", (784, 10)),
    ],
    "C3": [
        ("conv", (3, 32)), ("relu", ()), ("conv", (32, 32)), ("relu", ()), ("maxpool", ()),
        ("conv", (32, 64)), ("relu", ()), ("maxpool", ()), ("gap", ()), ("linear", (64, 10)),
    ],
}  # fmt: skip
OPTIMIZERS = {"C1": "momentum", "C2": "adam", "C3": "sgd"}
RATES = {"C1": 0.01, "C2": 1e-3, "C3": 0.01}


def _init(name: str, rng: np.random.Generator) -> list[Any]:
    """Parameters with torch's default uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)) spread."""
    params = []
    for kind, args in LAYERS[name]:
        if kind == "conv":
            cin, cout = args
            bound = 1 / np.sqrt(cin * 9)
            params.append(rng.uniform(-bound, bound, (cout, cin, 3, 3)).astype(np.float32))
            params.append(rng.uniform(-bound, bound, cout).astype(np.float32))
        elif kind == "linear":
            fan_in, out = args
            bound = 1 / np.sqrt(fan_in)
            params.append(rng.uniform(-bound, bound, (out, fan_in)).astype(np.float32))
            params.append(rng.uniform(-bound, bound, out).astype(np.float32))
    return params


def _step_function(name: str) -> Any:
    import jax
    import jax.numpy as jnp
    from jax import lax

    def forward(params: list[Any], x: Any) -> Any:
        i = 0
        for kind, _ in LAYERS[name]:
            if kind == "conv":
                w, b = params[i], params[i + 1]
                i += 2
                x = (
                    lax.conv_general_dilated(x, w, (1, 1), ((1, 1), (1, 1)))
                    + b[None, :, None, None]
                )
            elif kind == "relu":
                x = jnp.maximum(x, 0)
            elif kind == "maxpool":
                x = lax.reduce_window(x, -jnp.inf, lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")
            elif kind == "gap":
                x = x.mean(axis=(2, 3))
            else:  # linear, after a flatten
                w, b = params[i], params[i + 1]
                i += 2
                x = x.reshape(x.shape[0], -1) @ w.T + b
        return x

    def loss_fn(params: list[Any], x: Any, y: Any) -> Any:
        logits = forward(params, x)
        log_p = jax.nn.log_softmax(logits)
        return -jnp.take_along_axis(log_p, y[:, None], axis=1).mean()

    kind, lr = OPTIMIZERS[name], RATES[name]

    def step(params: list[Any], state: Any, x: Any, y: Any) -> Any:
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
        if kind == "sgd":
            return [p - lr * g for p, g in zip(params, grads)], state, loss
        if kind == "momentum":  # torch's SGD momentum 0.9: buf = 0.9 buf + g
            bufs = [0.9 * b + g for b, g in zip(state, grads)]
            return [p - lr * b for p, b in zip(params, bufs)], bufs, loss
        t, ms, vs = state
        t = t + 1
        ms = [0.9 * m + 0.1 * g for m, g in zip(ms, grads)]
        vs = [0.999 * v + 0.001 * g * g for v, g in zip(vs, grads)]
        scale = lr / (1 - 0.9**t)
        root = jnp.sqrt(1 - 0.999**t)
        new = [p - scale * m / (jnp.sqrt(v) / root + 1e-8) for p, m, v in zip(params, ms, vs)]
        return new, (t, ms, vs), loss

    return jax.jit(step)


def worker(name: str, steps: int, batches: list[tuple[np.ndarray, np.ndarray]]) -> float:
    """Steps per second of the jit-compiled step over ``batches`` (after a compiling warm-up)."""
    import jax.numpy as jnp

    params = [jnp.asarray(p) for p in _init(name, np.random.default_rng(0))]
    zeros = [jnp.zeros_like(p) for p in params]
    kind = OPTIMIZERS[name]
    state: Any = (
        None
        if kind == "sgd"
        else zeros
        if kind == "momentum"
        else (jnp.asarray(0.0), zeros, [jnp.zeros_like(p) for p in params])
    )
    step = _step_function(name)
    data = [(jnp.asarray(x), jnp.asarray(y)) for x, y in batches]
    for i in range(max(2, steps // 10)):  # warm-up, compiling the step
        params, state, loss = step(params, state, *data[i % len(data)])
    loss.block_until_ready()
    start = time.perf_counter()
    for i in range(steps):
        params, state, loss = step(params, state, *data[i % len(data)])
        float(loss)  # the loop as a user writes it reads the loss each step
    return steps / (time.perf_counter() - start)
