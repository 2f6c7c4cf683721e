"""Per-op overhead: nerve vs PyTorch vs bare NumPy on the small tensors of the lecture's
networks. Run: python benchmarks/op_overhead.py [--quick]

Measures a small elementwise op (x * y on 32x8) and a 32x8 @ 8x8 matmul, each forward +
backward with requires_grad, and forward only under no_grad; prints microseconds per call and
ratios (torch / nerve: above 1 means nerve is faster; nerve / numpy: the overhead over the
bare NumPy call).
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from _timing import machine, time_call

import nerve


def cases(torch: object | None) -> list[tuple[str, dict[str, object]]]:
    rng = np.random.default_rng(0)
    a, b, w = (rng.standard_normal(s).astype(np.float32) for s in ((32, 8), (32, 8), (8, 8)))
    na, nb, nw = (nerve.tensor(v, requires_grad=True) for v in (a, b, w))
    fa, fb, fw = (nerve.tensor(v) for v in (a, b, w))
    out: list[tuple[str, dict[str, object]]] = []

    def nerve_mul_grad() -> None:
        (na * nb).sum().backward()

    def nerve_mm_grad() -> None:
        (na @ nw).sum().backward()

    def nerve_mul_nograd() -> None:
        with nerve.no_grad():
            fa * fb

    def nerve_mm_nograd() -> None:
        with nerve.no_grad():
            fa @ fw

    rows = {
        "mul 32x8, forward+backward": {
            "nerve": nerve_mul_grad,
            "numpy": lambda: (a * b, np.ones_like(a) * b, np.ones_like(a) * a),
        },
        "matmul 32x8 @ 8x8, forward+backward": {
            "nerve": nerve_mm_grad,
            "numpy": lambda: (
                a @ w,
                np.ones((32, 8), np.float32) @ w.T,
                a.T @ np.ones((32, 8), np.float32),
            ),
        },
        "mul 32x8, no_grad": {"nerve": nerve_mul_nograd, "numpy": lambda: a * b},
        "matmul 32x8 @ 8x8, no_grad": {"nerve": nerve_mm_nograd, "numpy": lambda: a @ w},
    }
    if torch is not None:
        ta, tb, tw = (torch.tensor(v, requires_grad=True) for v in (a, b, w))  # type: ignore[attr-defined]
        ua, ub, uw = (torch.tensor(v) for v in (a, b, w))  # type: ignore[attr-defined]

        def torch_nograd(fn):  # type: ignore[no-untyped-def]
            def run() -> None:
                with torch.no_grad():  # type: ignore[attr-defined]
                    fn()

            return run

        rows["mul 32x8, forward+backward"]["torch"] = lambda: (ta * tb).sum().backward()
        rows["matmul 32x8 @ 8x8, forward+backward"]["torch"] = lambda: (ta @ tw).sum().backward()
        rows["mul 32x8, no_grad"]["torch"] = torch_nograd(lambda: ua * ub)
        rows["matmul 32x8 @ 8x8, no_grad"]["torch"] = torch_nograd(lambda: ua @ uw)
    out.extend(rows.items())
    return out


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="few iterations (for tests)")
    args = parser.parse_args(argv)
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        torch = None
    number, rounds = (50, 2) if args.quick else (2000, 7)
    lines = [
        f"Per-op overhead ({machine()}; microseconds per call, median of {rounds} rounds)",
        "",
        "| case | numpy | nerve | torch | torch / nerve | nerve / numpy |",
        "|---|---|---|---|---|---|",
    ]
    for name, fns in cases(torch):
        times = {k: time_call(fn, number, rounds) * 1e6 for k, fn in fns.items()}  # type: ignore[arg-type]
        t, n = times.get("torch"), times["nerve"]
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
