"""More elementwise math on two operands, as torch has it: xlogy, hypot, logaddexp,
logaddexp2, copysign, float_power, fmax, fmin, ldexp; torch's second names for arithmetic
and comparisons (divide, multiply, subtract, true_divide, greater ..., clamp_min, clamp_max);
and the in-place forms of both (``x.hypot_(y)``, ``x.eq_(y)``, ``x.logical_and_(y)`` ...).

xlogy, hypot, logaddexp(2), copysign and fmax/fmin are nodes (their forwards are single array
calls that a composition would only approximate at 0, inf or NaN); float_power and ldexp are
compositions of ``pow`` and ``mul``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..autograd.node import apply, run
from ..backend import dtypes
from ..backend.device import xp_of
from ..tensor import Tensor
from .arith import Binary, div, mul, pow, sub
from .compare import (
    clamp,
    eq,
    ge,
    gt,
    le,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    lt,
    ne,
)
from .dual import const, data, where
from .inplace import _replaced, apply_inplace, floor_divide_, remainder_
from .promotion import as_scalar, promote_pair, torch_name
from .unary import Exp, Log
from .unary_more import Exp2

__all__ = [
    "clamp_max",
    "clamp_min",
    "copysign",
    "divide",
    "float_power",
    "fmax",
    "fmin",
    "greater",
    "greater_equal",
    "hypot",
    "ldexp",
    "less",
    "less_equal",
    "logaddexp",
    "logaddexp2",
    "multiply",
    "not_equal",
    "subtract",
    "true_divide",
    "xlogy",
]


def _pair(input: Any, other: Any, name: str, to_float: bool) -> tuple[Tensor, Tensor]:
    """Both operands as tensors of their common dtype (a Python number becomes a 0-d tensor of
    that dtype, so NumPy never upcasts a float32 array)."""
    a, b = promote_pair(as_scalar(input), as_scalar(other), name, to_float=to_float)
    like = a if isinstance(a, Tensor) else b
    a, b = (
        x if isinstance(x, Tensor) else Tensor._make(xp_of(like._data).asarray(x, like._data.dtype))
        for x in (a, b)
    )
    return a, b


def _float_only(a: Tensor, name: str) -> None:
    """torch's kernels for hypot, logaddexp ... exist for floating dtypes only."""
    if a._data.dtype.kind != "f":
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{torch_name(a.dtype)}'")


class Xlogy(Binary):
    """x * log(y), 0 where x == 0 (unless y is NaN). Gradient: log(y), taken as 0 where x == 0
    and y <= 0 (torch's rule: log(y) is -inf or NaN there, yet the product is 0), and x / y."""

    def compute(self, a: Any, b: Any) -> Any:
        xp = xp_of(a)
        with np.errstate(divide="ignore", invalid="ignore"):
            return xp.where((a == 0) & ~xp.isnan(b), 0, a * xp.log(b)).astype(a.dtype)

    def backward(self, g: Any) -> tuple[Any, Any]:
        a, b = self.input(0), self.input(1)
        need_a, need_b = self.needs_input_grad
        ga = g * where((a == 0) & (b <= 0), 0.0, run(Log, b)) if need_a else None
        return self.grads(ga, g * a / b if need_b else None)


class Hypot(Binary):
    saves_output = True

    def compute(self, a: Any, b: Any) -> Any:
        return xp_of(a).hypot(a, b)

    def backward(self, g: Any) -> tuple[Any, Any]:
        a, b, out = self.input(0), self.input(1), self.output()
        need_a, need_b = self.needs_input_grad
        return self.grads(g * a / out if need_a else None, g * b / out if need_b else None)


class LogAddExp(Binary):
    """log(exp(a) + exp(b)); gradient 1 / (1 + exp(b - a)) for a (torch's formula)."""

    def compute(self, a: Any, b: Any) -> Any:
        return xp_of(a).logaddexp(a, b)

    def backward(self, g: Any) -> tuple[Any, Any]:
        a, b = self.input(0), self.input(1)
        need_a, need_b = self.needs_input_grad
        ga = g / (1 + run(Exp, b - a)) if need_a else None
        gb = g / (1 + run(Exp, a - b)) if need_b else None
        return self.grads(ga, gb)


class LogAddExp2(Binary):
    """log2(2^a + 2^b); gradient 1 / (1 + 2^(b - a)) for a."""

    def compute(self, a: Any, b: Any) -> Any:
        return xp_of(a).logaddexp2(a, b)

    def backward(self, g: Any) -> tuple[Any, Any]:
        a, b = self.input(0), self.input(1)
        need_a, need_b = self.needs_input_grad
        ga = g / (1 + run(Exp2, b - a)) if need_a else None
        gb = g / (1 + run(Exp2, a - b)) if need_b else None
        return self.grads(ga, gb)


class Copysign(Binary):
    """|a| with the sign of b. Gradient: +-1 for a (0 where a == 0), 0 for b."""

    def compute(self, a: Any, b: Any) -> Any:
        return xp_of(a).copysign(a, b)

    def backward(self, g: Any) -> tuple[Any, Any]:
        a, b = data(self.input(0)), data(self.input(1))
        xp = xp_of(a)
        need_a, need_b = self.needs_input_grad
        ga = g * const((xp.sign(a) * xp.copysign(1, b)).astype(a.dtype), g) if need_a else None
        gb = where(const(xp.ones(b.shape, dtype=bool), g), 0.0, g) if need_b else None
        return self.grads(ga, gb)


class Fmax(Binary):
    """The larger of a and b, ignoring NaN; a takes the gradient on ties (as torch)."""

    def compute(self, a: Any, b: Any) -> Any:
        return xp_of(a).fmax(a, b)

    def backward(self, g: Any) -> tuple[Any, Any]:
        a, b = self.input(0), self.input(1)
        return _to_winner(self, g, (a >= b) | (b != b))


class Fmin(Binary):
    """The smaller of a and b, ignoring NaN; a takes the gradient on ties (as torch)."""

    def compute(self, a: Any, b: Any) -> Any:
        return xp_of(a).fmin(a, b)

    def backward(self, g: Any) -> tuple[Any, Any]:
        a, b = self.input(0), self.input(1)
        return _to_winner(self, g, (a <= b) | (b != b))


def _to_winner(node: Binary, g: Any, a_wins: Any) -> tuple[Any, Any]:
    need_a, need_b = node.needs_input_grad
    ga = where(a_wins, g, 0.0) if need_a else None
    return node.grads(ga, where(a_wins, 0.0, g) if need_b else None)


def xlogy(input: Any, other: Any) -> Tensor:
    """``input * log(other)``, 0 where ``input`` is 0 (unless ``other`` is NaN): torch.xlogy.

    Example:
        >>> import nerve
        >>> nerve.xlogy(nerve.tensor([0.0, 2.0]), nerve.tensor([0.0, 3.0]))
        tensor([0.0000, 2.1972])
    """
    return apply(Xlogy, *_pair(input, other, "xlogy", True))


def hypot(input: Tensor, other: Any) -> Tensor:
    """sqrt(input^2 + other^2) without overflow, as torch.hypot (floating dtypes only).

    Example:
        >>> import nerve
        >>> nerve.hypot(nerve.tensor([3.0, 5.0]), nerve.tensor([4.0, 12.0]))
        tensor([ 5., 13.])
    """
    a, b = _pair(input, other, "hypot", False)
    _float_only(a, "hypot")
    return apply(Hypot, a, b)


def logaddexp(input: Tensor, other: Any) -> Tensor:
    """log(exp(input) + exp(other)) without overflow, as torch.logaddexp (floating dtypes).

    Example:
        >>> import nerve
        >>> nerve.logaddexp(nerve.tensor([0.0, 100.0]), nerve.tensor([0.0, 100.0]))
        tensor([  0.6931, 100.6931])
    """
    a, b = _pair(input, other, "logaddexp", False)
    _float_only(a, "logaddexp")
    return apply(LogAddExp, a, b)


def logaddexp2(input: Tensor, other: Any) -> Tensor:
    """log2(2^input + 2^other) without overflow, as torch.logaddexp2 (floating dtypes).

    Example:
        >>> import nerve
        >>> nerve.logaddexp2(nerve.tensor([1.0, 3.0]), nerve.tensor([1.0, 3.0]))
        tensor([2., 4.])
    """
    a, b = _pair(input, other, "logaddexp2", False)
    _float_only(a, "logaddexp2")
    return apply(LogAddExp2, a, b)


def copysign(input: Any, other: Any) -> Tensor:
    """The magnitude of ``input`` with the sign of ``other`` (-0.0 counts as negative), as
    torch.copysign; integer inputs give the default float dtype.

    Example:
        >>> import nerve
        >>> nerve.copysign(nerve.tensor([1.0, -2.0, 3.0]), nerve.tensor([-1.0, 1.0, -0.0]))
        tensor([-1.,  2., -3.])
    """
    return apply(Copysign, *_pair(input, other, "copysign", True))


def fmax(input: Tensor, other: Any) -> Tensor:
    """The elementwise maximum, where NaN loses to a number (torch.fmax; maximum lets NaN win).

    Example:
        >>> import nerve
        >>> nerve.fmax(nerve.tensor([1.0, float("nan")]), nerve.tensor([2.0, 0.5]))
        tensor([2.0000, 0.5000])
    """
    return apply(Fmax, *_pair(input, other, "fmax", False))


def fmin(input: Tensor, other: Any) -> Tensor:
    """The elementwise minimum, where NaN loses to a number (torch.fmin; minimum lets NaN win).

    Example:
        >>> import nerve
        >>> nerve.fmin(nerve.tensor([1.0, float("nan")]), nerve.tensor([2.0, 0.5]))
        tensor([1.0000, 0.5000])
    """
    return apply(Fmin, *_pair(input, other, "fmin", False))


def float_power(input: Any, exponent: Any) -> Tensor:
    """``input ** exponent`` computed in float64 whatever the dtypes (torch.float_power).

    Example:
        >>> import nerve
        >>> nerve.float_power(nerve.tensor([2, 3]), 2)
        tensor([4., 9.], dtype=nerve.float64)
    """

    def double(x: Any) -> Any:
        return x.to(dtypes.float64) if isinstance(x, Tensor) else as_scalar(x)

    return pow(double(input), double(exponent))


def ldexp(input: Any, other: Any) -> Tensor:
    """``input * 2 ** other`` (torch.ldexp: a float result, even for integer inputs).

    Example:
        >>> import nerve
        >>> nerve.ldexp(nerve.tensor([1.0, 3.0]), nerve.tensor([3, -1]))
        tensor([8.0000, 1.5000])
    """
    return mul(input, pow(2.0, other))


def divide(input: Any, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    """Alias of :func:`nerve.div` (torch.divide).

    Example:
        >>> import nerve
        >>> nerve.divide(nerve.tensor([7, -7]), 2, rounding_mode="trunc")
        tensor([ 3, -3])
    """
    return div(input, other, rounding_mode=rounding_mode)


def true_divide(dividend: Any, divisor: Any) -> Tensor:
    """Alias of :func:`nerve.div` without rounding (torch.true_divide).

    Example:
        >>> import nerve
        >>> nerve.true_divide(nerve.tensor([7, -7]), 2)
        tensor([ 3.5000, -3.5000])
    """
    return div(dividend, divisor)


def multiply(input: Any, other: Any) -> Tensor:
    """Alias of :func:`nerve.mul` (torch.multiply).

    Example:
        >>> import nerve
        >>> nerve.multiply(nerve.tensor([1.0, 2.0]), 3)
        tensor([3., 6.])
    """
    return mul(input, other)


def subtract(input: Any, other: Any, *, alpha: float = 1) -> Tensor:
    """Alias of :func:`nerve.sub` (torch.subtract).

    Example:
        >>> import nerve
        >>> nerve.subtract(nerve.tensor([5.0, 7.0]), nerve.tensor([1.0, 2.0]), alpha=2)
        tensor([3., 3.])
    """
    return sub(input, other, alpha=alpha)


def _comparison_alias(function: Callable[[Any, Any], Tensor], name: str, shown: str) -> Any:
    def alias(input: Any, other: Any) -> Tensor:
        return function(input, other)

    alias.__name__ = alias.__qualname__ = name
    alias.__doc__ = (
        f"Alias of :func:`nerve.{function.__name__}` (torch.{name}).\n\n    Example:\n"
        f"        >>> import nerve\n        >>> nerve.{name}(nerve.tensor([1, 2, 3]), 2)\n"
        f"        {shown}\n    "
    )
    return alias


greater = _comparison_alias(gt, "greater", "tensor([False, False,  True])")
greater_equal = _comparison_alias(ge, "greater_equal", "tensor([False,  True,  True])")
less = _comparison_alias(lt, "less", "tensor([ True, False, False])")
less_equal = _comparison_alias(le, "less_equal", "tensor([ True,  True, False])")
not_equal = _comparison_alias(ne, "not_equal", "tensor([ True, False,  True])")


def clamp_min(input: Tensor, min: Any) -> Tensor:  # noqa: A002 - torch's name
    """``clamp(input, min=min)`` (torch.clamp_min).

    Example:
        >>> import nerve
        >>> nerve.clamp_min(nerve.tensor([-1.0, 2.0]), 0.0)
        tensor([0., 2.])
    """
    return clamp(input, min=min)


def clamp_max(input: Tensor, max: Any) -> Tensor:  # noqa: A002 - torch's name
    """``clamp(input, max=max)`` (torch.clamp_max).

    Example:
        >>> import nerve
        >>> nerve.clamp_max(nerve.tensor([-1.0, 2.0]), 0.0)
        tensor([-1.,  0.])
    """
    return clamp(input, max=max)


def checked_inplace(
    x: Tensor, function: Callable[[Tensor], Tensor], others: tuple[Any, ...] = ()
) -> Tensor:
    """``apply_inplace`` that first refuses, with torch's message, a result dtype that
    ``x`` cannot hold (a float result written into an integer tensor)."""

    def checked(tensor: Tensor) -> Tensor:
        result = function(tensor)
        if not np.can_cast(result._data.dtype, x._data.dtype, "same_kind"):
            raise RuntimeError(
                f"result type {torch_name(result.dtype)} can't be cast to the desired output "
                f"type {torch_name(x.dtype)}"
            )
        return result

    return apply_inplace(x, checked, others)


def inplace_of(function: Callable[..., Tensor], name: str) -> Callable[..., Tensor]:
    """The in-place method of a two-operand op: ``x.hypot_(y)`` is ``x = hypot(x, y)``."""

    def method(self: Tensor, other: Any, **options: Any) -> Tensor:
        return checked_inplace(self, lambda t: function(t, other, **options), (other,))

    method.__name__ = name + "_"
    return method


def _float_power_(self: Tensor, exponent: Any) -> Tensor:
    if self._data.dtype != np.float64:
        raise RuntimeError(
            f"the base given to float_power_ has dtype {torch_name(self.dtype)} but the "
            "operation's result requires dtype Double"
        )
    return checked_inplace(self, lambda t: float_power(t, exponent), (exponent,))


def _boolean_inplace(function: Callable[..., Tensor], name: str) -> Callable[..., Tensor]:
    """``x.eq_(y)``, ``x.logical_and_(y)``: the bool result written as 1 and 0 in ``x``'s
    dtype, recorded with a zero gradient for the old values (as torch's)."""

    def method(self: Tensor, *other: Any) -> Tensor:
        return apply_inplace(
            self, lambda t: _replaced(t, function(t, *other).to(t.dtype)), tuple(other)
        )

    method.__name__ = name + "_"
    return method


_BINARY = {"xlogy": xlogy, "hypot": hypot, "copysign": copysign, "ldexp": ldexp}
_COMPARE = {"eq": eq, "ne": ne, "lt": lt, "le": le, "gt": gt, "ge": ge, "greater": gt}
_COMPARE |= {"greater_equal": ge, "less": lt, "less_equal": le, "not_equal": ne}
_LOGICAL = {"logical_and": logical_and, "logical_or": logical_or, "logical_xor": logical_xor}
_LOGICAL |= {"logical_not": logical_not}
_ARITH = {"divide": div, "true_divide": div, "multiply": mul, "subtract": sub}

TENSOR_METHODS: dict[str, Any] = {
    **_BINARY,
    "logaddexp": logaddexp,
    "logaddexp2": logaddexp2,
    "float_power": float_power,
    "fmax": fmax,
    "fmin": fmin,
    "greater": greater,
    "greater_equal": greater_equal,
    "less": less,
    "less_equal": less_equal,
    "not_equal": not_equal,
    "clamp_min": clamp_min,
    "clamp_max": clamp_max,
    **{name + "_": inplace_of(function, name) for name, function in _BINARY.items()},
    **{name + "_": inplace_of(function, name) for name, function in _ARITH.items()},
    "remainder_": remainder_,
    "floor_divide_": floor_divide_,
    "float_power_": _float_power_,
    "clamp_min_": inplace_of(clamp_min, "clamp_min"),
    "clamp_max_": inplace_of(clamp_max, "clamp_max"),
    **{name + "_": _boolean_inplace(f, name) for name, f in (_COMPARE | _LOGICAL).items()},
}
