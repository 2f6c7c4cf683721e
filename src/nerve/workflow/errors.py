"""The one error type of the workflow package, and the argument checks that raise it.

Everything a user can get wrong -- a bad CSV cell, a fraction outside its range, labels of the
wrong dtype -- raises :class:`DataError`. It subclasses :class:`ValueError`, so code that already
catches ``ValueError`` keeps working, while the CLI and the playground can catch *only* the
errors worth showing to the user verbatim (a bug elsewhere still surfaces as a traceback).

The helpers below are shared by every module of the package so that the same mistake produces
the same message wherever it is made.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = [
    "DataError",
    "ConfigError",
    "check_choice",
    "check_fraction",
    "check_int",
    "as_labels",
    "as_vector",
]


class DataError(ValueError):
    """Bad data, a malformed CSV file or an invalid argument; the message says what to fix.

    Example:
        >>> try:
        ...     raise DataError("column 'age' is missing")
        ... except ValueError as err:
        ...     print(err)
        column 'age' is missing
    """


class ConfigError(ValueError):
    """A bad run configuration: an unknown key, a value of the wrong type or out of range.

    The message names the key (``optimizer.lr``), the bad value and what was expected.

    Example:
        >>> str(ConfigError("optimizer.lr must be > 0, got -1"))
        'optimizer.lr must be > 0, got -1'
    """


def check_choice(name: str, value: Any, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise a DataError listing them.

    Example:
        >>> check_choice("task", "binary", ["binary", "regression"])
        'binary'
    """
    options = list(choices)
    if not isinstance(value, str) or value not in options:
        raise DataError(f"unknown {name} {value!r}; expected one of: {', '.join(options)}")
    return value


def check_int(name: str, value: Any, minimum: int, maximum: int | None = None) -> int:
    """Return ``value`` as an int if it is an integer in ``[minimum, maximum]``.

    ``bool`` is rejected on purpose: ``n_samples=True`` is always a mistake.

    Example:
        >>> check_int("n_samples", 10, minimum=2)
        10
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise DataError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if value < minimum or (maximum is not None and value > maximum):
        upper = "" if maximum is None else f" and at most {maximum}"
        raise DataError(f"{name} must be at least {minimum}{upper}, got {value}")
    return value


def check_fraction(
    name: str, value: Any, low: float = 0.0, high: float = 1.0, *, low_open: bool = False
) -> float:
    """Return ``value`` as a float in ``[low, high]`` (or ``(low, high]`` with ``low_open``).

    Example:
        >>> check_fraction("noise", 0.25)
        0.25
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise DataError(f"{name} must be a number, got {value!r}")
    value = float(value)
    too_low = value <= low if low_open else value < low
    if not math.isfinite(value) or too_low or value > high:
        bracket = "(" if low_open else "["
        raise DataError(f"{name} must be in {bracket}{low:g}, {high:g}], got {value:g}")
    return value


def as_vector(name: str, values: Any, *, allow_empty: bool = False) -> np.ndarray:
    """Return ``values`` as a finite 1-D float64 array, or raise a DataError saying why not.

    Example:
        >>> as_vector("y_true", [1, 2.5])
        array([1. , 2.5])
    """
    arr = np.asarray(values)
    if arr.ndim == 2 and arr.shape[1] == 1:
        # A (n, 1) column from a model's regression head is a common, harmless shape.
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise DataError(f"{name} must be 1-D with shape (n,), got shape {arr.shape}")
    if arr.dtype.kind not in "biuf":
        raise DataError(f"{name} must be numeric, got dtype {arr.dtype}")
    if arr.size == 0 and not allow_empty:
        raise DataError(f"{name} is empty; expected at least one value")
    out = arr.astype(np.float64)
    if not np.all(np.isfinite(out)):
        raise DataError(f"{name} contains NaN or infinite values")
    return out


def as_labels(name: str, values: Any, n_classes: int | None = None) -> np.ndarray:
    """Return integer class labels as int64, checking they are whole numbers in ``[0, k)``.

    Float arrays holding whole numbers (``[0., 1.]``) are accepted, because labels often come
    back from a model as floats; ``[0.5]`` is not.

    Example:
        >>> as_labels("y", [0, 1.0, 2], n_classes=3)
        array([0, 1, 2])
    """
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise DataError(f"{name} must be 1-D class labels with shape (n,), got {arr.shape}")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise DataError(f"{name} must hold whole-number class labels, got non-integers")
    elif arr.dtype.kind not in "biu":
        raise DataError(f"{name} must hold integer class labels, got dtype {arr.dtype}")
    labels = arr.astype(np.int64)
    if n_classes is not None and labels.size:
        low, high = int(labels.min()), int(labels.max())
        if low < 0 or high >= n_classes:
            bad = low if low < 0 else high
            raise DataError(
                f"{name} contains label {bad}; expected labels 0..{n_classes - 1} "
                f"for {n_classes} classes"
            )
    return labels
