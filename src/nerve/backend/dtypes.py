"""nerve's dtypes and PyTorch's type-promotion rules.

A :class:`dtype` is a thin named wrapper around a NumPy dtype. Promotion follows torch:
categories rank bool < integer < floating; a Python scalar or a zero-dimensional tensor
only changes the result when it belongs to a higher category than the dimensioned operands
(so ``float32_tensor * 2.5`` stays float32, and ``int_tensor * 2.5`` gives the default float
dtype).
"""

from __future__ import annotations

import builtins

import numpy as np

BOOL, INT, FLOAT = 0, 1, 2


class dtype:  # noqa: N801 - torch's spelling: nerve.float32 is a ``nerve.dtype``
    """A tensor element type, e.g. ``nerve.float32``.

    Example:
        >>> import nerve
        >>> nerve.zeros(2).dtype
        nerve.float32
    """

    __slots__ = ("name", "np", "category", "is_floating_point", "itemsize")

    def __init__(self, name: str, np_dtype: type, category: int) -> None:
        self.name = name
        self.np = np.dtype(np_dtype)
        self.category = category
        self.is_floating_point = category == FLOAT
        self.itemsize = self.np.itemsize

    def __repr__(self) -> str:
        return f"nerve.{self.name}"

    def __reduce__(self) -> str:  # dtypes are singletons, also when copied
        return self.name


float16 = dtype("float16", np.float16, FLOAT)
float32 = dtype("float32", np.float32, FLOAT)
float64 = dtype("float64", np.float64, FLOAT)
uint8 = dtype("uint8", np.uint8, INT)
int8 = dtype("int8", np.int8, INT)
int16 = dtype("int16", np.int16, INT)
int32 = dtype("int32", np.int32, INT)
int64 = dtype("int64", np.int64, INT)
bool_ = dtype("bool", np.bool_, BOOL)

half, float, double = float16, float32, float64  # noqa: A001 - torch's aliases
short, int, long = int16, int32, int64  # noqa: A001

ALL_DTYPES = (float16, float32, float64, uint8, int8, int16, int32, int64, bool_)
_FROM_NUMPY = {d.np: d for d in ALL_DTYPES}

_default_float = float32


def from_numpy_dtype(np_dtype: np.dtype) -> dtype:
    """The nerve dtype of a NumPy dtype; a clear error for ones nerve does not support."""
    found = _FROM_NUMPY.get(np_dtype)
    if found is None:
        supported = ", ".join(d.name for d in ALL_DTYPES)
        raise TypeError(
            f"NumPy dtype {np_dtype} is not supported by nerve; expected one of: {supported}"
        )
    return found


def to_dtype(value: object) -> dtype:
    """Accept a nerve dtype, a NumPy dtype, or a name such as ``"float32"``."""
    if isinstance(value, dtype):
        return value
    if isinstance(value, str):
        for d in ALL_DTYPES:
            if d.name == value:
                return d
        raise TypeError(f"unknown dtype name {value!r}")
    if value is builtins.float:
        return _default_float
    if value is builtins.int:
        return int64
    if value is builtins.bool:
        return bool_
    try:
        return from_numpy_dtype(np.dtype(value))  # type: ignore[call-overload]
    except TypeError as error:
        raise TypeError(f"expected a nerve dtype such as nerve.float32, got {value!r}") from error


def get_default_dtype() -> dtype:
    """The dtype of floating-point tensors created from Python floats (float32 unless changed).

    Example:
        >>> import nerve
        >>> nerve.get_default_dtype()
        nerve.float32
    """
    return _default_float


def set_default_dtype(d: dtype) -> None:
    """Set the default floating-point dtype (float32 or float64), as ``torch.set_default_dtype``.

    Example:
        >>> import nerve
        >>> nerve.set_default_dtype(nerve.float64); nerve.tensor([1.0]).dtype
        nerve.float64
        >>> nerve.set_default_dtype(nerve.float32)
    """
    global _default_float
    d = to_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"only floating-point dtypes can be the default, got {d}")
    _default_float = d


def promote(a: dtype, b: dtype) -> dtype:
    """The smallest dtype that holds both ``a`` and ``b`` (torch.promote_types).

    Across categories the higher category's dtype wins as it is (float32 with int64 gives
    float32, where NumPy would widen to float64); within one, NumPy's rule is torch's.

    Example:
        >>> import nerve
        >>> nerve.promote_types(nerve.int64, nerve.float16)
        nerve.float16
        >>> nerve.promote_types(nerve.uint8, nerve.int8)
        nerve.int16
    """
    if a is b:
        return a
    if a.category != b.category:
        return a if a.category > b.category else b
    return from_numpy_dtype(np.promote_types(a.np, b.np))


promote_types = promote  # torch's name


def scalar_dtype(value: object) -> dtype:
    """The dtype a Python scalar stands for: bool, int64, or the default float."""
    if isinstance(value, (builtins.bool, np.bool_)):
        return bool_
    if isinstance(value, (builtins.int, np.integer)):
        return int64
    return _default_float


def scalar_category(value: object) -> int:
    if isinstance(value, (builtins.bool, np.bool_)):
        return BOOL
    if isinstance(value, (builtins.int, np.integer)):
        return INT
    return FLOAT


def result_type(dims: list[dtype], zero_dims: list[dtype], scalars: list[object]) -> dtype:
    """torch.result_type over operands grouped by priority: dimensioned tensors first, then
    zero-dimensional tensors, then Python scalars. A lower group only counts when its category
    is higher than everything above it."""
    result: dtype | None = None
    for group in (dims, zero_dims):
        if not group:
            continue
        group_type = group[0]
        for d in group[1:]:
            group_type = promote(group_type, d)
        if result is None or group_type.category > result.category:
            result = group_type
    for value in scalars:
        category = scalar_category(value)
        if result is None or category > result.category:
            result = scalar_dtype(value)
    assert result is not None
    return result
