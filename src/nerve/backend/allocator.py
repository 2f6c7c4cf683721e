"""Keep freed array memory for reuse: glibc's malloc, tuned once when nerve is imported.

Every op returns a new NumPy array, and a training step frees what the last step made. With
glibc's default settings an array above a threshold (128 KiB, raised only by the frees it has
seen) is a fresh ``mmap`` of the kernel, returned with ``munmap`` when freed; each new page is
then zeroed by the kernel on first touch. On the LeNet-size CNN benchmark that was 3,200 page
faults and 5 ms of kernel time in a 14 ms step; torch, whose allocator reuses its blocks, had
250. Serving arrays up to :data:`MMAP_THRESHOLD` from malloc's heap, and keeping up to
:data:`TRIM_THRESHOLD` of freed memory there, removes the faults (0.4 a step) and a third of
the step's time.

The price is that a process keeps up to ``TRIM_THRESHOLD`` of freed memory for reuse rather
than handing it back at once, as torch's and CuPy's caching allocators do. Set the
environment variable ``NERVE_TUNE_MALLOC=0`` before importing nerve to leave malloc as it is.
Elsewhere than glibc (macOS, Windows, musl) nothing is changed.
"""

from __future__ import annotations

import ctypes
import os
import platform

# mallopt's parameter numbers (glibc's malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3

MMAP_THRESHOLD = 256 << 20  # arrays up to 256 MiB come from the heap
FALLBACK_MMAP_THRESHOLD = 32 << 20  # older glibc refuses more than this
TRIM_THRESHOLD = 512 << 20  # freed memory kept for reuse

_state = {"tuned": False}


def tune_malloc() -> bool:
    """Raise glibc's mmap and trim thresholds (see the module's text); True when done.

    Called once when nerve is imported, unless ``NERVE_TUNE_MALLOC=0``; calling it again
    changes nothing.

    Example:
        >>> from nerve.backend import allocator
        >>> allocator.tune_malloc() in (True, False)
        True
    """
    if _state["tuned"]:
        return True
    if os.environ.get("NERVE_TUNE_MALLOC", "1") == "0" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    mapped = mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) or mallopt(
        _M_MMAP_THRESHOLD, FALLBACK_MMAP_THRESHOLD
    )
    trimmed = mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    _state["tuned"] = bool(mapped and trimmed)
    return _state["tuned"]


def is_tuned() -> bool:
    """Whether :func:`tune_malloc` has changed malloc's thresholds in this process."""
    return _state["tuned"]
