"""Comparisons and logic (bool results, no gradient), and the selecting ops that do carry a
gradient: where, maximum, minimum, clamp."""

from __future__ import annotations

from typing import Any

from ..autograd.node import Node, apply
from ..backend.device import xp_of
from ..tensor import Tensor
from .arith import Binary
from .promotion import as_scalar, promote_pair

_COMPARISONS = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
}


def _raw(x: Any) -> Any:
    return x._data if isinstance(x, Tensor) else x


def _compare(name: str, a: Any, b: Any) -> Tensor:
    a, b = promote_pair(a, b, name)
    return Tensor._make(_COMPARISONS[name](_raw(a), _raw(b)))


def eq(input: Any, other: Any) -> Tensor:
    return _compare("eq", input, other)


def ne(input: Any, other: Any) -> Tensor:
    return _compare("ne", input, other)


def lt(input: Any, other: Any) -> Tensor:
    return _compare("lt", input, other)


def le(input: Any, other: Any) -> Tensor:
    return _compare("le", input, other)


def gt(input: Any, other: Any) -> Tensor:
    return _compare("gt", input, other)


def ge(input: Any, other: Any) -> Tensor:
    return _compare("ge", input, other)


def equal(input: Tensor, other: Tensor) -> bool:
    """True when both tensors have the same shape and elements (torch.equal)."""
    return input.shape == other.shape and bool((input._data == other._data).all())


def _logical(function: str, a: Any, b: Any = None) -> Tensor:
    xp = xp_of(_raw(a))
    if b is None:
        return Tensor._make(getattr(xp, function)(_raw(a)))
    return Tensor._make(getattr(xp, function)(_raw(a), _raw(b)))


def logical_and(input: Any, other: Any) -> Tensor:
    return _logical("logical_and", input, other)


def logical_or(input: Any, other: Any) -> Tensor:
    return _logical("logical_or", input, other)


def logical_xor(input: Any, other: Any) -> Tensor:
    return _logical("logical_xor", input, other)


def logical_not(input: Tensor) -> Tensor:
    return _logical("logical_not", input)


def _bitwise(function: str, a: Any, b: Any = None) -> Tensor:
    for x in (a, b):
        if isinstance(x, Tensor) and x._data.dtype.kind == "f":
            raise TypeError(
                f"{function} is only defined for bool and integer tensors, got {x.dtype}"
            )
    return _logical(function, a, b)


def bitwise_and(input: Any, other: Any) -> Tensor:
    return _bitwise("bitwise_and", input, other)


def bitwise_or(input: Any, other: Any) -> Tensor:
    return _bitwise("bitwise_or", input, other)


def bitwise_xor(input: Any, other: Any) -> Tensor:
    return _bitwise("bitwise_xor", input, other)


def bitwise_not(input: Tensor) -> Tensor:
    return _bitwise("invert", input)


def isnan(input: Tensor) -> Tensor:
    return _logical("isnan", input)


def isinf(input: Tensor) -> Tensor:
    return _logical("isinf", input)


def isfinite(input: Tensor) -> Tensor:
    return _logical("isfinite", input)


def allclose(
    input: Tensor, other: Tensor, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False
) -> bool:
    return bool(xp_of(input._data).allclose(input._data, _raw(other), rtol, atol, equal_nan))


def isclose(
    input: Tensor, other: Any, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False
) -> Tensor:
    return Tensor._make(xp_of(input._data).isclose(input._data, _raw(other), rtol, atol, equal_nan))


class Where(Node):
    saves = (0,)

    def forward(self, condition: Any, a: Any, b: Any) -> Any:
        self.shapes = (None, getattr(a, "shape", None), getattr(b, "shape", None))
        return xp_of(condition).where(condition, a, b)

    def backward(self, g: Tensor) -> tuple[None, Tensor | None, Tensor | None]:
        from .broadcast import sum_to

        condition = self.inputs[0]
        _, need_a, need_b = self.needs_input_grad
        zero = g * 0
        ga = sum_to(where(condition, g, zero), self.shapes[1]) if need_a else None
        gb = sum_to(where(condition, zero, g), self.shapes[2]) if need_b else None
        return None, ga, gb


def where(condition: Tensor, input: Any = None, other: Any = None) -> Any:
    """Elementwise ``input if condition else other`` (torch.where); with one argument, the
    indices of the true elements (as ``nonzero(as_tuple=True)``)."""
    if input is None and other is None:
        from .index import nonzero

        return nonzero(condition, as_tuple=True)
    if not isinstance(condition, Tensor) or condition._data.dtype.kind != "b":
        raise TypeError("where: the condition must be a bool tensor, e.g. x > 0")
    a, b = (
        promote_pair(as_scalar(input), as_scalar(other), "where")
        if (isinstance(input, Tensor) or isinstance(other, Tensor))
        else (input, other)
    )
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        from ..creation import tensor

        a = tensor(a, device=condition.device)
    return apply(Where, condition, a, b)


class Maximum(Binary):
    def compute(self, a: Any, b: Any) -> Any:
        return xp_of(a).maximum(a, b)

    def backward(self, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
        a, b = self.inputs
        return _split_ties(self, g, a > b, a == b)


class Minimum(Binary):
    def compute(self, a: Any, b: Any) -> Any:
        return xp_of(a).minimum(a, b)

    def backward(self, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
        a, b = self.inputs
        return _split_ties(self, g, a < b, a == b)


def _split_ties(node: Binary, g: Tensor, wins: Tensor, ties: Tensor) -> Any:
    """The winner takes the gradient; ties share it equally (as torch)."""
    share_a = wins.to(g.dtype) + ties.to(g.dtype) * 0.5
    return node.grads(g * share_a, g * (1 - share_a))


def maximum(input: Tensor, other: Any) -> Tensor:
    return apply(Maximum, *promote_pair(input, other, "maximum"))


def minimum(input: Tensor, other: Any) -> Tensor:
    return apply(Minimum, *promote_pair(input, other, "minimum"))


class Clamp(Node):
    def forward(self, x: Any, min: Any = None, max: Any = None) -> Any:
        self.bounds = (min, max)
        return xp_of(x).clip(x, min, max)

    def backward(self, g: Tensor) -> Tensor:
        x = self.inputs[0]
        low, high = self.bounds
        inside = None
        if low is not None:
            inside = x >= low
        if high is not None:
            inside = (x <= high) if inside is None else inside & (x <= high)
        return g if inside is None else g * inside


def clamp(input: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    """Limit values to [min, max]; the gradient passes where min <= x <= max (torch.clamp)."""
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        result = input
        if min is not None:
            result = maximum(result, min)
        if max is not None:
            result = minimum(result, max)
        return result
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    min, max = as_scalar(min), as_scalar(max)
    if input._data.dtype.kind != "f" and any(isinstance(v, float) for v in (min, max)):
        input = input.float()
    return apply(Clamp, input, min=min, max=max)


clip = clamp
