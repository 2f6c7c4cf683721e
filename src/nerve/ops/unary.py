"""Elementwise math on one tensor: exp, log, sqrt, trigonometry, sigmoid, relu, rounding ..."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..autograd.node import Node, apply, run
from ..backend.constants import max_zero
from ..backend.device import xp_of
from ..backend.special import erf_float32
from ..tensor import Tensor
from .promotion import float_operand


class Neg(Node):
    saves = ()

    def forward(self, x: Any) -> Any:
        if x.dtype.kind == "b":
            raise RuntimeError(
                "Negation, the `-` operator, on a bool tensor is not supported. "
                "Use the `~` or `logical_not()` operator instead."
            )
        return -x

    def backward(self, g: Any) -> Any:
        return -g


class Abs(Node):
    def forward(self, x: Any) -> Any:
        return xp_of(x).abs(x)

    def backward(self, g: Any) -> Any:
        return g * run(Sign, self.input(0))


class Exp(Node):
    saves, saves_output = (), True

    def forward(self, x: Any) -> Any:
        return xp_of(x).exp(x)

    def backward(self, g: Any) -> Any:
        return g * self.output()


class Expm1(Node):
    saves, saves_output = (), True

    def forward(self, x: Any) -> Any:
        return xp_of(x).expm1(x)

    def backward(self, g: Any) -> Any:
        return g * (self.output() + 1)


class Log(Node):
    def forward(self, x: Any) -> Any:
        return xp_of(x).log(x)

    def backward(self, g: Any) -> Any:
        return g / self.input(0)


class Log2(Node):
    def forward(self, x: Any) -> Any:
        return xp_of(x).log2(x)

    def backward(self, g: Any) -> Any:
        return g / (self.input(0) * 0.6931471805599453)


class Log10(Node):
    def forward(self, x: Any) -> Any:
        return xp_of(x).log10(x)

    def backward(self, g: Any) -> Any:
        return g / (self.input(0) * 2.302585092994046)


class Log1p(Node):
    def forward(self, x: Any) -> Any:
        return xp_of(x).log1p(x)

    def backward(self, g: Any) -> Any:
        return g / (self.input(0) + 1)


class Sqrt(Node):
    saves, saves_output = (), True

    def forward(self, x: Any) -> Any:
        return xp_of(x).sqrt(x)

    def backward(self, g: Any) -> Any:
        return g / (2 * self.output())


class Rsqrt(Node):
    saves, saves_output = (), True

    def forward(self, x: Any) -> Any:
        return 1 / xp_of(x).sqrt(x)

    def backward(self, g: Any) -> Any:
        out = self.output()
        return g * -0.5 * out * out * out


class Reciprocal(Node):
    saves, saves_output = (), True

    def forward(self, x: Any) -> Any:
        return 1 / x

    def backward(self, g: Any) -> Any:
        out = self.output()
        return -g * out * out


class Sin(Node):
    def forward(self, x: Any) -> Any:
        return xp_of(x).sin(x)

    def backward(self, g: Any) -> Any:
        return g * run(Cos, self.input(0))


class Cos(Node):
    def forward(self, x: Any) -> Any:
        return xp_of(x).cos(x)

    def backward(self, g: Any) -> Any:
        return -g * run(Sin, self.input(0))


class Tan(Node):
    saves, saves_output = (), True

    def forward(self, x: Any) -> Any:
        return xp_of(x).tan(x)

    def backward(self, g: Any) -> Any:
        out = self.output()
        return g * (1 + out * out)


class Tanh(Node):
    saves, saves_output = (), True

    def forward(self, x: Any) -> Any:
        return xp_of(x).tanh(x)

    def backward(self, g: Any) -> Any:
        out = self.output()
        return g * (1 - out * out)


class Sigmoid(Node):
    saves, saves_output = (), True

    def forward(self, x: Any) -> Any:
        return sigmoid_array(x)

    def backward(self, g: Any) -> Any:
        out = self.output()
        return g * out * (1 - out)


def sigmoid_array(x: Any) -> Any:
    """1 / (1 + exp(-x)) without overflow: from :data:`MIN_EXP_SIGMOID` float32 or float64
    elements as written, with NumPy's vectorized ``exp`` (an ``exp`` that overflows gives
    exactly 0); below, and for other dtypes, SciPy's (or CuPy's) ``expit`` when installed, else
    exp of -|x| only, with e / (1 + e) on the negative side (no cancellation)."""
    if type(x) is np.ndarray and x.size >= MIN_EXP_SIGMOID and x.dtype.char in "fd":
        denominator = one_plus_exp_neg(x)
        return np.divide(1, denominator, out=denominator)
    global _fast_expit
    if _fast_expit is None:
        try:
            from scipy.special import expit  # type: ignore[import-untyped]

            _fast_expit = expit
        except ImportError:
            _fast_expit = False
    if _fast_expit and isinstance(x, np.ndarray):
        return _fast_expit(x).astype(x.dtype, copy=False)  # float16 comes back as float64
    if not isinstance(x, np.ndarray):
        import cupyx.scipy.special  # type: ignore[import-not-found]

        return cupyx.scipy.special.expit(x)
    e = np.exp(-np.abs(x))
    r = 1 / (1 + e)
    return np.where(x >= 0, r, e * r).astype(x.dtype, copy=False)


def one_plus_exp_neg(x: Any) -> Any:
    """1 + exp(-x), a new array, infinite where exp overflows (silently: what divides by it
    then gives the limit, 0).

    Example:
        >>> import numpy as np
        >>> one_plus_exp_neg(np.array([0.0, -1000.0]))
        array([ 2., inf])
    """
    xp = xp_of(x)
    e = xp.negative(x, out=xp.empty_like(x))  # (an array even for a 0-d x)
    with np.errstate(over="ignore"):
        xp.exp(e, out=e)
    e += 1
    return e


# The fewest elements whose sigmoid is taken with NumPy's exp rather than SciPy's expit, which
# computes element by element: equal at 1,024 float32 values, 2.4x faster at 4,096 and 5x at
# 400,000 (285 against 1,427 us; one thread, AMD EPYC). The two differ by at most 3 units in
# the last place.
MIN_EXP_SIGMOID = 2048
_fast_expit: Any = None


class Relu(Node):
    saves, saves_output = (), True

    def forward(self, x: Any) -> Any:
        return max_zero(x)

    def backward(self, g: Any) -> Any:
        # out != 0, not out > 0: where the output is NaN the gradient passes, as in torch, so
        # that anomaly detection finds where a NaN came from (a relu's output is never
        # negative, so this is ~(out <= 0) in one pass; a product with the mask is also 7x
        # faster than np.where on a random mask)
        return g * (self.output() != 0)


def erf_array(x: Any) -> Any:
    """The error function of an array: for :data:`MIN_RATIONAL_ERF` float32 values or more,
    a rational function in vectorized NumPy (``backend.special``, within 7 units in the last
    place); otherwise SciPy's (or CuPy's) when installed, else math.erf."""
    if type(x) is np.ndarray and x.dtype == np.float32 and x.size >= MIN_RATIONAL_ERF:
        return erf_float32(x)
    if not isinstance(x, (np.ndarray, np.generic)):  # (a 0-d input's arithmetic gives scalars)
        import cupyx.scipy.special  # type: ignore[import-not-found]

        return cupyx.scipy.special.erf(x)
    try:
        from scipy.special import erf as scipy_erf  # type: ignore[import-untyped]
    except ImportError:
        return np.vectorize(math.erf, otypes=[x.dtype])(x)
    return scipy_erf(x).astype(x.dtype, copy=False)


# The fewest float32 values whose erf is taken as a rational function rather than SciPy's
# erf, which computes element by element (its 26 passes cost more on fewer values).
MIN_RATIONAL_ERF = 2048


class Erf(Node):
    def forward(self, x: Any) -> Any:
        return erf_array(x)

    def backward(self, g: Any) -> Any:
        x = self.input(0)
        return g * (2 / math.sqrt(math.pi)) * run(Exp, -x * x)


class ZeroGrad(Node):
    """Piecewise-constant ops (sign, floor, ceil, round, trunc): zero gradient."""

    saves = ()
    function = "sign"

    def forward(self, x: Any, decimals: int = 0) -> Any:
        xp = xp_of(x)
        if self.function == "round":
            return xp.round(x, decimals)
        return getattr(xp, self.function)(x)

    def backward(self, g: Any) -> Any:
        return g * 0


def _zero_grad_op(function: str) -> type[ZeroGrad]:
    return type(function.capitalize(), (ZeroGrad,), {"function": function})


Sign, Floor, Ceil, Round, Trunc = (
    _zero_grad_op(name) for name in ("sign", "floor", "ceil", "round", "trunc")
)


def _float_unary(
    op: type[Node], summary: str, example: str, result: str
) -> Callable[[Tensor], Tensor]:
    """The public function of a float op, with its own docstring and example.

    ``example`` is the input list the docstring shows and ``result`` the printed output the
    doctest checks: written by hand, so a wrong op fails the doctest.
    """

    def function(input: Tensor) -> Tensor:
        return apply(op, float_operand(input))

    name = op.__name__.lower()
    function.__name__ = name
    function.__doc__ = (
        f"{summary}, elementwise (integer inputs give the default float dtype), as torch.{name}."
        "\n\n    Example:\n        >>> import nerve\n"
        f"        >>> nerve.{name}(nerve.tensor({example}))\n        {result}\n    "
    )
    return function


# name -> summary, example input, its printed result (checked against torch.<name>)
exp = _float_unary(Exp, "e to the power x", "[0.0, 1.0]", "tensor([1.0000, 2.7183])")
expm1 = _float_unary(
    Expm1, "exp(x) - 1, accurate for small x", "[0.0, 1e-5]", "tensor([0.0000e+00, 1.0000e-05])"
)
log = _float_unary(Log, "The natural logarithm", "[1.0, 2.0]", "tensor([0.0000, 0.6931])")
log2 = _float_unary(Log2, "The base-2 logarithm", "[1.0, 8.0]", "tensor([0., 3.])")
log10 = _float_unary(Log10, "The base-10 logarithm", "[1.0, 10.0]", "tensor([0., 1.])")
log1p = _float_unary(
    Log1p, "log(1 + x), accurate for small x", "[0.0, 1e-5]", "tensor([0.0000e+00, 9.9999e-06])"
)
sqrt = _float_unary(Sqrt, "The square root", "[4.0, 2.0]", "tensor([2.0000, 1.4142])")
rsqrt = _float_unary(Rsqrt, "1 / sqrt(x)", "[4.0, 0.25]", "tensor([0.5000, 2.0000])")
reciprocal = _float_unary(Reciprocal, "1 / x", "[2.0, -0.5]", "tensor([ 0.5000, -2.0000])")
sin = _float_unary(Sin, "The sine (radians)", "[0.0, 1.5708]", "tensor([0., 1.])")
cos = _float_unary(Cos, "The cosine (radians)", "[0.0, 3.1416]", "tensor([ 1., -1.])")
tan = _float_unary(Tan, "The tangent (radians)", "[0.0, 0.7854]", "tensor([0.0000, 1.0000])")
tanh = _float_unary(Tanh, "The hyperbolic tangent", "[0.0, 1.0]", "tensor([0.0000, 0.7616])")
sigmoid = _float_unary(
    Sigmoid, "The logistic sigmoid 1 / (1 + exp(-x))", "[0.0, 2.0]", "tensor([0.5000, 0.8808])"
)
erf = _float_unary(Erf, "The Gauss error function", "[0.0, 1.0]", "tensor([0.0000, 0.8427])")


def neg(input: Tensor) -> Tensor:
    """-x elementwise, as torch.neg (bool tensors raise: use ``logical_not``).

    Example:
        >>> import nerve
        >>> nerve.neg(nerve.tensor([1.0, -2.0]))
        tensor([-1.,  2.])
    """
    return apply(Neg, input)


def abs(input: Tensor) -> Tensor:  # noqa: A001 - torch's name
    """|x| elementwise, as torch.abs; the gradient at 0 is 0.

    Example:
        >>> import nerve
        >>> nerve.abs(nerve.tensor([-1.5, 2.0]))
        tensor([1.5000, 2.0000])
    """
    return apply(Abs, input)


def relu(input: Tensor) -> Tensor:
    """max(x, 0) elementwise; the gradient at 0 is 0, as in torch.

    Example:
        >>> import nerve
        >>> nerve.relu(nerve.tensor([-1.0, 2.0]))
        tensor([0., 2.])
    """
    return apply(Relu, input)


def sign(input: Tensor) -> Tensor:
    """-1, 0 or 1 by the sign of each element, as torch.sign; the gradient is 0.

    Example:
        >>> import nerve
        >>> nerve.sign(nerve.tensor([-3.0, 0.0, 2.0]))
        tensor([-1.,  0.,  1.])
    """
    return apply(Sign, input)


def floor(input: Tensor) -> Tensor:
    """The largest integer not above each element, as torch.floor (integer tensors are copied).

    Example:
        >>> import nerve
        >>> nerve.floor(nerve.tensor([1.5, -1.5]))
        tensor([ 1., -2.])
    """
    return apply(Floor, input) if input._data.dtype.kind == "f" else input.clone()


def ceil(input: Tensor) -> Tensor:
    """The smallest integer not below each element, as torch.ceil (integer tensors are copied).

    Example:
        >>> import nerve
        >>> nerve.ceil(nerve.tensor([1.5, -1.5]))
        tensor([ 2., -1.])
    """
    return apply(Ceil, input) if input._data.dtype.kind == "f" else input.clone()


def trunc(input: Tensor) -> Tensor:
    """Each element rounded toward zero, as torch.trunc (integer tensors are copied).

    Example:
        >>> import nerve
        >>> nerve.trunc(nerve.tensor([1.7, -1.7]))
        tensor([ 1., -1.])
    """
    return apply(Trunc, input) if input._data.dtype.kind == "f" else input.clone()


def round(input: Tensor, *, decimals: int = 0) -> Tensor:  # noqa: A001
    """Round half to even, as torch.round.

    Example:
        >>> import nerve
        >>> nerve.round(nerve.tensor([0.5, 1.5, 2.5]))
        tensor([0., 2., 2.])
        >>> nerve.round(nerve.tensor([1.2345]), decimals=2)
        tensor([1.2300])
    """
    return (
        apply(Round, input, decimals=decimals) if input._data.dtype.kind == "f" else input.clone()
    )


def frac(input: Tensor) -> Tensor:
    """The fractional part x - trunc(x), with the sign of x, as torch.frac.

    Example:
        >>> import nerve
        >>> nerve.frac(nerve.tensor([1.25, -1.75]))
        tensor([ 0.2500, -0.7500])
    """
    return input - input.trunc()


def square(input: Tensor) -> Tensor:
    """x * x elementwise, as torch.square (integer tensors stay integer).

    Example:
        >>> import nerve
        >>> nerve.square(nerve.tensor([2, -3]))
        tensor([4, 9])
    """
    return input * input
