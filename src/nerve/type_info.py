"""The numerical limits of a dtype, as torch reports them: ``nerve.finfo`` for floating-point
types (``eps``, the largest and smallest values, the smallest normal number) and
``nerve.iinfo`` for integer types. Learners meet them in stable formulas (``x + eps``) and
in masks (``scores.masked_fill(~mask, nerve.finfo(scores.dtype).min)``).
"""

from __future__ import annotations

import math

import numpy as np

from .backend.dtypes import dtype, get_default_dtype


class finfo:  # noqa: N801 - torch's name
    """Machine limits of a floating-point dtype (the default dtype when none is given).

    Attributes: ``bits``, ``eps`` (the gap between 1.0 and the next number), ``max``, ``min``
    (the most negative finite number), ``tiny`` and ``smallest_normal`` (the smallest positive
    normal number), ``resolution`` (10 to the minus the number of exact decimal digits) and
    ``dtype`` (its name).

    Example:
        >>> import nerve
        >>> nerve.finfo(nerve.float32).eps
        1.1920928955078125e-07
        >>> nerve.finfo(nerve.float16)
        finfo(resolution=0.001, min=-65504, max=65504, eps=0.000976562, smallest_normal=6.10352e-05, tiny=6.10352e-05, dtype=float16)
    """  # noqa: E501 - the repr is one line

    def __init__(self, type: dtype | None = None) -> None:  # noqa: A002 - torch's name
        kind = get_default_dtype() if type is None else type
        if not isinstance(kind, dtype) or not kind.is_floating_point:
            raise TypeError(
                "nerve.finfo() requires a floating point input type. Use nerve.iinfo to handle "
                f"{kind!r}"
            )
        limits = np.finfo(kind.np)
        self.bits = int(limits.bits)
        self.eps = float(limits.eps)
        self.max = float(limits.max)
        self.min = float(limits.min)
        self.tiny = self.smallest_normal = float(limits.smallest_normal)
        self.resolution = 10.0 ** -int(limits.precision)
        self.dtype = kind.name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, finfo) and other.dtype == self.dtype

    def __hash__(self) -> int:
        return hash(("finfo", self.dtype))

    def __repr__(self) -> str:
        return (
            f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
            f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, "
            f"dtype={self.dtype})"
        )


class iinfo:  # noqa: N801 - torch's name
    """Machine limits of an integer dtype: ``bits``, ``max``, ``min`` and ``dtype`` (its name).

    Example:
        >>> import nerve
        >>> nerve.iinfo(nerve.uint8).max
        255
        >>> nerve.iinfo(nerve.int64)
        iinfo(min=-9.22337e+18, max=9.22337e+18, dtype=int64)
    """

    def __init__(self, type: dtype) -> None:  # noqa: A002 - torch's name
        if not isinstance(type, dtype) or type.is_floating_point or type.np.kind == "b":
            raise TypeError(
                f"nerve.iinfo() requires an integer input type. Use nerve.finfo to handle {type!r}"
            )
        limits = np.iinfo(type.np)
        self.bits = int(limits.bits)
        self.max = int(limits.max)
        self.min = int(limits.min)
        self.dtype = type.name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, iinfo) and other.dtype == self.dtype

    def __hash__(self) -> int:
        return hash(("iinfo", self.dtype))

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"


# torch's constants (torch.pi is math.pi; torch.newaxis is None, as NumPy's)
pi = math.pi
e = math.e
inf = math.inf
nan = math.nan
newaxis = None

__all__ = ["e", "finfo", "iinfo", "inf", "nan", "newaxis", "pi"]
