"""Comparisons and logic (bool results, no gradient), and the selecting ops that do carry a
gradient: where, maximum, minimum, clamp."""

from __future__ import annotations

from typing import Any

from ..autograd.node import Node, apply
from ..backend.device import xp_of
from ..backend.select import select
from ..tensor import Tensor
from .arith import Binary
from .broadcast import broadcast_shape
from .dual import cast, sum_to
from .dual import where as dual_where
from .promotion import as_scalar, promote_pair, raw, torch_name

_COMPARISONS = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
}


def _compare(name: str, a: Any, b: Any) -> Tensor:
    a, b = promote_pair(a, b, name)
    return Tensor._make(_COMPARISONS[name](raw(a), raw(b)))


def eq(input: Any, other: Any) -> Tensor:
    """``input == other`` elementwise, broadcasting: a bool tensor (torch.eq).

    Example:
        >>> import nerve
        >>> nerve.eq(nerve.tensor([1, 2, 3]), 2)
        tensor([False,  True, False])
    """
    return _compare("eq", input, other)


def ne(input: Any, other: Any) -> Tensor:
    """``input != other`` elementwise, broadcasting: a bool tensor (torch.ne).

    Example:
        >>> import nerve
        >>> nerve.ne(nerve.tensor([1, 2, 3]), 2)
        tensor([ True, False,  True])
    """
    return _compare("ne", input, other)


def lt(input: Any, other: Any) -> Tensor:
    """``input < other`` elementwise, broadcasting: a bool tensor (torch.lt).

    Example:
        >>> import nerve
        >>> nerve.lt(nerve.tensor([1, 2, 3]), 2)
        tensor([ True, False, False])
    """
    return _compare("lt", input, other)


def le(input: Any, other: Any) -> Tensor:
    """``input <= other`` elementwise, broadcasting: a bool tensor (torch.le).

    Example:
        >>> import nerve
        >>> nerve.le(nerve.tensor([1, 2, 3]), 2)
        tensor([ True,  True, False])
    """
    return _compare("le", input, other)


def gt(input: Any, other: Any) -> Tensor:
    """``input > other`` elementwise, broadcasting: a bool tensor (torch.gt).

    Example:
        >>> import nerve
        >>> nerve.gt(nerve.tensor([1, 2, 3]), 2)
        tensor([False, False,  True])
    """
    return _compare("gt", input, other)


def ge(input: Any, other: Any) -> Tensor:
    """``input >= other`` elementwise, broadcasting: a bool tensor (torch.ge).

    Example:
        >>> import nerve
        >>> nerve.ge(nerve.tensor([1, 2, 3]), 2)
        tensor([False,  True,  True])
    """
    return _compare("ge", input, other)


def equal(input: Tensor, other: Tensor) -> bool:
    """True when both tensors have the same shape and elements (torch.equal).

    Example:
        >>> import nerve
        >>> nerve.equal(nerve.tensor([1, 2]), nerve.tensor([1, 2]))
        True
        >>> nerve.equal(nerve.tensor([1, 2]), nerve.tensor([[1, 2]]))
        False
    """
    return input.shape == other.shape and bool((input._data == other._data).all())


def _logical(function: str, a: Any, b: Any = None) -> Tensor:
    xp = xp_of(raw(a))
    if b is None:
        return Tensor._make(getattr(xp, function)(raw(a)))
    return Tensor._make(getattr(xp, function)(raw(a), raw(b)))


def logical_and(input: Any, other: Any) -> Tensor:
    """Elementwise AND of the truth values (nonzero is true): a bool tensor (torch.logical_and).

    Example:
        >>> import nerve
        >>> nerve.logical_and(nerve.tensor([True, True, False]), nerve.tensor([1, 0, 1]))
        tensor([ True, False, False])
    """
    return _logical("logical_and", input, other)


def logical_or(input: Any, other: Any) -> Tensor:
    """Elementwise OR of the truth values (nonzero is true): a bool tensor (torch.logical_or).

    Example:
        >>> import nerve
        >>> nerve.logical_or(nerve.tensor([True, False, False]), nerve.tensor([0, 2, 0]))
        tensor([ True,  True, False])
    """
    return _logical("logical_or", input, other)


def logical_xor(input: Any, other: Any) -> Tensor:
    """Elementwise XOR of the truth values (nonzero is true): a bool tensor (torch.logical_xor).

    Example:
        >>> import nerve
        >>> nerve.logical_xor(nerve.tensor([True, True, False]), nerve.tensor([1, 0, 0]))
        tensor([False,  True, False])
    """
    return _logical("logical_xor", input, other)


def logical_not(input: Tensor) -> Tensor:
    """Elementwise NOT of the truth values (zero becomes True): a bool tensor (torch.logical_not).

    Example:
        >>> import nerve
        >>> nerve.logical_not(nerve.tensor([0.0, 1.5]))
        tensor([ True, False])
    """
    return _logical("logical_not", input)


def _bitwise(function: str, a: Any, b: Any = None, kernel: str = "") -> Tensor:
    """A bitwise op of bool or integer operands (torch's error for a float one)."""
    for x in (a, b):
        if isinstance(x, Tensor) and x._data.dtype.kind == "f":
            raise NotImplementedError(
                f"\"{kernel or function}_cpu\" not implemented for '{torch_name(x.dtype)}'"
            )
    return _logical(function, a, b)


def bitwise_and(input: Any, other: Any) -> Tensor:
    """Bitwise AND of integer or bool tensors (torch.bitwise_and).

    Example:
        >>> import nerve
        >>> nerve.bitwise_and(nerve.tensor([12, 10]), nerve.tensor([10, 6]))
        tensor([8, 2])
    """
    return _bitwise("bitwise_and", input, other)


def bitwise_or(input: Any, other: Any) -> Tensor:
    """Bitwise OR of integer or bool tensors (torch.bitwise_or).

    Example:
        >>> import nerve
        >>> nerve.bitwise_or(nerve.tensor([12, 10]), nerve.tensor([10, 6]))
        tensor([14, 14])
    """
    return _bitwise("bitwise_or", input, other)


def bitwise_xor(input: Any, other: Any) -> Tensor:
    """Bitwise XOR of integer or bool tensors (torch.bitwise_xor).

    Example:
        >>> import nerve
        >>> nerve.bitwise_xor(nerve.tensor([12, 10]), nerve.tensor([10, 6]))
        tensor([ 6, 12])
    """
    return _bitwise("bitwise_xor", input, other)


def bitwise_not(input: Tensor) -> Tensor:
    """Bitwise NOT of an integer or bool tensor (torch.bitwise_not; ``~x``).

    Example:
        >>> import nerve
        >>> nerve.bitwise_not(nerve.tensor([0, 5]))
        tensor([-1, -6])
    """
    return _bitwise("invert", input, kernel="bitwise_not")


def isnan(input: Tensor) -> Tensor:
    """Where the elements are NaN: a bool tensor (torch.isnan).

    Example:
        >>> import nerve
        >>> nerve.isnan(nerve.tensor([1.0, float("nan")]))
        tensor([False,  True])
    """
    return _logical("isnan", input)


def isinf(input: Tensor) -> Tensor:
    """Where the elements are +inf or -inf: a bool tensor (torch.isinf).

    Example:
        >>> import nerve
        >>> nerve.isinf(nerve.tensor([1.0, float("inf"), -float("inf")]))
        tensor([False,  True,  True])
    """
    return _logical("isinf", input)


def isfinite(input: Tensor) -> Tensor:
    """Where the elements are neither infinite nor NaN: a bool tensor (torch.isfinite).

    Example:
        >>> import nerve
        >>> nerve.isfinite(nerve.tensor([1.0, float("inf"), float("nan")]))
        tensor([ True, False, False])
    """
    return _logical("isfinite", input)


def allclose(
    input: Tensor, other: Tensor, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False
) -> bool:
    """True when ``|input - other| <= atol + rtol * |other|`` everywhere (torch.allclose).

    Example:
        >>> import nerve
        >>> nerve.allclose(nerve.tensor([1.0, 2.0]), nerve.tensor([1.0, 2.0 + 1e-6]))
        True
        >>> nerve.allclose(nerve.tensor([1.0]), nerve.tensor([1.1]), atol=0.2)
        True
    """
    return bool(xp_of(input._data).allclose(input._data, raw(other), rtol, atol, equal_nan))


def isclose(
    input: Tensor, other: Any, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False
) -> Tensor:
    """Where ``|input - other| <= atol + rtol * |other|``: a bool tensor (torch.isclose).

    Example:
        >>> import nerve
        >>> nerve.isclose(nerve.tensor([1.0, 2.0]), nerve.tensor([1.0, 2.1]))
        tensor([ True, False])
    """
    return Tensor._make(xp_of(input._data).isclose(input._data, raw(other), rtol, atol, equal_nan))


class Where(Node):
    saves = (0,)

    def forward(self, condition: Any, a: Any, b: Any) -> Any:
        self.shapes = (None, getattr(a, "shape", None), getattr(b, "shape", None))
        try:
            return select(condition, a, b)  # (branch-free on large arrays)
        except ValueError:
            broadcast_shape("where", condition.shape, *(s or () for s in self.shapes[1:]))
            raise

    def backward(self, g: Any) -> tuple[None, Any, Any]:
        condition = self.input(0)
        _, need_a, need_b = self.needs_input_grad
        # a literal 0, not g * 0: an infinite gradient must not leak nan into the other side
        ga = sum_to(dual_where(condition, g, 0.0), self.shapes[1]) if need_a else None
        gb = sum_to(dual_where(condition, 0.0, g), self.shapes[2]) if need_b else None
        return None, ga, gb


def where(condition: Tensor, input: Any = None, other: Any = None) -> Any:
    """Elementwise ``input if condition else other`` (torch.where); with one argument, the
    indices of the true elements (as ``nonzero(as_tuple=True)``).

    Example:
        >>> import nerve
        >>> x = nerve.tensor([-1.0, 2.0, -3.0])
        >>> nerve.where(x > 0, x, 0.0)
        tensor([0., 2., 0.])
        >>> nerve.where(x > 0)
        (tensor([1]),)
    """
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

    def backward(self, g: Any) -> tuple[Any, Any]:
        a, b = self.input(0), self.input(1)
        return _split_ties(self, g, a > b, a == b)


class Minimum(Binary):
    def compute(self, a: Any, b: Any) -> Any:
        return xp_of(a).minimum(a, b)

    def backward(self, g: Any) -> tuple[Any, Any]:
        a, b = self.input(0), self.input(1)
        return _split_ties(self, g, a < b, a == b)


def _split_ties(node: Binary, g: Any, wins: Any, ties: Any) -> Any:
    """The winner takes the gradient; ties share it equally (as torch)."""
    share_a = cast(wins, g) + cast(ties, g) * 0.5
    return node.grads(g * share_a, g * (1 - share_a))


def maximum(input: Tensor, other: Any) -> Tensor:
    """The elementwise maximum of two tensors, broadcasting; NaN wins (torch.maximum).

    Example:
        >>> import nerve
        >>> nerve.maximum(nerve.tensor([1.0, 5.0]), nerve.tensor([3.0, 2.0]))
        tensor([3., 5.])
    """
    return apply(Maximum, *promote_pair(input, other, "maximum"))


def minimum(input: Tensor, other: Any) -> Tensor:
    """The elementwise minimum of two tensors, broadcasting; NaN wins (torch.minimum).

    Example:
        >>> import nerve
        >>> nerve.minimum(nerve.tensor([1.0, 5.0]), nerve.tensor([3.0, 2.0]))
        tensor([1., 2.])
    """
    return apply(Minimum, *promote_pair(input, other, "minimum"))


class Clamp(Node):
    """min(max(x, low), high), where each bound is None, a number or a tensor (broadcasting)."""

    def forward(self, x: Any, low: Any, high: Any) -> Any:
        self.shapes = tuple(getattr(v, "shape", None) for v in (x, low, high))
        return xp_of(x).clip(x, low, high)

    def backward(self, g: Any) -> tuple[Any, ...]:
        x, low, high = self.input(0), self.input(1), self.input(2)
        need_x, need_low, need_high = self.needs_input_grad
        # torch's rule: x gets the gradient on [low, high] (bounds included); a bound gets it
        # where it wins, and ``high`` also where the bounds cross (then the result is ``high``)
        gx = glow = ghigh = None
        if need_x:
            inside = _both(None if low is None else x >= low, None if high is None else x <= high)
            gx = dual_where(inside, g, 0.0)
        if need_low:
            wins = x < low if high is None else (x < low) & (low < high)
            glow = dual_where(wins, g, 0.0)
        if need_high:
            wins = x > high if low is None else (x > high) | (high < low)
            ghigh = dual_where(wins, g, 0.0)
        grads = (gx, glow, ghigh)
        return tuple(None if d is None else sum_to(d, s) for d, s in zip(grads, self.shapes))


def _both(a: Any, b: Any) -> Any:
    return b if a is None else (a if b is None else a & b)


def clamp(input: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    """Limit values to [min, max] (numbers or broadcasting tensors); the gradient passes where
    min <= x <= max (torch.clamp).

    Example:
        >>> import nerve
        >>> nerve.clamp(nerve.tensor([-2.0, 0.5, 3.0]), min=0.0, max=1.0)
        tensor([0.0000, 0.5000, 1.0000])
    """
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    min, max = as_scalar(min), as_scalar(max)
    for bound in (min, max):  # the result takes the dtype of input and bounds together
        if bound is not None:
            input = promote_pair(input, bound, "clamp")[0]
    min, max = (_cast_bound(b, input) for b in (min, max))
    return apply(Clamp, input, min, max)


def _cast_bound(bound: Any, like: Tensor) -> Any:
    if isinstance(bound, Tensor) and bound.dtype is not like.dtype:
        return bound.to(like.dtype)
    return bound


clip = clamp
