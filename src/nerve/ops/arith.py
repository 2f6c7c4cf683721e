"""Arithmetic: + - * / // % ** with broadcasting, tensors or Python scalars on either side."""

from __future__ import annotations

import math
from typing import Any

from ..autograd.node import Node, apply, run
from ..tensor import Tensor
from .broadcast import broadcast_shape, shape_of
from .dual import sum_to, where
from .promotion import SCALARS, as_scalar, promote_pair, to_tensor_operand
from .unary import Log


class Binary(Node):
    """An elementwise op on two operands; remembers their shapes (``keeps_shapes``: only when
    the op is recorded) to un-broadcast gradients."""

    keeps_shapes = True

    def forward(self, a: Any, b: Any) -> Any:
        try:
            return self.compute(a, b)
        except ValueError:
            broadcast_shape(type(self).__name__.lower(), shape_of(a) or (), shape_of(b) or ())
            raise

    def compute(self, a: Any, b: Any) -> Any:
        raise NotImplementedError

    def grads(self, ga: Any, gb: Any) -> tuple[Any, Any]:
        """Un-broadcast per-input gradients (None where an input needs none)."""
        need_a, need_b = self.needs_input_grad
        return (
            sum_to(ga, self.shapes[0]) if need_a else None,
            sum_to(gb, self.shapes[1]) if need_b else None,
        )


class Add(Binary):
    saves = ()

    def compute(self, a: Any, b: Any) -> Any:
        return a + b

    def backward(self, g: Any) -> tuple[Any, Any]:
        return self.grads(g, g)


class Sub(Binary):
    saves = ()

    def compute(self, a: Any, b: Any) -> Any:
        return a - b

    def backward(self, g: Any) -> tuple[Any, Any]:
        return self.grads(g, -g if self.needs_input_grad[1] else None)


class Mul(Binary):
    def compute(self, a: Any, b: Any) -> Any:
        return a * b

    def backward(self, g: Any) -> tuple[Any, Any]:
        a, b = self.input(0), self.input(1)
        need_a, need_b = self.needs_input_grad
        return self.grads(g * b if need_a else None, g * a if need_b else None)


class Div(Binary):
    def compute(self, a: Any, b: Any) -> Any:
        return a / b

    def backward(self, g: Any) -> tuple[Any, Any]:
        a, b = self.input(0), self.input(1)
        need_a, need_b = self.needs_input_grad
        return self.grads(g / b if need_a else None, -g * a / (b * b) if need_b else None)


class FloorDiv(Binary):
    saves = ()

    def compute(self, a: Any, b: Any) -> Any:
        if _is_integer(a) and _is_integer(b) and _has_zero(b):
            raise RuntimeError("ZeroDivisionError: integer division by zero (floor_divide)")
        return a // b

    def backward(self, g: Any) -> tuple[Any, Any]:
        zero = g * 0  # floor is piecewise constant: zero gradient almost everywhere
        return self.grads(zero, zero)


class Remainder(Binary):
    def compute(self, a: Any, b: Any) -> Any:
        if _is_integer(a) and _is_integer(b) and _has_zero(b):
            raise RuntimeError("ZeroDivisionError: integer division by zero (remainder)")
        return a % b

    def backward(self, g: Any) -> tuple[Any, Any]:
        a, b = self.input(0), self.input(1)
        need_b = self.needs_input_grad[1]
        return self.grads(g, -g * run(FloorDiv, a, b) if need_b else None)  # a - floor(a/b) b


def _is_integer(x: Any) -> bool:
    kind = x.dtype.kind if hasattr(x, "dtype") else ("b" if isinstance(x, bool) else None)
    return kind in ("i", "u", "b") or (kind is None and isinstance(x, int))


def _has_zero(x: Any) -> bool:
    return bool((x == 0).any()) if hasattr(x, "dtype") else x == 0


class Pow(Binary):
    saves_output = True

    def compute(self, a: Any, b: Any) -> Any:
        if isinstance(b, int) and not isinstance(b, bool) and b < 0 and a.dtype.kind in "iub":
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        return a**b

    def backward(self, g: Any) -> tuple[Any, Any]:
        a, b = self.input(0), self.input(1)
        need_a, need_b = self.needs_input_grad
        ga = gb = None
        if need_a:
            if isinstance(b, (int, float)):
                ga = g * b * a ** (b - 1) if b != 0 else g * 0
            else:  # d/da a^b = b a^(b-1), defined as 0 where b == 0 (as torch)
                ga = where(b == 0, 0.0, g * b * a ** (b - 1))
        if need_b:
            scalar_base = isinstance(a, (int, float))
            log_a = _log_scalar(a) if scalar_base else run(Log, a)
            # where a == 0 and b >= 0 the true gradient is 0, not 0 * -inf
            gb = g * self.output() * log_a
            if not scalar_base:
                gb = where((a == 0) & (b >= 0), 0.0, gb)
        return self.grads(ga, gb)


def _log_scalar(a: float) -> float:
    return math.log(a) if a > 0 else (float("-inf") if a == 0 else float("nan"))


def _binary(op: type[Node], a: Any, b: Any, name: str, *, to_float: bool = False) -> Tensor:
    # The common case first, with no promotion work: two tensors of one dtype on one device,
    # or a float tensor and a Python number.
    if isinstance(a, Tensor):
        if isinstance(b, Tensor):
            if (
                a._data.dtype is b._data.dtype
                and type(a._data) is type(b._data)
                and (not to_float or a._data.dtype.kind == "f")
            ):
                return apply(op, a, b)
        elif type(b) in _FLOAT_SAFE and a._data.dtype.kind == "f":
            return apply(op, a, b)
    elif type(a) in _FLOAT_SAFE and isinstance(b, Tensor) and b._data.dtype.kind == "f":
        return apply(op, a, b)
    a, b = as_scalar(a), as_scalar(b)
    if isinstance(a, Tensor) and not isinstance(b, (Tensor, *SCALARS)):
        b = _maybe_tensor(b, a)  # lists and arrays join in; anything else fails below
    elif isinstance(b, Tensor) and not isinstance(a, (Tensor, *SCALARS)):
        a = _maybe_tensor(a, b)
    a, b = promote_pair(a, b, name, to_float=to_float)
    return apply(op, a, b)


_FLOAT_SAFE = (float, int)  # never upcast a float tensor (bool is excluded: type() is exact)


def _maybe_tensor(value: Any, like: Tensor) -> Any:
    converted = to_tensor_operand(value, like)
    return value if converted is None else converted


def add(input: Any, other: Any, *, alpha: float = 1) -> Tensor:
    """``input + alpha * other``, broadcasting (torch.add).

    Example:
        >>> import nerve
        >>> nerve.add(nerve.tensor([1.0, 2.0]), nerve.tensor([10.0, 20.0]), alpha=0.5)
        tensor([ 6., 12.])
    """
    if alpha != 1:
        other = other * alpha
    return _binary(Add, input, other, "add")


def sub(input: Any, other: Any, *, alpha: float = 1) -> Tensor:
    """``input - alpha * other`` (torch.sub).

    Example:
        >>> import nerve
        >>> nerve.sub(nerve.tensor([5, 7]), 2)
        tensor([3, 5])
    """
    _check_no_bool(input, other)
    if alpha != 1:
        other = other * alpha
    return _binary(Sub, input, other, "sub")


def _check_no_bool(a: Any, b: Any) -> None:
    """torch refuses ``1 - mask``: inverting a mask is ``~mask`` (and nerve code must run on
    torch unchanged)."""
    for x in (a, b):
        if isinstance(x, bool) or (isinstance(x, Tensor) and x._data.dtype.kind == "b"):
            raise RuntimeError(
                "Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
                "trying to invert a mask, use the `~` or `logical_not()` operator instead."
            )


def mul(input: Any, other: Any) -> Tensor:
    """``input * other`` elementwise, broadcasting and promoting dtypes (torch.mul).

    Example:
        >>> import nerve
        >>> nerve.mul(nerve.tensor([[1.0], [2.0]]), nerve.tensor([3.0, 4.0]))
        tensor([[3., 4.],
                [6., 8.]])
    """
    return _binary(Mul, input, other, "mul")


def div(input: Any, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    """True division; ``rounding_mode="floor"`` or ``"trunc"`` as in torch.div.

    Example:
        >>> import nerve
        >>> nerve.div(nerve.tensor([7, -7]), 2)
        tensor([ 3.5000, -3.5000])
        >>> nerve.div(nerve.tensor([7, -7]), 2, rounding_mode="floor")
        tensor([ 3, -4])
    """
    if rounding_mode == "floor":
        return floor_divide(input, other)
    if rounding_mode == "trunc":
        return (
            _binary(Div, input, other, "div", to_float=True).trunc().to(_common_dtype(input, other))
        )
    if rounding_mode is not None:
        raise ValueError(
            f"div: rounding_mode must be None, 'floor' or 'trunc', got {rounding_mode!r}"
        )
    return _binary(Div, input, other, "div", to_float=True)


def _common_dtype(a: Any, b: Any) -> Any:
    x, y = promote_pair(a, b, "div")
    return (x if isinstance(x, Tensor) else y).dtype


def floor_divide(input: Any, other: Any) -> Tensor:
    """``input / other`` rounded toward minus infinity, as torch.floor_divide.

    Example:
        >>> import nerve
        >>> nerve.floor_divide(nerve.tensor([7, -7]), 2)
        tensor([ 3, -4])
    """
    return _binary(FloorDiv, input, other, "floor_divide")


def remainder(input: Any, other: Any) -> Tensor:
    """Python-style remainder: the result has the sign of the divisor (torch.remainder).

    Example:
        >>> import nerve
        >>> nerve.remainder(nerve.tensor([7, -7]), 3)
        tensor([1, 2])
    """
    return _binary(Remainder, input, other, "remainder")


def pow(input: Any, exponent: Any) -> Tensor:  # noqa: A001 - torch's name
    """``input ** exponent`` elementwise; either may be a number (torch.pow).

    Example:
        >>> import nerve
        >>> nerve.pow(nerve.tensor([1.0, 2.0, 3.0]), 2)
        tensor([1., 4., 9.])
        >>> nerve.pow(2, nerve.tensor([0, 3]))
        tensor([1, 8])
    """
    return _binary(Pow, input, exponent, "pow")


def rsub(input: Any, other: Any) -> Tensor:
    _check_no_bool(input, other)
    return _binary(Sub, other, input, "sub")
