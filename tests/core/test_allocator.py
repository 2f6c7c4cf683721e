"""nerve tunes glibc's malloc at import so that freed arrays are reused, not page-faulted anew
(backend/allocator.py); NERVE_TUNE_MALLOC=0 leaves malloc alone."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
    reason="malloc is tuned on glibc only",
)

# Ten 40 MiB arrays made and freed one after another: above glibc's largest default mmap
# threshold (32 MiB), each is a fresh mmap of 10,240 pages faulted in anew unless tuned.
PROBE = """
import resource, numpy as np
import nerve
from nerve.backend import allocator
for _ in range(2):
    np.ones(10 << 20, dtype=np.float32)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(10):
    np.ones(10 << 20, dtype=np.float32)
print(allocator.is_tuned(), resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _probe(**env: str) -> tuple[bool, int]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    tuned, faults = result.stdout.split()
    return tuned == "True", int(faults)


def test_freed_arrays_are_reused_without_page_faults() -> None:
    tuned, faults = _probe(NERVE_TUNE_MALLOC="1")
    untuned, untuned_faults = _probe(NERVE_TUNE_MALLOC="0")
    assert tuned and not untuned
    # untuned, each array is faulted in anew: thousands of faults with 4 KiB pages, but only
    # 20 per array where the kernel grants NumPy's request for 2 MiB transparent huge pages
    # (CI saw 210); tuned, the heap's pages are reused
    assert untuned_faults >= 10 * 10
    assert faults < untuned_faults / 10
