"""``nerve.cuda``: the GPU questions a tutorial asks before it trains.

``is_available()`` is True when CuPy is installed and sees an NVIDIA GPU; tensors then move with
``.to("cuda")``. Without one, the calls that only tidy up (``empty_cache``, ``manual_seed_all``)
do nothing, as torch's do, and the calls that need a GPU (``get_device_name``, ``synchronize``)
raise torch's ``AssertionError``, so a script guarded by ``is_available()`` runs either way.
"""

from __future__ import annotations

from typing import Any

from .backend.device import _cupy, _cupy_or_none, cuda_is_available, device
from .random import manual_seed as _manual_seed

__all__ = [
    "current_device",
    "device_count",
    "empty_cache",
    "get_device_name",
    "is_available",
    "manual_seed",
    "manual_seed_all",
    "max_memory_allocated",
    "memory_allocated",
    "synchronize",
]


def is_available() -> bool:
    """True when CuPy is installed and sees at least one GPU."""
    return cuda_is_available()


def device_count() -> int:
    """How many GPUs CuPy sees (0 without CuPy or a GPU)."""
    cupy = _cupy_or_none()
    return 0 if cupy is None else int(cupy.cuda.runtime.getDeviceCount())


def _require() -> Any:
    if not cuda_is_available():
        # torch's exception type, so ``except AssertionError`` in copied code still works
        raise AssertionError(
            "nerve has no CUDA device: install CuPy (pip install cupy-cuda12x) on a machine with "
            "an NVIDIA GPU; check nerve.cuda.is_available() first"
        )
    return _cupy()


def _index(target: Any) -> int:
    if target is None:
        return current_device()
    if isinstance(target, int):
        return target
    return device(target).index or 0


def current_device() -> int:
    """The index of the GPU CuPy computes on now."""
    return int(_require().cuda.runtime.getDevice())


def get_device_name(device: Any = None) -> str:
    """The GPU's name, e.g. ``'NVIDIA H200'``."""
    cupy = _require()
    name = cupy.cuda.runtime.getDeviceProperties(_index(device))["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


def synchronize(device: Any = None) -> None:
    """Wait until every queued kernel on the GPU has finished (for timing)."""
    cupy = _require()
    with cupy.cuda.Device(_index(device)):
        cupy.cuda.runtime.deviceSynchronize()


def empty_cache() -> None:
    """Give CuPy's cached, unused GPU memory back to the driver (nothing to do without one)."""
    cupy = _cupy_or_none()
    if cupy is not None:
        cupy.get_default_memory_pool().free_all_blocks()


def memory_allocated(device: Any = None) -> int:
    """Bytes of GPU memory held by tensors now (0 without a GPU)."""
    cupy = _cupy_or_none()
    return 0 if cupy is None else int(cupy.get_default_memory_pool().used_bytes())


def max_memory_allocated(device: Any = None) -> int:
    """Bytes of GPU memory CuPy's pool holds, used or cached (0 without a GPU)."""
    cupy = _cupy_or_none()
    return 0 if cupy is None else int(cupy.get_default_memory_pool().total_bytes())


def manual_seed(seed: int) -> None:
    """Seed the generator GPU tensors draw from: nerve draws every random number on the CPU
    and moves it, so this seeds the one default generator (as ``nerve.manual_seed``)."""
    _manual_seed(seed)


manual_seed_all = manual_seed
