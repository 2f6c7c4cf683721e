"""More elementwise math on one tensor, as torch has it: inverse trigonometry, hyperbolic
functions, exp2, erfc, erfinv, the gamma family (lgamma, digamma, polygamma, mvlgamma), i0,
sinc, logit, deg2rad and rad2deg, and the alias names (arcsin, negative, absolute, fix, sgn,
positive).

Each op with a closed-form derivative is a node whose backward is written once (it runs on
arrays, and on tensors under ``create_graph``, so double backward works); logit, mvlgamma,
deg2rad and rad2deg are compositions of existing ops. The special functions' arrays come from
``special_arrays.py`` (SciPy when installed, a NumPy fallback otherwise).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ..autograd.node import Node, apply, run
from ..backend.device import xp_of
from ..tensor import Tensor
from . import special_arrays as special
from .compare import clamp
from .dual import where
from .inplace import apply_inplace
from .promotion import TORCH_NAMES, float_operand
from .unary import Cos, Exp, Sqrt, _float_unary, abs, log, neg, sign, trunc

__all__ = [
    "absolute",
    "acos",
    "acosh",
    "arccos",
    "arccosh",
    "arcsin",
    "arcsinh",
    "arctan",
    "arctanh",
    "asin",
    "asinh",
    "atan",
    "atanh",
    "cosh",
    "deg2rad",
    "digamma",
    "erfc",
    "erfinv",
    "exp2",
    "fix",
    "i0",
    "lgamma",
    "logit",
    "mvlgamma",
    "negative",
    "polygamma",
    "positive",
    "rad2deg",
    "sgn",
    "sinc",
    "sinh",
]

_LN2 = 0.6931471805599453


class Asin(Node):
    def forward(self, x: Any) -> Any:
        return xp_of(x).arcsin(x)

    def backward(self, g: Any) -> Any:
        x = self.input(0)
        return g / run(Sqrt, 1 - x * x)


class Acos(Node):
    def forward(self, x: Any) -> Any:
        return xp_of(x).arccos(x)

    def backward(self, g: Any) -> Any:
        x = self.input(0)
        return -g / run(Sqrt, 1 - x * x)


class Atan(Node):
    def forward(self, x: Any) -> Any:
        return xp_of(x).arctan(x)

    def backward(self, g: Any) -> Any:
        x = self.input(0)
        return g / (x * x + 1)


class Sinh(Node):
    def forward(self, x: Any) -> Any:
        return xp_of(x).sinh(x)

    def backward(self, g: Any) -> Any:
        return g * run(Cosh, self.input(0))


class Cosh(Node):
    def forward(self, x: Any) -> Any:
        return xp_of(x).cosh(x)

    def backward(self, g: Any) -> Any:
        return g * run(Sinh, self.input(0))


class Asinh(Node):
    def forward(self, x: Any) -> Any:
        return xp_of(x).arcsinh(x)

    def backward(self, g: Any) -> Any:
        x = self.input(0)
        return g / run(Sqrt, x * x + 1)


class Acosh(Node):
    def forward(self, x: Any) -> Any:
        return xp_of(x).arccosh(x)

    def backward(self, g: Any) -> Any:
        x = self.input(0)
        return g / run(Sqrt, x * x - 1)


class Atanh(Node):
    def forward(self, x: Any) -> Any:
        return xp_of(x).arctanh(x)

    def backward(self, g: Any) -> Any:
        x = self.input(0)
        return g / (1 - x * x)


class Exp2(Node):
    saves, saves_output = (), True

    def forward(self, x: Any) -> Any:
        return xp_of(x).exp2(x)

    def backward(self, g: Any) -> Any:
        return g * self.output() * _LN2


class Erfc(Node):
    def forward(self, x: Any) -> Any:
        return special.erfc_array(x)

    def backward(self, g: Any) -> Any:
        x = self.input(0)
        return g * (-2 / math.sqrt(math.pi)) * run(Exp, -x * x)


class Erfinv(Node):
    saves, saves_output = (), True

    def forward(self, x: Any) -> Any:
        return special.erfinv_array(x)

    def backward(self, g: Any) -> Any:  # 1 / erf'(y) at y = erfinv(x)
        out = self.output()
        return g * (math.sqrt(math.pi) / 2) * run(Exp, out * out)


class Lgamma(Node):
    def forward(self, x: Any) -> Any:
        return special.lgamma_array(x)

    def backward(self, g: Any) -> Any:
        return g * run(Polygamma, self.input(0), n=0)


class Polygamma(Node):
    """The n-th derivative of digamma (n = 0: digamma); its derivative is the (n+1)-th."""

    def forward(self, x: Any, n: int = 0) -> Any:
        self.n = n
        return special.digamma_array(x) if n == 0 else special.polygamma_array(n, x)

    def name(self) -> str:
        return "DigammaBackward0" if self.n == 0 else "PolygammaBackward0"

    def backward(self, g: Any) -> Any:
        return g * run(Polygamma, self.input(0), n=self.n + 1)


class I0(Node):
    def forward(self, x: Any) -> Any:
        return special.i0_array(x)

    def backward(self, g: Any) -> Any:
        return g * run(I1, self.input(0))


class I1(Node):
    """I0's derivative, a node of its own so that i0 has a second derivative:
    I1'(x) = I0(x) - I1(x) / x, and 1/2 at 0."""

    saves_output = True

    def forward(self, x: Any) -> Any:
        return special.i1_array(x)

    def backward(self, g: Any) -> Any:
        x = self.input(0)
        zero = x == 0
        safe = where(zero, 1.0, x)
        return g * where(zero, 0.5, run(I0, x) - self.output() / safe)


class Sinc(Node):
    """sin(pi x) / (pi x), 1 at 0; derivative (cos(pi x) - sinc(x)) / x, 0 at 0."""

    saves_output = True

    def forward(self, x: Any) -> Any:
        return xp_of(x).sinc(x)

    def backward(self, g: Any) -> Any:
        x = self.input(0)
        zero = x == 0
        safe = where(zero, 1.0, x)
        slope = (run(Cos, safe * math.pi) - self.output()) / safe
        return g * where(zero, 0.0, slope)


# name -> summary, example input, its printed result (checked against torch.<name>)
asin = _float_unary(Asin, "The arcsine (radians)", "[0.0, 1.0]", "tensor([0.0000, 1.5708])")
acos = _float_unary(Acos, "The arccosine (radians)", "[1.0, 0.0]", "tensor([0.0000, 1.5708])")
atan = _float_unary(Atan, "The arctangent (radians)", "[0.0, 1.0]", "tensor([0.0000, 0.7854])")
sinh = _float_unary(Sinh, "The hyperbolic sine", "[0.0, 1.0]", "tensor([0.0000, 1.1752])")
cosh = _float_unary(Cosh, "The hyperbolic cosine", "[0.0, 1.0]", "tensor([1.0000, 1.5431])")
asinh = _float_unary(Asinh, "The inverse hyperbolic sine", "[0.0, 1.0]", "tensor([0.0000, 0.8814])")
acosh = _float_unary(
    Acosh, "The inverse hyperbolic cosine", "[1.0, 2.0]", "tensor([0.0000, 1.3170])"
)
atanh = _float_unary(
    Atanh, "The inverse hyperbolic tangent", "[0.0, 0.5]", "tensor([0.0000, 0.5493])"
)
exp2 = _float_unary(Exp2, "2 to the power x", "[0.0, 3.0]", "tensor([1., 8.])")
erfc = _float_unary(
    Erfc, "The complementary error function 1 - erf(x)", "[0.0, 1.0]", "tensor([1.0000, 0.1573])"
)
erfinv = _float_unary(
    Erfinv, "The inverse error function", "[0.0, 0.5]", "tensor([0.0000, 0.4769])"
)
lgamma = _float_unary(Lgamma, "log|Gamma(x)|", "[1.0, 5.0]", "tensor([0.0000, 3.1781])")
i0 = _float_unary(I0, "The modified Bessel function I0", "[0.0, 1.0]", "tensor([1.0000, 1.2661])")
sinc = _float_unary(
    Sinc, "The normalized sinc sin(pi x) / (pi x)", "[0.0, 0.5]", "tensor([1.0000, 0.6366])"
)
arcsin = asin  # NumPy's names, as torch's aliases
arccos = acos
arctan = atan
arcsinh = asinh
arccosh = acosh
arctanh = atanh


def digamma(input: Tensor) -> Tensor:
    """The logarithmic derivative of the gamma function, as torch.digamma (-inf at 0).

    Example:
        >>> import nerve
        >>> nerve.digamma(nerve.tensor([1.0, 2.0]))
        tensor([-0.5772,  0.4228])
    """
    return apply(Polygamma, float_operand(input), n=0)


def polygamma(n: int, input: Tensor) -> Tensor:
    """The n-th derivative of digamma (n = 0 is digamma itself), as torch.polygamma.

    Example:
        >>> import nerve
        >>> nerve.polygamma(1, nerve.tensor([1.0, 2.0]))
        tensor([1.6449, 0.6449])
    """
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    return apply(Polygamma, float_operand(input), n=int(n))


def _polygamma_method(self: Tensor, n: int) -> Tensor:
    return polygamma(n, self)


def mvlgamma(input: Tensor, p: int) -> Tensor:
    """The log of the multivariate gamma function of dimension ``p``:
    p(p-1)/4 log(pi) + the sum of lgamma(x - j/2) for j < p (torch.mvlgamma).

    Example:
        >>> import nerve
        >>> nerve.mvlgamma(nerve.tensor([2.0, 3.0]), 2)
        tensor([0.4516, 1.5502])
    """
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    x = float_operand(input)
    total = lgamma(x)
    for j in range(1, p):
        total = total + lgamma(x - j / 2)
    return total + p * (p - 1) / 4 * math.log(math.pi)


def logit(input: Tensor, eps: float | None = None) -> Tensor:
    """log(x / (1 - x)), the inverse of the sigmoid; with ``eps``, x is first clamped to
    [eps, 1 - eps] (its gradient is then 0 outside), as torch.logit.

    Example:
        >>> import nerve
        >>> nerve.logit(nerve.tensor([0.5, 0.75]))
        tensor([0.0000, 1.0986])
        >>> nerve.logit(nerve.tensor([0.0, 1.0]), eps=1e-6)
        tensor([-13.8155,  13.8023])
    """
    x = float_operand(input)
    if eps is not None and eps >= 0:  # (torch ignores a negative eps)
        x = clamp(x, eps, 1 - eps)
    return log(x / (1 - x))


def deg2rad(input: Tensor) -> Tensor:
    """Degrees to radians, as torch.deg2rad (integer inputs give the default float dtype).

    Example:
        >>> import nerve
        >>> nerve.deg2rad(nerve.tensor([180.0, 90.0]))
        tensor([3.1416, 1.5708])
    """
    return float_operand(input) * (math.pi / 180)


def rad2deg(input: Tensor) -> Tensor:
    """Radians to degrees, as torch.rad2deg (integer inputs give the default float dtype).

    Example:
        >>> import nerve
        >>> nerve.rad2deg(nerve.tensor([3.141592653589793, 1.0]))
        tensor([180.0000,  57.2958])
    """
    return float_operand(input) * (180 / math.pi)


def sgn(input: Tensor) -> Tensor:
    """The sign of each element (torch.sgn: for real tensors the same as sign).

    Example:
        >>> import nerve
        >>> nerve.sgn(nerve.tensor([-2.0, 0.0, 3.0]))
        tensor([-1.,  0.,  1.])
    """
    if input._data.dtype.kind == "b":
        return input.clone()
    out = sign(input)
    if input._data.dtype.kind == "f":  # torch's sgn of NaN is 0 (sign's is NaN)
        out = where(input != input, 0.0, out)
    return out


def positive(input: Tensor) -> Tensor:
    """The input itself (``+x``), as torch.positive; bool tensors raise as torch's.

    Example:
        >>> import nerve
        >>> x = nerve.tensor([1.0, -2.0])
        >>> nerve.positive(x) is x
        True
    """
    if input._data.dtype.kind == "b":
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def _alias(function: Callable[..., Tensor], name: str, of: str, example: str) -> Any:
    """torch's second name for an op: a function of its own, with its own docstring."""

    def alias(input: Tensor) -> Tensor:
        return function(input)

    alias.__name__ = alias.__qualname__ = name
    alias.__doc__ = (
        f"Alias of :func:`nerve.{of}` (torch.{name}).\n\n    Example:\n        >>> import nerve\n"
        f"        >>> nerve.{name}(nerve.tensor([-1.5, 2.5]))\n        {example}\n    "
    )
    return alias


negative = _alias(neg, "negative", "neg", "tensor([ 1.5000, -2.5000])")
absolute = _alias(abs, "absolute", "abs", "tensor([1.5000, 2.5000])")
fix = _alias(trunc, "fix", "trunc", "tensor([-1.,  2.])")


def float_inplace(name: str, *args: Any) -> Callable[..., Tensor]:
    """The in-place form of a float op (``x.asin_()``): torch's error for an integer tensor,
    which cannot hold the float result."""

    def method(x: Tensor, *more: Any) -> Tensor:
        if x._data.dtype.kind != "f":
            raise RuntimeError(
                f"result type Float can't be cast to the desired output type "
                f"{TORCH_NAMES.get(x.dtype.name, x.dtype.name)}"
            )
        return apply_inplace(x, lambda tensor: getattr(tensor, name)(*more))

    method.__name__ = name + "_"
    return method


_FLOAT_OPS = (
    *("asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "exp2", "erfc"),
    *("erfinv", "lgamma", "digamma", "i0", "sinc", "logit", "deg2rad", "rad2deg", "arcsin"),
    *("arccos", "arctan", "arcsinh", "arccosh", "arctanh"),
)

TENSOR_METHODS: dict[str, Any] = {
    **{name: globals()[name] for name in _FLOAT_OPS},
    "polygamma": _polygamma_method,
    "mvlgamma": mvlgamma,
    "sgn": sgn,
    "positive": positive,
    "negative": negative,
    "absolute": absolute,
    "fix": fix,
    **{name + "_": float_inplace(name) for name in _FLOAT_OPS},
    # and of the float ops of unary.py that had none
    **{
        name + "_": float_inplace(name)
        for name in ["expm1", "log1p", "log2", "log10", "rsqrt", "erf", "tan", "frac"]
    },
    "polygamma_": float_inplace("polygamma"),
    "mvlgamma_": float_inplace("mvlgamma"),
    "sgn_": lambda x: apply_inplace(x, sgn),
    "negative_": lambda x: apply_inplace(x, neg),
    "absolute_": lambda x: apply_inplace(x, abs),
    "fix_": lambda x: apply_inplace(x, trunc),
    "square_": lambda x: apply_inplace(x, lambda t: t * t),
}
