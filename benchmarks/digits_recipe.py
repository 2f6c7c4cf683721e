"""The digits recipe (workload W2) on nerve and on PyTorch, side by side in one run: test
accuracy and time per epoch, through the same loop (see workloads.py; only the import differs).

Recipe: scikit-learn's digits, standardized on the training split, 80/20 split,
MLP 64-128-64-10 with ReLU, CrossEntropyLoss, Adam lr 1e-3, batch 64, shuffled DataLoader.
Run: python benchmarks/digits_recipe.py [--epochs N] [--quick]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys

from _timing import machine
from workloads import WORKLOADS, make_data, train_framework


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="2 epochs (for tests)")
    args = parser.parse_args(argv)
    epochs = 2 if args.quick else args.epochs
    data = make_data("W2")
    engines = ["nerve"] + (["torch"] if importlib.util.find_spec("torch") else [])
    if "torch" in engines:
        import torch

        torch.set_num_threads(1)
    # One BLAS thread for both engines: the same compute budget, and no thread contention on
    # small matrices (OpenBLAS's threads can cost more than the product itself).
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        results = {e: train_framework(e, WORKLOADS["W2"], data, epochs) for e in engines}
    lines = [
        f"Digits recipe, {epochs} epochs ({machine()})",
        "",
        "| engine | test accuracy | time per epoch (ms) |",
        "|---|---|---|",
    ]
    seconds = {e: statistics.median(r["epoch_seconds"]) for e, r in results.items()}
    for engine, result in results.items():
        lines.append(f"| {engine} | {result['accuracy']:.4f} | {seconds[engine] * 1e3:.1f} |")
    if "torch" in results:
        ratio = seconds["torch"] / seconds["nerve"]
        lines.append(f"\nnerve trains {ratio:.2f}x as fast as torch per epoch (torch / nerve time)")
    report = "\n".join(lines)
    print(report)
    return report


if __name__ == "__main__":
    sys.path.insert(0, __file__.rsplit("/", 1)[0])
    main()
