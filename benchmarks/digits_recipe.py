"""The digits recipe on nerve and on PyTorch, side by side in one run: test accuracy and time
per epoch. The same script body runs on both engines (only the import differs).

Recipe: scikit-learn's digits, standardized on the training split, 80/20 split,
MLP 64-128-64-10 with ReLU, CrossEntropyLoss, Adam lr 1e-3, batch 64, shuffled DataLoader.
Run: python benchmarks/digits_recipe.py [--epochs N] [--quick]
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import sys
import time
from types import ModuleType

import numpy as np
from _timing import machine


def load_digits_split(seed: int = 0) -> tuple[np.ndarray, ...]:
    from sklearn.datasets import load_digits

    data = load_digits()
    x, y = data.data.astype(np.float32), data.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(x))
    cut = int(0.8 * len(x))
    train, test = order[:cut], order[cut:]
    mean, std = x[train].mean(0), x[train].std(0)
    std[std == 0] = 1
    return (x[train] - mean) / std, y[train], (x[test] - mean) / std, y[test]


def run(
    engine: ModuleType, data: tuple[np.ndarray, ...], epochs: int, seed: int = 0
) -> dict[str, float]:
    """The recipe written once against the torch API; ``engine`` is torch or nerve."""
    nn = importlib.import_module(engine.__name__ + ".nn")
    loader_mod = importlib.import_module(engine.__name__ + ".utils.data")
    engine.manual_seed(seed)
    x_train, y_train, x_test, y_test = (engine.from_numpy(a) for a in data)
    model = nn.Sequential(
        nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10)
    )
    optimizer = engine.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    loader = loader_mod.DataLoader(
        loader_mod.TensorDataset(x_train, y_train), batch_size=64, shuffle=True
    )
    epoch_times = []
    for _ in range(epochs):
        start = time.perf_counter()
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            loss.item()
        epoch_times.append(time.perf_counter() - start)
    with engine.no_grad():
        accuracy = (model(x_test).argmax(dim=1) == y_test).float().mean().item()
    return {"accuracy": accuracy, "epoch_s": statistics.median(epoch_times)}


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="2 epochs (for tests)")
    args = parser.parse_args(argv)
    epochs = 2 if args.quick else args.epochs
    data = load_digits_split()
    engines = [importlib.import_module("nerve")]
    try:
        torch = importlib.import_module("torch")
        torch.set_num_threads(1)
        engines.append(torch)
    except ImportError:
        pass
    # One BLAS thread for both engines: the same compute budget, and no thread contention on
    # small matrices (OpenBLAS's threads can cost more than the product itself).
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        results = {e.__name__: run(e, data, epochs) for e in engines}
    lines = [
        f"Digits recipe, {epochs} epochs ({machine()})",
        "",
        "| engine | test accuracy | time per epoch (ms) |",
        "|---|---|---|",
    ]
    for name, r in results.items():
        lines.append(f"| {name} | {r['accuracy']:.4f} | {r['epoch_s'] * 1e3:.1f} |")
    if "torch" in results:
        ratio = results["torch"]["epoch_s"] / results["nerve"]["epoch_s"]
        lines.append(
            f"\nnerve trains {ratio:.2f}x as fast as torch per epoch (torch time / nerve time)"
        )
    report = "\n".join(lines)
    print(report)
    return report


if __name__ == "__main__":
    sys.path.insert(0, __file__.rsplit("/", 1)[0])
    main()
