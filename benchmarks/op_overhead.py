"""Per-op overhead: nerve vs PyTorch vs bare NumPy on the small tensors of the lecture's
networks. Run: python benchmarks/op_overhead.py [--quick]

Cases: a small elementwise op (x * y on 32x8) and a 32x8 @ 8x8 matmul, each forward +
backward with requires_grad, and forward only under no_grad (entered once, outside the timed
loop). Prints microseconds per call and ratios: torch / nerve (above 1: nerve is faster) and
nerve / numpy (the overhead over the bare NumPy computation). One BLAS thread for everyone.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

import numpy as np
from _timing import machine, time_call

import nerve

Case = dict[str, tuple[Callable[[], object], Any]]


def build_cases(torch: Any) -> dict[str, Case]:
    rng = np.random.default_rng(0)
    a, b, w = (rng.standard_normal(s).astype(np.float32) for s in ((32, 8), (32, 8), (8, 8)))
    ones = np.ones((32, 8), np.float32)
    na, nb, nw = (nerve.tensor(v, requires_grad=True) for v in (a, b, w))
    fa, fb, fw = (nerve.tensor(v) for v in (a, b, w))
    cases: dict[str, Case] = {
        "mul 32x8, forward+backward": {
            "numpy": (lambda: (a * b, ones * b, ones * a), None),
            "nerve": (lambda: (na * nb).sum().backward(), None),
        },
        "matmul 32x8 @ 8x8, forward+backward": {
            "numpy": (lambda: (a @ w, ones @ w.T, a.T @ ones), None),
            "nerve": (lambda: (na @ nw).sum().backward(), None),
        },
        "mul 32x8, no_grad": {
            "numpy": (lambda: a * b, None),
            "nerve": (lambda: fa * fb, nerve.no_grad),
        },
        "matmul 32x8 @ 8x8, no_grad": {
            "numpy": (lambda: a @ w, None),
            "nerve": (lambda: fa @ fw, nerve.no_grad),
        },
    }
    if torch is not None:
        ta, tb, tw = (torch.tensor(v, requires_grad=True) for v in (a, b, w))
        ua, ub, uw = (torch.tensor(v) for v in (a, b, w))
        cases["mul 32x8, forward+backward"]["torch"] = (lambda: (ta * tb).sum().backward(), None)
        cases["matmul 32x8 @ 8x8, forward+backward"]["torch"] = (
            lambda: (ta @ tw).sum().backward(),
            None,
        )
        cases["mul 32x8, no_grad"]["torch"] = (lambda: ua * ub, torch.no_grad)
        cases["matmul 32x8 @ 8x8, no_grad"]["torch"] = (lambda: ua @ uw, torch.no_grad)
    return cases


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="few iterations (for tests)")
    args = parser.parse_args(argv)
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        torch = None
    from threadpoolctl import threadpool_limits

    number, rounds = (50, 2) if args.quick else (3000, 7)
    lines = [
        f"Per-op overhead ({machine()}; microseconds per call, median of {rounds} rounds)",
        "",
        "| case | numpy | nerve | torch | torch / nerve | nerve / numpy |",
        "|---|---|---|---|---|---|",
    ]
    with threadpool_limits(1):
        for name, engines in build_cases(torch).items():
            times = {}
            for engine, (fn, context) in engines.items():
                with context() if context else nullcontext():
                    times[engine] = time_call(fn, number, rounds) * 1e6
            n, t = times["nerve"], times.get("torch")
            torch_cell = "-" if t is None else f"{t:.2f}"
            ratio_cell = "-" if t is None else f"{t / n:.2f}x"
            lines.append(
                f"| {name} | {times['numpy']:.2f} | {n:.2f} | {torch_cell} | {ratio_cell} | "
                f"{n / times['numpy']:.2f}x |"
            )
    report = "\n".join(lines)
    print(report)
    return report


if __name__ == "__main__":
    sys.path.insert(0, __file__.rsplit("/", 1)[0])
    main()
