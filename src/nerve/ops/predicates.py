"""Elementwise ops with integer or bool results, which have no gradient (as torch's):
signbit, isposinf, isneginf, isreal, gcd, lcm, nextafter, frexp, the bitwise ops and shifts,
and the questions torch asks of a whole tensor (is_complex, is_signed, is_nonzero,
is_same_size)."""

from __future__ import annotations

from collections import namedtuple
from typing import Any

from ..backend.device import xp_of
from ..tensor import Tensor
from .binary_more import _pair, checked_inplace
from .compare import bitwise_and, bitwise_not, bitwise_or, bitwise_xor
from .promotion import torch_name

__all__ = [
    "bitwise_left_shift",
    "bitwise_right_shift",
    "frexp",
    "gcd",
    "is_complex",
    "is_nonzero",
    "is_same_size",
    "is_signed",
    "isneginf",
    "isposinf",
    "isreal",
    "lcm",
    "nextafter",
    "signbit",
]


def _array_op(function: str, input: Any, other: Any, kinds: str, name: str) -> Tensor:
    """``xp.<function>`` of two operands of a common dtype whose kind is in ``kinds``."""
    a, b = _pair(input, other, name, False)
    if a._data.dtype.kind not in kinds:
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{torch_name(a.dtype)}'")
    return Tensor._make(getattr(xp_of(a._data), function)(a._data, b._data))


def signbit(input: Tensor) -> Tensor:
    """Where the sign bit is set (-0.0 included): a bool tensor (torch.signbit).

    Example:
        >>> import nerve
        >>> nerve.signbit(nerve.tensor([-1.0, -0.0, 0.0, 2.0]))
        tensor([ True,  True, False, False])
    """
    return Tensor._make(xp_of(input._data).signbit(input._data))


def isposinf(input: Tensor) -> Tensor:
    """Where the elements are +inf: a bool tensor (torch.isposinf).

    Example:
        >>> import nerve
        >>> nerve.isposinf(nerve.tensor([1.0, float("inf"), -float("inf")]))
        tensor([False,  True, False])
    """
    return Tensor._make(input._data == float("inf"))


def isneginf(input: Tensor) -> Tensor:
    """Where the elements are -inf: a bool tensor (torch.isneginf).

    Example:
        >>> import nerve
        >>> nerve.isneginf(nerve.tensor([1.0, float("inf"), -float("inf")]))
        tensor([False, False,  True])
    """
    return Tensor._make(input._data == float("-inf"))


def isreal(input: Tensor) -> Tensor:
    """Where the elements have no imaginary part: all True, nerve having no complex dtypes.

    Example:
        >>> import nerve
        >>> nerve.isreal(nerve.tensor([1.0, float("nan")]))
        tensor([True, True])
    """
    return Tensor._make(xp_of(input._data).ones(input._data.shape, dtype=bool))


def gcd(input: Tensor, other: Any) -> Tensor:
    """The greatest common divisor, nonnegative, of integer tensors (torch.gcd).

    Example:
        >>> import nerve
        >>> nerve.gcd(nerve.tensor([12, -4, 0]), nerve.tensor([18, 6, 0]))
        tensor([6, 2, 0])
    """
    return _array_op("gcd", input, other, "iu", "gcd")


def lcm(input: Tensor, other: Any) -> Tensor:
    """The least common multiple, nonnegative, of integer tensors (torch.lcm).

    Example:
        >>> import nerve
        >>> nerve.lcm(nerve.tensor([4, -6]), nerve.tensor([6, 4]))
        tensor([12, 12])
    """
    return _array_op("lcm", input, other, "iu", "lcm")


def nextafter(input: Tensor, other: Any) -> Tensor:
    """The next representable float after ``input`` toward ``other`` (torch.nextafter).

    Example:
        >>> import nerve
        >>> (nerve.nextafter(nerve.tensor([1.0]), nerve.tensor([2.0])) - 1).item() > 0
        True
    """
    return _array_op("nextafter", input, other, "f", "nextafter")


class _Frexp(namedtuple("frexp", ["mantissa", "exponent"])):
    """torch.return_types.frexp: (mantissa, exponent)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return (
            f"nerve.return_types.frexp(\nmantissa={self.mantissa!r},\nexponent={self.exponent!r})"
        )


def frexp(input: Tensor) -> Any:
    """Mantissa in [0.5, 1) and int32 exponent with ``input == mantissa * 2 ** exponent``
    (torch.frexp: a named tuple).

    Example:
        >>> import nerve
        >>> nerve.frexp(nerve.tensor([8.0, 3.0]))
        nerve.return_types.frexp(
        mantissa=tensor([0.5000, 0.7500]),
        exponent=tensor([4, 2], dtype=nerve.int32))
    """
    if input._data.dtype.kind != "f":
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    mantissa, exponent = xp_of(input._data).frexp(input._data)
    return _Frexp(Tensor._make(mantissa), Tensor._make(exponent.astype("int32")))


def bitwise_left_shift(input: Any, other: Any) -> Tensor:
    """``input << other`` for integer tensors (torch.bitwise_left_shift; 0 past the width).

    Example:
        >>> import nerve
        >>> nerve.bitwise_left_shift(nerve.tensor([1, 3]), 2)
        tensor([ 4, 12])
    """
    return _array_op("left_shift", input, other, "iu", "lshift")


def bitwise_right_shift(input: Any, other: Any) -> Tensor:
    """``input >> other`` for integer tensors, arithmetic (torch.bitwise_right_shift).

    Example:
        >>> import nerve
        >>> nerve.bitwise_right_shift(nerve.tensor([16, -16]), 2)
        tensor([ 4, -4])
    """
    return _array_op("right_shift", input, other, "iu", "rshift")


def is_complex(input: Tensor) -> bool:
    """Whether the dtype is complex: never, in nerve (torch.is_complex).

    Example:
        >>> import nerve
        >>> nerve.is_complex(nerve.tensor([1.0]))
        False
    """
    return False


def is_signed(input: Tensor) -> bool:
    """Whether the dtype holds negative numbers (floats and signed integers; not bool or
    uint8), as torch.is_signed.

    Example:
        >>> import nerve
        >>> nerve.is_signed(nerve.tensor([1.0])), nerve.is_signed(nerve.tensor([True]))
        (True, False)
    """
    return input._data.dtype.kind in "fi"


def is_nonzero(input: Tensor) -> bool:
    """Whether a one-element tensor is nonzero (torch.is_nonzero: other sizes raise).

    Example:
        >>> import nerve
        >>> nerve.is_nonzero(nerve.tensor([[0.5]]))
        True
    """
    size = input._data.size
    if size != 1:
        which = "no values" if size == 0 else "more than one value"
        raise RuntimeError(f"Boolean value of Tensor with {which} is ambiguous")
    return bool(input._data.reshape(()))


def is_same_size(input: Tensor, other: Tensor) -> bool:
    """Whether the two tensors have the same shape (torch.is_same_size).

    Example:
        >>> import nerve
        >>> nerve.is_same_size(nerve.zeros(2, 3), nerve.ones(2, 3))
        True
    """
    return tuple(input.shape) == tuple(other.shape)


def _inplace(function: Any, name: str) -> Any:
    def method(self: Tensor, other: Any) -> Tensor:
        return checked_inplace(self, lambda t: function(t, other), (other,))

    method.__name__ = name + "_"
    return method


_TWO = {"gcd": gcd, "lcm": lcm, "nextafter": nextafter, "bitwise_and": bitwise_and}
_TWO |= {"bitwise_or": bitwise_or, "bitwise_xor": bitwise_xor}
_TWO |= {"bitwise_left_shift": bitwise_left_shift, "bitwise_right_shift": bitwise_right_shift}

TENSOR_METHODS: dict[str, Any] = {
    **_TWO,
    **{name + "_": _inplace(function, name) for name, function in _TWO.items()},
    "bitwise_not": bitwise_not,
    "bitwise_not_": lambda x: checked_inplace(x, bitwise_not),
    "signbit": signbit,
    "isposinf": isposinf,
    "isneginf": isneginf,
    "isreal": isreal,
    "frexp": frexp,
    "is_complex": is_complex,
    "is_signed": is_signed,
    "is_nonzero": is_nonzero,
    "is_same_size": is_same_size,
    "__lshift__": bitwise_left_shift,
    "__rshift__": bitwise_right_shift,
}
