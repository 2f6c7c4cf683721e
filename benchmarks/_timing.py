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


def calls_per_batch(fn: Callable[[], object], seconds: float = 0.02) -> int:
    """How many calls of ``fn`` last about ``seconds`` (timed after one warm-up call): the size
    of a timed batch, for benchmarks that alternate libraries batch by batch."""
    return max(1, int(seconds / max(time_call(fn, 1, rounds=1, warmup=1), 1e-7)))


def machine() -> str:
    """The CPU (its model where Linux names it: libraries' kernels differ between vendors, and
    so do the ratios), its cores and Python's version."""
    import os
    import platform

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            models = [
                line.split(":", 1)[1].strip() for line in info if line.startswith("model name")
            ]
    except OSError:
        models = []
    if models:
        cpu = f"{cpu} ({models[0]})"
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def pin_to_one_core() -> None:
    """Keep this process on one CPU core, so that "one thread each" holds for every engine.

    A BLAS thread count is not enough: XLA (JAX) runs its matrix products on a thread pool of
    its own that ``--xla_cpu_multi_thread_eigen=false`` does not cover (measured: W3's step at
    160 GFLOPS, beyond one core, user time above wall time), and so would use both cores of
    this machine against one for the others. Called first in every worker process, before any
    engine is imported; a no-op where the OS has no ``sched_setaffinity``."""
    import os

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
