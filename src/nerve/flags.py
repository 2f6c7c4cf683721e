"""Global switches torch scripts set at the top: deterministic algorithms and the float32
matrix-product precision. nerve's CPU kernels are deterministic and always multiply in full
float32, so the switches are remembered and reported back, and change no result; they exist so
that a script written for torch runs unchanged.
"""

from __future__ import annotations

import warnings
from typing import Any

from .tensor import Tensor

_settings: dict[str, Any] = {"deterministic": False, "warn_only": False, "precision": "highest"}


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Ask for deterministic algorithms (nerve's are: its CPU kernels give the same result for
    the same input on every run). Remembered for :func:`are_deterministic_algorithms_enabled`.

    Example:
        >>> import nerve
        >>> nerve.use_deterministic_algorithms(True)
        >>> nerve.are_deterministic_algorithms_enabled()
        True
        >>> nerve.use_deterministic_algorithms(False)
    """
    if not isinstance(mode, bool):
        raise TypeError(
            "use_deterministic_algorithms(): argument 'mode' (position 1) must be bool, not "
            f"{type(mode).__name__}"
        )
    _settings["deterministic"], _settings["warn_only"] = mode, bool(warn_only) and mode


def are_deterministic_algorithms_enabled() -> bool:
    """Whether :func:`use_deterministic_algorithms` was switched on.

    Example:
        >>> import nerve
        >>> nerve.are_deterministic_algorithms_enabled()
        False
    """
    return bool(_settings["deterministic"])


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    """Whether deterministic algorithms were asked for with ``warn_only=True``.

    Example:
        >>> import nerve
        >>> nerve.is_deterministic_algorithms_warn_only_enabled()
        False
    """
    return bool(_settings["warn_only"])


_PRECISIONS = ("highest", "high", "medium")


def set_float32_matmul_precision(precision: str) -> None:
    """torch's switch for faster, less precise float32 products on some GPUs ("highest",
    "high" or "medium"); nerve always multiplies in float32 and only remembers it.

    Example:
        >>> import nerve
        >>> nerve.set_float32_matmul_precision("high")
        >>> nerve.get_float32_matmul_precision()
        'high'
        >>> nerve.set_float32_matmul_precision("highest")
    """
    if precision not in _PRECISIONS:
        warnings.warn(
            f"{precision} is not one of 'highest', 'high', or 'medium'; the current "
            "set_float32_matmul_precision call has no effect.",
            UserWarning,
            stacklevel=2,
        )
        return
    _settings["precision"] = precision


def get_float32_matmul_precision() -> str:
    """The precision last set by :func:`set_float32_matmul_precision` ("highest" at first).

    Example:
        >>> import nerve
        >>> nerve.get_float32_matmul_precision()
        'highest'
    """
    return str(_settings["precision"])


def typename(obj: Any) -> str:
    """A short name of ``obj``'s type: for a tensor its legacy type name, as
    :meth:`Tensor.type` gives it (``torch.LongTensor`` for int64, torch's spelling, which
    scripts compare against), else the class's dotted name.

    Example:
        >>> import nerve
        >>> nerve.typename(nerve.zeros(1, dtype=nerve.int64)), nerve.typename(3)
        ('torch.LongTensor', 'int')
    """
    if isinstance(obj, Tensor):
        return str(obj.type())
    kind = type(obj)
    module = kind.__module__
    return kind.__qualname__ if module == "builtins" else f"{module}.{kind.__qualname__}"


def is_inference(input: Tensor) -> bool:
    """Whether ``input`` is an inference tensor: never in nerve, whose ``inference_mode`` is a
    ``no_grad`` that makes ordinary tensors.

    Example:
        >>> import nerve
        >>> nerve.is_inference(nerve.zeros(1))
        False
    """
    return False


__all__ = [
    "are_deterministic_algorithms_enabled",
    "get_float32_matmul_precision",
    "is_deterministic_algorithms_warn_only_enabled",
    "is_inference",
    "set_float32_matmul_precision",
    "typename",
    "use_deterministic_algorithms",
]
