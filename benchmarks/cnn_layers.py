"""Where the convolutional workloads' time goes, layer by layer: each layer of C1-C3's model
timed alone in nerve and in PyTorch, forward and backward, on the very input it sees in a
training step (the batch carried through the layers before it).

``benchmarks/cnn.py --phases`` splits a step into forward, loss, backward and optimizer; this
splits the forward and backward into layers, which is what picking a kernel needs: a layer
that is slower than torch's shows up here even when the step as a whole is faster.

A layer's input requires a gradient except for the first one (the images), as in training, so
its backward computes what the step's backward computes there. Backward time is the median
forward-and-backward time less the median forward time. One process (pinned to one core when
run as a script), one BLAS thread each; rounds alternate between the libraries and each figure
is the median over rounds, so that the machine's slow spells fall on both.

Run: python benchmarks/cnn_layers.py [--workloads C1,C2] [--rounds R]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

TARGET_SECONDS = 0.02  # each timed batch of calls lasts about this long


def layer_inputs(nerve: Any, name: str) -> list[tuple[str, np.ndarray]]:
    """(layer description, the array that layer receives) for each layer of workload
    ``name``'s model, carried from the first of cnn.py's fixed batches."""
    import cnn

    nerve.manual_seed(0)
    model, _, _ = cnn.build(nerve, name)
    x = nerve.tensor(cnn._batches(name)[0][0])
    inputs = []
    with nerve.no_grad():
        for layer in model:
            size = "x".join(str(n) for n in x.shape)
            inputs.append((f"{_short(layer)} on {size}", x.numpy().copy()))
            x = layer(x)
    return inputs


def _short(layer: Any) -> str:
    """A layer's name with what tells its work apart: channels and kernel, or features."""
    kind = type(layer).__name__
    if hasattr(layer, "in_channels"):
        return f"{kind}({layer.in_channels}->{layer.out_channels}, k{layer.kernel_size[0]})"
    if hasattr(layer, "in_features"):
        return f"{kind}({layer.in_features}->{layer.out_features})"
    return kind


def _calls_per_batch(fn: Callable[[], object]) -> int:
    """How many calls of ``fn`` last about TARGET_SECONDS (after a first, warm-up call)."""
    fn()
    start = time.perf_counter()
    fn()
    return max(1, int(TARGET_SECONDS / max(time.perf_counter() - start, 1e-7)))


def _timed(fn: Callable[[], object], number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def layer_times(name: str, rounds: int) -> list[dict[str, Any]]:
    """Per layer of ``name``: its description and, for "torch" and "nerve", the median
    forward and backward microseconds (one thread each; the thread counts are restored)."""
    import torch

    import nerve

    threads = torch.get_num_threads(), nerve.get_num_threads()
    torch.set_num_threads(1)
    nerve.set_num_threads(1)
    try:
        return _layer_times(torch, nerve, name, rounds)
    finally:
        torch.set_num_threads(threads[0])
        nerve.set_num_threads(threads[1])


def _layer_times(torch: Any, nerve: Any, name: str, rounds: int) -> list[dict[str, Any]]:
    import cnn

    libraries = {"torch": torch, "nerve": nerve}
    models = {}
    for key, lib in libraries.items():
        lib.manual_seed(0)
        models[key] = cnn.build(lib, name)[0]
    rows = []
    for index, (label, array) in enumerate(layer_inputs(nerve, name)):
        calls: dict[str, tuple[Callable[[], object], Callable[[], object] | None]] = {}
        for key, lib in libraries.items():
            layer = list(models[key])[index]
            x = lib.tensor(array, requires_grad=index > 0)
            out = layer(x)
            grad = lib.ones_like(out)

            def forward(layer: Any = layer, x: Any = x) -> object:
                return layer(x)

            def both(layer: Any = layer, x: Any = x, grad: Any = grad) -> None:
                layer.zero_grad()  # as in a training step: gradients start from None
                x.grad = None
                layer(x).backward(grad)

            calls[key] = (forward, both if out.requires_grad else None)
        timed = {  # "torchf", "torchfb", ...: the function and how many calls a batch makes
            key + part: (fn, _calls_per_batch(fn))
            for key, (forward, both) in calls.items()
            for part, fn in (("f", forward), ("fb", both))
            if fn is not None
        }
        samples: dict[str, list[float]] = {part: [] for part in timed}
        for _ in range(rounds):
            for part, (fn, number) in timed.items():
                samples[part].append(_timed(fn, number))
        row: dict[str, Any] = {"layer": label}
        for key in libraries:
            f_us = 1e6 * statistics.median(samples[key + "f"])
            fb = samples.get(key + "fb")
            row[key] = (f_us, 1e6 * statistics.median(fb) - f_us if fb else 0.0)
        rows.append(row)
    return rows


def report(workloads: list[str], rounds: int) -> str:
    """The Markdown table: each layer's forward and backward in torch and nerve, and torch's
    time over nerve's (above 1: nerve is faster on that layer)."""
    lines = [
        "| workload | layer | torch forward (us) | torch backward (us) | nerve forward (us) "
        "| nerve backward (us) | torch / nerve |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in workloads:
        for row in layer_times(name, rounds):
            (tf, tb), (nf, nb) = row["torch"], row["nerve"]
            lines.append(
                f"| {name} | {row['layer']} | {tf:.0f} | {tb:.0f} | {nf:.0f} | {nb:.0f} "
                f"| {(tf + tb) / max(nf + nb, 1e-9):.2f}x |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workloads", default="C1,C2,C3")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    from _timing import pin_to_one_core

    pin_to_one_core()
    print(report(args.workloads.split(","), args.rounds))


if __name__ == "__main__":
    main()
