"""``nerve.accelerator``: torch 2.6's device-agnostic lines of current tutorials::

    device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() \
        else "cpu"

The one accelerator nerve drives is an NVIDIA GPU through CuPy (see ``nerve.cuda``).
"""

from __future__ import annotations

from . import cuda
from .backend.device import device

__all__ = ["current_accelerator", "current_device_index", "device_count", "is_available"]


def is_available() -> bool:
    """True when an accelerator (a CUDA GPU through CuPy) can run tensors."""
    return cuda.is_available()


def current_accelerator(check_available: bool = False) -> device | None:
    """The accelerator's device (``device(type='cuda')``), or None when there is none."""
    if cuda.is_available():
        return device("cuda")
    return None


def device_count() -> int:
    """How many accelerator devices there are (0 without one)."""
    return cuda.device_count()


def current_device_index() -> int:
    """The index of the accelerator device in use (-1 without one, as torch)."""
    return cuda.current_device() if cuda.is_available() else -1


def synchronize(device: object = None) -> None:
    """Wait for the accelerator's queued work (nothing to wait for without one)."""
    if cuda.is_available():
        cuda.synchronize(device)
