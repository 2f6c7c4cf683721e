"""Activation and normalization layers on convolutional feature maps: nerve and PyTorch side by
side, forward and backward, one thread each.

A learner who swaps C2's ReLU for a LeakyReLU, a GELU or a SiLU, or adds a BatchNorm2d, runs
that layer on every map of every step: here each such module is timed alone on the maps it
would see in C2 (64x8x28x28, after the first convolution) and C3 (64x32x32x32), its input
requiring a gradient as in training. Backward time is the median forward-and-backward time
less the median forward time; the libraries alternate within each round, and each figure is
the median over rounds.

Run: python benchmarks/activations.py [--rounds R] [--quick]
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable
from typing import Any

import numpy as np
from _timing import calls_per_batch, machine, pin_to_one_core, time_call

ACTIVATIONS = {
    "ReLU": {},
    "LeakyReLU": {"negative_slope": 0.1},
    "ELU": {},
    "GELU": {},
    "GELU tanh": {"approximate": "tanh"},
    "SiLU": {},
    "Sigmoid": {},
    "Tanh": {},
    "Softplus": {},
    "Hardtanh": {},
    "ReLU6": {},
    "PReLU": {},
}
# normalizations, made for the map's channels (GroupNorm: four groups)
NORMS = ("BatchNorm2d", "GroupNorm", "InstanceNorm2d")
MAPS = {"C2": (64, 8, 28, 28), "C3": (64, 32, 32, 32)}

TARGET_SECONDS = 0.02  # each timed batch of calls lasts about this long


def _module(lib: Any, name: str, channels: int) -> Any:
    if name == "GroupNorm":
        return lib.nn.GroupNorm(4, channels)
    if name in NORMS:
        return getattr(lib.nn, name)(channels)
    kind = name.split()[0]
    return getattr(lib.nn, kind)(**ACTIVATIONS[name])


def _calls(lib: Any, name: str, array: np.ndarray) -> dict[str, Callable[[], object]]:
    layer = _module(lib, name, array.shape[1])
    x = lib.tensor(array, requires_grad=True)
    grad = lib.ones_like(layer(x))

    def forward_and_backward() -> None:
        x.grad = None
        layer(x).backward(grad)

    return {"f": lambda: layer(x), "fb": forward_and_backward}


def times(name: str, shape: tuple[int, ...], rounds: int) -> dict[str, tuple[float, float]]:
    """For "torch" and "nerve": the median forward and backward microseconds of ``name``."""
    import torch

    import nerve

    array = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    timed = {}
    for key, lib in (("torch", torch), ("nerve", nerve)):
        for part, fn in _calls(lib, name, array).items():
            timed[f"{key} {part}"] = (fn, calls_per_batch(fn, TARGET_SECONDS))
    samples: dict[str, list[float]] = {part: [] for part in timed}
    for _ in range(rounds):
        for part, (fn, number) in timed.items():
            samples[part].append(time_call(fn, number, rounds=1, warmup=0))
    result = {}
    for key in ("torch", "nerve"):
        forward = 1e6 * statistics.median(samples[f"{key} f"])
        result[key] = (forward, 1e6 * statistics.median(samples[f"{key} fb"]) - forward)
    return result


def report(rounds: int, maps: dict[str, tuple[int, ...]]) -> str:
    lines = [
        "| map | layer | torch forward (us) | torch backward (us) | nerve forward (us) "
        "| nerve backward (us) | torch / nerve |",
        "|---|---|---|---|---|---|---|",
    ]
    for map_name, shape in maps.items():
        size = "x".join(map(str, shape))
        for name in (*ACTIVATIONS, *NORMS):
            (tf, tb), (nf, nb) = times(name, shape, rounds).values()
            lines.append(
                f"| {map_name} {size} | {name} | {tf:.0f} | {tb:.0f} | {nf:.0f} | {nb:.0f} "
                f"| {(tf + tb) / max(nf + nb, 1e-9):.2f}x |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> str:
    """Print and return the report (one thread each; the thread counts are restored)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="one small map, one round")
    args = parser.parse_args(argv)
    import torch

    import nerve

    threads = torch.get_num_threads(), nerve.get_num_threads()
    torch.set_num_threads(1)
    nerve.set_num_threads(1)
    try:
        maps = {"small": (4, 8, 16, 16)} if args.quick else MAPS
        text = f"Machine: {machine()}; one thread each\n\n"
        text += report(1 if args.quick else args.rounds, maps)
    finally:
        torch.set_num_threads(threads[0])
        nerve.set_num_threads(threads[1])
    print(text)
    return text


if __name__ == "__main__":
    pin_to_one_core()
    main()
