"""Where a training step's time goes: data, forward, loss, backward, optimizer, for nerve (eager
and with ``nerve.compile``) and PyTorch on the workloads of the speed benchmark, the loop
exactly as in workloads.py.

Each phase is timed around the user's own calls (``next(batch)``, ``model(x)``,
``loss_fn(out, y)``, ``loss.backward()``, ``zero_grad() + step()``, ``loss.item()``); the
table shows microseconds per step (the median over epochs, the first left out) and the ratio
torch / nerve per phase, from the median round (by total ratio) of several; in each round the
engines run back to back, each in a fresh process.

Run: python benchmarks/phases.py [--workloads W1,W2] [--epochs N] [--rounds R] [--quick]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ENGINES = ("nerve", "nerve_replayed", "torch")  # nerve_replayed: nerve.compile(model)
PHASES = ("data", "forward", "loss", "backward", "optimizer", "item")


def profile(engine_name: str, workload_name: str, epochs: int, quick: bool) -> dict[str, float]:
    """Microseconds per step in each phase (median over the epochs after the first)."""
    from workloads import WORKLOADS, build, make_data

    if engine_name == "torch":
        import torch

        torch.set_num_threads(1)
    setup = build(engine_name, WORKLOADS[workload_name], make_data(workload_name, quick))
    model, loss_fn, optimizer = setup.model, setup.loss_fn, setup.optimizer
    clock = time.perf_counter
    per_epoch: dict[str, list[float]] = {phase: [] for phase in PHASES}
    for _ in range(epochs):
        totals = dict.fromkeys(PHASES, 0.0)
        batches = iter(setup.loader)
        steps = 0
        while True:
            t0 = clock()
            batch = next(batches, None)
            t1 = clock()
            if batch is None:
                break
            xb, yb = batch
            optimizer.zero_grad()
            t2 = clock()
            out = model(xb)
            t3 = clock()
            loss = loss_fn(out, yb)
            t4 = clock()
            loss.backward()
            t5 = clock()
            optimizer.step()
            t6 = clock()
            loss.item()
            t7 = clock()
            steps += 1
            totals["data"] += t1 - t0
            totals["optimizer"] += (t2 - t1) + (t6 - t5)  # zero_grad and step
            totals["forward"] += t3 - t2
            totals["loss"] += t4 - t3
            totals["backward"] += t5 - t4
            totals["item"] += t7 - t6
        for phase in PHASES:
            per_epoch[phase].append(totals[phase] / max(steps, 1) * 1e6)
    return {p: statistics.median(v[1:] or v) for p, v in per_epoch.items()}


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workloads", default="W1,W2,W3")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for tests")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        from _timing import pin_to_one_core

        pin_to_one_core()  # one thread each, as in training.py
        result = profile(args.worker[0], args.worker[1], args.epochs, args.quick)
        print(" ".join(f"{result[p]:.3f}" for p in PHASES))
        return ""
    rows = [
        "| workload | phase | nerve (us) | nerve replayed (us) | torch (us) | torch / nerve "
        "| torch / replayed |",
        "|---|---|---|---|---|---|---|",
    ]
    for workload in args.workloads.split(","):
        epochs = 2 if args.quick else (args.epochs if workload != "W3" else 3)
        runs: dict[str, list[dict[str, float]]] = {engine: [] for engine in ENGINES}
        for _ in range(1 if args.quick else args.rounds):  # rounds alternate the engines
            for engine in ENGINES:
                runs[engine].append(_run(engine, workload, epochs, args.quick))
        # The round whose total ratio is the median: the engines of a round ran back to back,
        # so its ratios are not skewed by the machine's slow spells.
        rounds = sorted(
            zip(*(runs[engine] for engine in ENGINES)),
            key=lambda r: r[-1]["total"] / r[0]["total"],  # torch / nerve
        )
        times = dict(zip(ENGINES, rounds[len(rounds) // 2]))
        for phase in (*PHASES, "total"):
            ours, replayed = times["nerve"][phase], times["nerve_replayed"][phase]
            theirs = times["torch"][phase]
            ratios = [f"{theirs / t:.1f}x" if t > 0 else "-" for t in (ours, replayed)]
            rows.append(
                f"| {workload} | {phase} | {ours:.1f} | {replayed:.1f} | {theirs:.1f} "
                f"| {ratios[0]} | {ratios[1]} |"
            )
    report = "\n".join(rows)
    print(report)
    return report


def _run(engine: str, workload: str, epochs: int, quick: bool) -> dict[str, float]:
    """One engine in a fresh process, one BLAS thread, as in training.py."""
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    paths = [str(HERE.parent / "src"), str(HERE), env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", engine, workload]
    command += ["--epochs", str(epochs)] + (["--quick"] if quick else [])
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"{engine} {workload} failed:\n{done.stderr[-2000:]}")
    values = [float(v) for v in done.stdout.split()]
    result = dict(zip(PHASES, values))
    result["total"] = sum(values)
    return result


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    main()
