"""Shared timing helpers: median of several rounds, each round timing many calls."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def time_call(fn: Callable[[], object], number: int, rounds: int = 7, warmup: int = 20) -> float:
    """Median seconds per call of ``fn`` over ``rounds`` rounds of ``number`` calls."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - start) / number)
    return statistics.median(samples)


def machine() -> str:
    import os
    import platform

    cpu = platform.processor() or platform.machine()
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"
