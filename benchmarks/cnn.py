"""The convolutional workloads C1-C3: training steps per second of nerve and PyTorch side by
side, one BLAS thread each, and where a step's time goes (forward, loss, backward, optimizer).
nerve runs eagerly and replayed (``model = nerve.compile(model)``: the recorded forward and its
backward run as one node, see nerve.replay).

C1 digits-size: 1x8x8, conv 16 k3 p1, ReLU, max-pool 2, Linear 256->10, batch 32, SGD momentum.
C2 LeNet-size: 1x28x28, conv 8 k3 p1, ReLU, pool, conv 16 k3 p1, ReLU, pool, Linear 784->10,
    batch 64, Adam.
C3 wider: 3x32x32, conv 32, ReLU, conv 32, ReLU, pool, conv 64, ReLU, pool, adaptive avg-pool,
    Linear 64->10, batch 64, SGD.

The model code is written once against the torch API and runs on both libraries; where jax is
installed (the bench extra), the same step written with jax.lax and jit-compiled whole
(benchmarks/cnn_jax.py) runs beside them. Each engine runs in its own process; rounds alternate
between the engines and the median of the per-round ratios is reported, so that the machine's
slow spells cancel.

Run: python benchmarks/cnn.py [--rounds N] [--workloads C1,C2] [--steps S] [--phases]
(benchmarks/cnn_layers.py splits the forward and backward further, layer by layer.)
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
SHAPES = {"C1": ((32, 1, 8, 8), 10), "C2": ((64, 1, 28, 28), 10), "C3": ((64, 3, 32, 32), 10)}
STEPS = {"C1": 300, "C2": 40, "C3": 6}
LABELS = {"nerve": "nerve", "nerve_replayed": "nerve replayed", "torch": "torch", "jax": "jax"}


def build(lib: Any, name: str) -> tuple[Any, Any, Any]:
    """(model, loss function, optimizer) for workload ``name`` in ``lib`` (torch or nerve)."""
    nn = lib.nn
    if name == "C1":
        model = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(256, 10),
        )  # fmt: skip
        optimizer = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    elif name == "C2":
        model = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(784, 10),
        )  # fmt: skip
        optimizer = lib.optim.Adam(model.parameters(), lr=1e-3)
    else:
        model = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(),
            nn.MaxPool2d(2), nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10),
        )  # fmt: skip
        optimizer = lib.optim.SGD(model.parameters(), lr=0.01)
    return model, nn.CrossEntropyLoss(), optimizer


def _batches(name: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """Four fixed random batches (inputs, class labels) of workload ``name``."""
    shape, classes = SHAPES[name]
    rng = np.random.default_rng(0)
    return [
        (rng.standard_normal(shape).astype(np.float32), rng.integers(0, classes, shape[0]))
        for _ in range(4)
    ]


def worker(engine: str, name: str, steps: int, phases: bool) -> dict[str, float]:
    """In the child process: time ``steps`` training steps on fixed random batches."""
    from _timing import pin_to_one_core

    pin_to_one_core()  # one thread each, JAX's included
    if engine == "jax":  # one compiled program: no phases to time apart
        import cnn_jax

        return {"steps_per_s": cnn_jax.worker(name, steps, _batches(name))}
    lib = importlib.import_module("nerve" if engine == "nerve_replayed" else engine)
    if engine == "torch":
        lib.set_num_threads(1)
    lib.manual_seed(0)
    model, loss_fn, optimizer = build(lib, name)
    if engine == "nerve_replayed":
        model = lib.compile(model)
    batches = [(lib.tensor(x), lib.tensor(y)) for x, y in _batches(name)]
    clock = {"forward": 0.0, "loss": 0.0, "backward": 0.0, "optimizer": 0.0}

    def step(x: Any, y: Any, timed: bool) -> None:
        t0 = time.perf_counter()
        optimizer.zero_grad()
        out = model(x)
        t1 = time.perf_counter()
        loss = loss_fn(out, y)
        t2 = time.perf_counter()
        loss.backward()
        t3 = time.perf_counter()
        optimizer.step()
        loss.item()
        t4 = time.perf_counter()
        if timed:
            for key, span in zip(clock, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
                clock[key] += span

    for i in range(max(2, steps // 10)):  # warm-up
        step(*batches[i % 4], False)
    start = time.perf_counter()
    for i in range(steps):
        step(*batches[i % 4], phases)
    elapsed = time.perf_counter() - start
    result = {"steps_per_s": steps / elapsed}
    if phases:
        result.update({f"{key}_ms": 1000 * value / steps for key, value in clock.items()})
    return result


def _run(engine: str, name: str, steps: int, phases: bool) -> dict[str, float]:
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"
    # JAX on the CPU, XLA's Eigen kernels single-threaded (as in benchmarks/training.py)
    env["JAX_PLATFORMS"] = "cpu"
    env["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false"
    env["PYTHONPATH"] = os.pathsep.join(
        [str(HERE.parent / "src"), str(HERE), env.get("PYTHONPATH", "")]
    )
    command = [sys.executable, str(Path(__file__)), "--worker", engine, name, "--steps", str(steps)]
    if phases:
        command.append("--phases")
    output = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workloads", default="C1,C2,C3")
    parser.add_argument("--steps", type=int, help="steps per round (default: per workload)")
    parser.add_argument("--phases", action="store_true", help="also time each phase of a step")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        engine, name = args.worker
        print(json.dumps(worker(engine, name, args.steps or STEPS[name], args.phases)))
        return
    print(report(args.workloads.split(","), args.rounds, args.steps, args.phases))


def report(workloads: list[str], rounds: int, steps: int | None, phases: bool) -> str:
    """The Markdown table: steps per second of each engine and their ratios to torch, per
    workload, with each phase's milliseconds under it when ``phases``."""
    engines = ["nerve", "nerve_replayed", "torch"]
    engines += ["jax"] if importlib.util.find_spec("jax") else []
    others = [engine for engine in engines if engine != "torch"]
    lines = [
        "| workload | "
        + " | ".join(f"{LABELS[e]} steps/s" for e in engines)
        + " | "
        + " | ".join(f"{LABELS[e]} / torch" for e in others)
        + " |",
        "|---" * (1 + len(engines) + len(others)) + "|",
    ]
    for name in workloads:
        n_steps = steps or STEPS[name]
        runs: dict[str, list[dict[str, float]]] = {engine: [] for engine in engines}
        for _ in range(rounds):
            for engine in runs:
                runs[engine].append(_run(engine, name, n_steps, phases))
        speed = {e: statistics.median(r["steps_per_s"] for r in rs) for e, rs in runs.items()}
        cells = [f"{speed[e]:.1f}" for e in engines] + [_ratio(runs, e) for e in others]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
        if phases:
            for engine, rs in runs.items():
                if engine == "jax":  # one compiled program: no phases to time apart
                    continue
                parts = ", ".join(
                    f"{key[:-3]} {statistics.median(r[key] for r in rs):.2f}"
                    for key in rs[0]
                    if key.endswith("_ms")
                )
                lines.append(f"|   {LABELS[engine]} ms per step: {parts} |")
    return "\n".join(lines)


def _ratio(runs: dict[str, list[dict[str, float]]], engine: str) -> str:
    """The median over rounds of ``engine``'s steps per second over torch's in that round."""
    pairs = zip(runs[engine], runs["torch"])
    return f"{statistics.median(e['steps_per_s'] / t['steps_per_s'] for e, t in pairs):.2f}x"


if __name__ == "__main__":
    main()
