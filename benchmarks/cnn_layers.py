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


def layer_times(name: str, rounds: int) -> list[dict[str, Any]]:
    """Per layer of ``name``: its description and, for "torch" and "nerve", the median
    forward and backward microseconds (one thread each; the thread counts are restored)."""
    import torch

    import nerve

    threads = torch.get_num_threads(), nerve.get_num_threads()
    torch.set_num_threads(1)
    nerve.set_num_threads(1)
    try:
        return _layer_times({"torch": torch, "nerve": nerve}, name, rounds)
    finally:
        torch.set_num_threads(threads[0])
        nerve.set_num_threads(threads[1])


def _calls(lib: Any, layer: Any, array: np.ndarray, needs_grad: bool) -> dict[str, Any]:
    """What is timed of ``layer`` on ``array``: its forward ("f") and, when its output needs a
    gradient, its forward and backward ("fb")."""
    x = lib.tensor(array, requires_grad=needs_grad)
    out = layer(x)
    grad = lib.ones_like(out)

    def forward() -> object:
        return layer(x)

    def forward_and_backward() -> None:
        layer.zero_grad()  # as in a training step: gradients start from None
        x.grad = None
        layer(x).backward(grad)

    return {"f": forward, "fb": forward_and_backward} if out.requires_grad else {"f": forward}


def _layer_times(libraries: dict[str, Any], name: str, rounds: int) -> list[dict[str, Any]]:
    import cnn
    from _timing import calls_per_batch, time_call

    layers = {}
    for key, lib in libraries.items():
        lib.manual_seed(0)
        layers[key] = list(cnn.build(lib, name)[0])
    rows = []
    for index, (label, array) in enumerate(layer_inputs(libraries["nerve"], name)):
        timed = {  # "torch f", "torch fb", ...: the function and how many calls a batch makes
            f"{key} {part}": (fn, calls_per_batch(fn, TARGET_SECONDS))
            for key, lib in libraries.items()
            for part, fn in _calls(lib, layers[key][index], array, index > 0).items()
        }
        samples: dict[str, list[float]] = {part: [] for part in timed}
        for _ in range(rounds):  # the libraries alternate within each round
            for part, (fn, number) in timed.items():
                samples[part].append(time_call(fn, number, rounds=1, warmup=0))
        row: dict[str, Any] = {"layer": label}
        for key in libraries:
            f_us = 1e6 * statistics.median(samples[f"{key} f"])
            fb = samples.get(f"{key} fb")
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
