"""Devices: each wraps the array module that holds a tensor's data.

``cpu`` computes with NumPy; ``cuda`` with CuPy when it is installed and a GPU is present.
Ops never import NumPy or CuPy directly for computation: they ask a tensor's device for its
array module (``tensor.device.xp``), so one op definition serves every backend.
"""

from __future__ import annotations

import functools
from types import ModuleType

import numpy as np


class device:  # noqa: N801 - torch's spelling: ``nerve.device("cpu")``
    """Where a tensor lives: ``nerve.device("cpu")``, ``nerve.device("cuda:0")``.

    Example:
        >>> import nerve
        >>> nerve.device("cpu")
        device(type='cpu')
        >>> nerve.zeros(2).device == nerve.device("cpu")
        True
    """

    __slots__ = ("type", "index")

    def __new__(cls, spec: str | device = "cpu", index: int | None = None) -> device:
        if isinstance(spec, device):
            return spec
        if not isinstance(spec, str):
            raise TypeError(f"device() expected a string such as 'cpu' or 'cuda:0', got {spec!r}")
        kind, _, number = spec.partition(":")
        if kind not in ("cpu", "cuda"):
            raise RuntimeError(f"unknown device type {kind!r}; expected 'cpu' or 'cuda'")
        if number:
            if not number.isdigit():
                raise RuntimeError(f"invalid device string {spec!r}: the index must be a number")
            index = int(number)
        if kind == "cuda" and index is None:
            index = 0
        return _interned(kind, index)

    @property
    def xp(self) -> ModuleType:
        """The array module (numpy or cupy) that computes on this device."""
        return np if self.type == "cpu" else _cupy()

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))


@functools.cache
def _interned(kind: str, index: int | None) -> device:
    instance = object.__new__(device)
    instance.type = kind
    instance.index = index
    return instance


CPU = device("cpu")

# What factory functions (zeros, randn, tensor ...) create on when given no ``device``:
# one mutable slot, read once per creation (``set_default_device``).
_DEFAULT_DEVICE: list[device] = [CPU]


def set_default_device(target: str | device | None) -> None:
    """Create new tensors on ``target`` when no ``device=`` is given (``None``: back to cpu).

    Example:
        >>> import nerve
        >>> nerve.set_default_device("cpu")
        >>> nerve.get_default_device()
        device(type='cpu')
    """
    chosen = CPU if target is None else device(target)
    if chosen.type == "cuda":
        _cupy()  # torch fails at the first allocation; failing here names the cause sooner
    _DEFAULT_DEVICE[0] = chosen


def get_default_device() -> device:
    """The device new tensors are created on when no ``device=`` is given.

    Example:
        >>> import nerve
        >>> nerve.get_default_device()
        device(type='cpu')
    """
    return _DEFAULT_DEVICE[0]


@functools.lru_cache(maxsize=1)
def _cupy_or_none() -> ModuleType | None:
    try:
        import cupy  # type: ignore[import-not-found]
    except ImportError:
        return None
    try:
        if cupy.cuda.runtime.getDeviceCount() < 1:
            return None
    except Exception:  # no driver, no GPU: CUDA is simply unavailable
        return None
    return cupy


def _cupy() -> ModuleType:
    cupy = _cupy_or_none()
    if cupy is None:
        raise RuntimeError(
            "CUDA is not available: install CuPy (pip install cupy-cuda12x) on a machine with an "
            "NVIDIA GPU, or keep tensors on the CPU"
        )
    return cupy


def cuda_is_available() -> bool:
    """True when CuPy is installed and sees at least one GPU (``nerve.cuda.is_available()``)."""
    return _cupy_or_none() is not None


def device_of(array: object) -> device:
    """The device an array lives on: NumPy arrays on the CPU, CuPy arrays on their GPU."""
    if isinstance(array, np.ndarray):
        return CPU
    index = getattr(getattr(array, "device", None), "id", 0)
    return device("cuda", index)


def move(array: object, target: device) -> object:
    """Copy ``array`` to ``target`` (a no-op when it is already there)."""
    if device_of(array) == target:
        return array
    if target.type == "cpu":
        return array.get()  # type: ignore[attr-defined]
    cupy = _cupy()
    with cupy.cuda.Device(target.index or 0):
        return cupy.asarray(array)


def xp_of(array: object) -> ModuleType:
    """The array module of ``array``: what an op's forward computes with."""
    return np if isinstance(array, (np.ndarray, np.generic)) else _cupy()
