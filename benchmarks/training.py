"""The speed benchmark: training throughput of nerve, PyTorch, two hand-written NumPy MLPs (the
plain one of workloads.py, and numpy_exact.py's with torch's formulas and preallocated
buffers: the floor for a replay of the whole step) and, when jax is installed, JAX
(jit-compiled step, on the CPU) on the workloads W1, W2, W3 (see workloads.py), side by side
in one run, plus import time and peak memory. nerve runs eagerly and
with ``nerve.compile`` (a replayed forward), torch eagerly and, where TorchInductor compiles on
this machine and not with --quick, with ``torch.compile``. Each (engine,
workload) runs in a fresh process, rounds alternate between the engines, and the median is
reported; every engine gets the same number of BLAS threads (JAX: one thread, or XLA's default
when --threads is above 1, as XLA has no thread-count setting).

Run: python benchmarks/training.py [--rounds N] [--threads T] [--quick] [--write docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
# jax only where installed; torch_compiled (torch.compile) only where it compiles here, and
# not with --quick (TorchInductor takes tens of seconds per process to compile)
ENGINES = ("numpy", "numpy_exact", "nerve", "nerve_replayed", "torch", "torch_compiled", "jax")
EPOCHS = {"W1": 12, "W2": 8, "W3": 3}


def _env(threads: int) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = str(threads)
    # JAX on the CPU; with one thread, XLA's Eigen kernels single-threaded too (the only XLA
    # flag for it; an unknown flag in XLA_FLAGS is a fatal error)
    env["JAX_PLATFORMS"] = "cpu"
    if threads == 1:
        flags = env.get("XLA_FLAGS", "").split() + ["--xla_cpu_multi_thread_eigen=false"]
        env["XLA_FLAGS"] = " ".join(flags)
    src = str(HERE.parent / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    return env


def worker(engine: str, workload: str, epochs: int, quick: bool) -> None:
    """Runs in the child process: train, then print one JSON line."""
    import resource

    sys.path.insert(0, str(HERE))
    if int(os.environ.get("OMP_NUM_THREADS", "1")) == 1:
        from _timing import pin_to_one_core

        pin_to_one_core()
    if engine in ("torch", "torch_compiled"):
        import torch

        torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    from workloads import run

    result = run(engine, workload, epochs, quick)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def measure(engine: str, workload: str, epochs: int, threads: int, quick: bool) -> dict[str, Any]:
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--worker",
        engine,
        workload,
        "--epochs",
        str(epochs),
    ] + (["--quick"] if quick else [])
    done = subprocess.run(command, capture_output=True, text=True, env=_env(threads), timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"{engine} {workload} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def import_seconds(module: str, threads: int, repeats: int) -> float:
    """The median time of ``import module`` in a fresh process, as installed: with the bytecode
    caches that pip writes at install time (a first, untimed import writes them for a source
    checkout, even where PYTHONDONTWRITEBYTECODE is set, which would make every import of
    nerve compile its sources while torch's site-packages are precompiled)."""
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    env = _env(threads)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    samples = []
    for _ in range(repeats + 1):
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
        )
        samples.append(float(done.stdout.strip()))
    return statistics.median(samples[1:])


def available(engine: str, quick: bool = False) -> bool:
    if engine in ("numpy", "numpy_exact", "nerve", "nerve_replayed"):
        return True
    if engine == "torch_compiled":  # TorchInductor needs a working C++ compiler
        return not quick and available("torch") and _torch_compiles()
    done = subprocess.run(
        [sys.executable, "-c", f"import {engine}"], capture_output=True, env=_env(1)
    )
    return done.returncode == 0


def _torch_compiles() -> bool:
    """Whether torch.compile runs on this machine: one tiny compiled step in a fresh process."""
    code = (
        "import torch; m = torch.compile(torch.nn.Linear(2, 1)); "
        "m(torch.ones(3, 2, requires_grad=True)).sum().backward()"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, env=_env(1), timeout=600
        )
    except subprocess.TimeoutExpired:
        return False
    if done.returncode != 0:
        print(f"torch.compile does not run here:\n{done.stderr.decode()[-1000:]}", file=sys.stderr)
    return done.returncode == 0


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--workloads", default="W1,W2,W3")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for tests")
    parser.add_argument("--write", help="also write the report (Markdown) to this file")
    parser.add_argument("--worker", nargs=2, metavar=("ENGINE", "WORKLOAD"), help=argparse.SUPPRESS)
    parser.add_argument("--epochs", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker[0], args.worker[1], args.epochs, args.quick)
        return ""
    from _timing import machine

    engines = [e for e in ENGINES if available(e, args.quick)]
    rounds = 1 if args.quick else args.rounds
    results: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for workload in args.workloads.split(","):
        epochs = 2 if args.quick else EPOCHS[workload]
        for _ in range(rounds):
            for engine in engines:
                results.setdefault((engine, workload), []).append(
                    measure(engine, workload, epochs, args.threads, args.quick)
                )
    report = format_report(results, engines, args, machine())
    print(report)
    if "torch" in engines:  # where the time goes, and the cost of a single op
        import op_overhead
        import phases

        quick = ["--quick"] if args.quick else []
        phase_table = phases.main([*quick, "--workloads", args.workloads])
        report += "\n\n## Where a step's time goes\n\n" + PHASES_INTRO + "\n\n" + phase_table
        report += "\n\n## Per-op overhead\n\n" + op_overhead.main(quick)
        report += "\n\n## Convolutional networks\n\n" + CNN_INTRO + "\n\n" + _cnn(args.quick)
        report += "\n\n### Layer by layer\n\n" + LAYERS_INTRO + "\n\n" + _layers(args.quick)
        report += "\n\n### Activations and normalizations on feature maps\n\n"
        report += ACTIVATIONS_INTRO + "\n\n" + _activations(args.quick)
    report += "\n\n" + REPLAY + "\n\n" + RERUN
    if args.write:
        Path(args.write).write_text(report + "\n")
    return report


ACTIVATIONS_INTRO = (
    "Layers a learner swaps into C2 or C3, each timed alone on the maps it would see there, "
    "forward and backward, one thread each (benchmarks/activations.py; the median of 5 rounds, "
    "the libraries alternating within each)."
)


def _activations(quick: bool) -> str:
    import activations

    table = activations.main(["--quick"] if quick else [])
    return table.split("\n\n", 1)[1]  # (without its machine line: the report has one)


PHASES_INTRO = (
    "Microseconds per training step in each phase of the loop as written (benchmarks/"
    "phases.py; of 3 rounds, the one with the median ratio; in a round the engines run back to "
    "back, each in a fresh process); nerve replayed: with `model = nerve.compile(model)`."
)
CNN_INTRO = (
    "Training steps per second on the convolutional workloads of benchmarks/cnn.py (C1 "
    "digits-size: 1x8x8, conv 16, max-pool, Linear, batch 32, SGD momentum; C2 LeNet-size: "
    "1x28x28, conv 8, pool, conv 16, pool, Linear, batch 64, Adam; C3 wider: 3x32x32, conv 32, "
    "conv 32, pool, conv 64, pool, adaptive avg-pool, Linear, batch 64, SGD), one BLAS thread, "
    "5 rounds (torch's step time varies by 10-20% from process to process: most of it is the "
    "kernel's page faults), and each phase's milliseconds. torch runs its convolutions through "
    "oneDNN; nerve through windows copied a few images at a time and matrix products "
    "(src/nerve/ops/conv_kernels.py and conv_chunks.py say how each kernel was chosen), with "
    "the maps between C3's convolutions channels-last (src/nerve/nn/channels_last.py)."
)


LAYERS_INTRO = (
    "Each layer of C1-C3 timed alone, forward and backward, on the input it receives in a "
    "training step (benchmarks/cnn_layers.py; one process, one BLAS thread, the libraries "
    "alternating over 5 rounds, medians). torch / nerve above 1: nerve is faster on that layer. "
    "torch's max-pool computes its indices in the forward, nerve's finds them in the backward. "
    "The maps here are NCHW, as a layer called on its own gets them; inside nn.Sequential, C3's "
    "layers run on channels-last maps (src/nerve/nn/channels_last.py), which the step's table "
    "above measures."
)


def _layers(quick: bool) -> str:
    import cnn_layers

    if quick:
        return cnn_layers.report(["C1"], rounds=1)
    return cnn_layers.report(["C1", "C2", "C3"], rounds=5)


def _nerve_products() -> str:
    """Which library runs nerve's large matrix products in the workers (nerve.backend.blas)."""
    from nerve.backend import blas

    if blas.products_on_mkl():
        return "Intel MKL's GEMM (nerve[mkl]; torch's CPU build uses MKL too)"
    if blas.is_available():
        return "NumPy's OpenBLAS (MKL is installed but takes them on Intel's CPUs only)"
    return "NumPy's OpenBLAS (MKL is not installed)"


def _cnn(quick: bool) -> str:
    import cnn

    if quick:
        return cnn.report(["C1"], rounds=1, steps=2, phases=True)
    return cnn.report(["C1", "C2", "C3"], rounds=5, steps=None, phases=True)


REPLAY = """## Replaying a recorded step: nerve.compile

`model = nerve.compile(model)` (torch.compile's name and use; package `nerve.replay`) records
the model's forward once, eagerly, noting every op it applies, and on later calls with the
same structure replays it as one graph node: the recorded ops' own forward kernels over raw
arrays, then in `backward` the same ops' own backward formulas in the eager engine's order,
with no tensor or node per op and no second copy of any formula (a plan of one op, such as
nn.Sequential's fused Linear/activation chain, applies that op itself). Losses, `.grad`, parameters
and optimizer state are bit for bit those of eager mode (tests/compile). `.grad` is still set by
the eager engine, so parameter hooks, `retain_grad` on the output, `autograd.grad`,
`retain_graph`, `create_graph` and the error for a tensor changed in place before `backward`
behave as in eager mode.

It falls back to eager mode, call by call, under `no_grad` or anomaly mode, for keyword or
non-tensor arguments, a new shape, dtype or `requires_grad` of an argument or parameter, a
changed module tree (a replaced layer or parameter, `train()`/`eval()`, a changed option, a
module hook, a replaced `forward`), a module type outside `nerve.replay.REPLAYABLE` (a
user-written `forward` may branch on values), and a forward that reads a tensor made outside an
op (Dropout in training: its random numbers are drawn exactly as in eager mode).

What it leaves: the loss, the backward engine's visit of the loss node and of the parameters'
accumulators, and the optimizer step run as in eager mode. On these networks nn.Sequential
already runs its Linear/activation layers as one fused node, so the replay saves only the
module calls and checks of the forward (a few microseconds on W1), and the gap to the
hand-written NumPy loop is the engine's per-step bookkeeping, the loss's checks and the
optimizer's loop. Models that are not one fused chain gain more: a small CNN (Conv2d, ReLU,
MaxPool2d, Conv2d, Tanh, Flatten, Linear) runs its forward, loss and backward 1.3-2x faster."""

RERUN = (
    "Run `python benchmarks/training.py --write docs/benchmarks.md` to measure all of this "
    "again; the machine these ran on is shared and noisy, so ratios move by 10-30% between "
    "runs."
)


def _steps_per_second(runs: list[dict[str, Any]]) -> float:
    # the first epoch warms caches up; the median of the rest over all rounds
    per_epoch = [s for run in runs for s in (run["epoch_seconds"][1:] or run["epoch_seconds"])]
    return runs[0]["steps_per_epoch"] / statistics.median(per_epoch)


def format_report(
    results: dict[tuple[str, str], list[dict[str, Any]]],
    engines: list[str],
    args: argparse.Namespace,
    machine: str,
) -> str:
    names = "nerve (eager, replayed), PyTorch" + (
        " (eager, compiled)" if "torch_compiled" in engines else ""
    )
    names += ", JAX" if "jax" in engines else ""
    lines = [
        f"# Training speed: {names} and hand-written NumPy MLPs",
        "",
        f"Machine: {machine}; {args.threads} BLAS thread(s) for every engine"
        + (" (each process pinned to one core)" if args.threads == 1 else "")
        + f"; {1 if args.quick else args.rounds} round(s), each engine in a fresh process; "
        "steps/s: the median over rounds; vs torch: the median of each round's ratio. "
        f"nerve's large matrix products (wide layers, convolutions): {_nerve_products()}; "
        "small ones: NumPy's.",
        "",
    ]
    if "numpy_exact" in engines:
        lines += [
            "numpy: a hand-written MLP, forward, backward and update written out with NumPy "
            "(its loss and gradients simpler than torch's). numpy_exact: the same with torch's "
            "formulas (BCELoss's range checks and clamped logs, torch's gradients and optimizer "
            "updates) and every buffer made once: the floor for an engine that keeps torch's "
            "semantics, as a replay of the whole training step could at best run it "
            "(benchmarks/numpy_exact.py).",
            "",
        ]
    if "jax" in engines:
        lines += [
            "JAX's training step is jit-compiled (one XLA program for forward, loss, gradient "
            "and update, compiled in the first epoch, which is left out); the other engines "
            "run eagerly, op by op.",
            "",
        ]
    lines += [
        "nerve_replayed: the same loop with `model = nerve.compile(model)`, which replays the "
        "recorded forward as one node (nerve.replay; the loss, backward engine and optimizer "
        "run as in eager mode)."
        + (
            " torch_compiled: `model = torch.compile(model)` (TorchInductor), compiled in the "
            "first epoch, which is left out."
            if "torch_compiled" in engines
            else ""
        ),
        "",
        "| workload | engine | steps/s | vs torch | test accuracy | peak RSS (MB) |",
        "|---|---|---|---|---|---|",
    ]
    for workload in args.workloads.split(","):
        torch_speed = (
            _steps_per_second(results[("torch", workload)]) if "torch" in engines else None
        )
        for engine in engines:
            runs = results[(engine, workload)]
            speed = _steps_per_second(runs)
            ratio = "-"
            if torch_speed:
                # Each round runs the engines back to back: the ratio within a round cancels
                # the machine's slow spells, which last longer than a round.
                paired = [
                    _steps_per_second([ours]) / _steps_per_second([theirs])
                    for ours, theirs in zip(runs, results[("torch", workload)])
                ]
                ratio = f"{statistics.median(paired):.2f}x"
            accuracy = statistics.median(r["accuracy"] for r in runs)
            rss = max(r["peak_rss_mb"] for r in runs)
            lines.append(
                f"| {workload} | {engine} | {speed:.0f} | {ratio} | {accuracy:.4f} | {rss:.0f} |"
            )
    lines += ["", "| import | seconds | torch / nerve |", "|---|---|---|"]
    repeats = 2 if args.quick else 5
    nerve_import = import_seconds("nerve", args.threads, repeats)
    torch_import = import_seconds("torch", args.threads, repeats) if "torch" in engines else None
    ratio = f"{torch_import / nerve_import:.1f}x" if torch_import else "-"
    lines.append(f"| import nerve | {nerve_import:.3f} | {ratio} |")
    if torch_import:
        lines.append(f"| import torch | {torch_import:.3f} | |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    main()
