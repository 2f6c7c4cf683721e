"""Special functions, as torch.special: the error-function family (erf, erfc, erfcx, erfinv,
ndtr, ndtri, log_ndtr), the gamma family (gammaln, digamma, polygamma, multigammaln, gammainc,
gammaincc, zeta), Bessel functions (i0, i0e, i1, i1e, bessel_j0, bessel_j1), entr, xlogy,
xlog1py, and torch.special's second names for ops nerve already has (expit = sigmoid ...).

New functions are nodes (``nodes.py``: one backward formula each) or compositions of
differentiable ops (ndtr); their arrays come from SciPy when installed, else from the NumPy
fallbacks of ``kernels.py``. Integer inputs give the default float dtype. bessel_j0 and
bessel_j1 have no derivative in torch: their results do not require a gradient.

Example:
    >>> import nerve
    >>> nerve.special.ndtr(nerve.tensor([0.0, 1.0]))
    tensor([0.5000, 0.8413])
"""

from __future__ import annotations

import math
from typing import Any

from ..autograd.node import apply
from ..ops import binary_more, spread, unary, unary_more
from ..ops import softmax as _softmax
from ..ops.binary_more import _pair
from ..ops.out import with_out
from ..ops.promotion import float_operand, torch_name
from ..tensor import Tensor
from . import kernels
from .nodes import Entr, Erfcx, Gammainc, I0e, I1e, LogNdtr, Ndtri, Xlog1py, Zeta

__all__ = [
    "bessel_j0",
    "bessel_j1",
    "digamma",
    "entr",
    "erf",
    "erfc",
    "erfcx",
    "erfinv",
    "exp2",
    "expit",
    "expm1",
    "gammainc",
    "gammaincc",
    "gammaln",
    "i0",
    "i0e",
    "i1",
    "i1e",
    "log1p",
    "log_ndtr",
    "log_softmax",
    "logit",
    "logsumexp",
    "multigammaln",
    "ndtr",
    "ndtri",
    "polygamma",
    "psi",
    "round",
    "sinc",
    "softmax",
    "xlog1py",
    "xlogy",
    "zeta",
]

# torch.special's names for ops nerve has under the same name (documented in nerve's page)
digamma = unary_more.digamma
erf = unary.erf
erfc = unary_more.erfc
erfinv = unary_more.erfinv
exp2 = unary_more.exp2
expm1 = unary.expm1
i0 = unary_more.i0
log1p = unary.log1p
log_softmax = _softmax.log_softmax
logit = unary_more.logit
logsumexp = spread.logsumexp
polygamma = unary_more.polygamma
round = with_out(unary.round)  # noqa: A001 - nerve.round's behaviour, out= included
sinc = unary_more.sinc
softmax = _softmax.softmax
xlogy = binary_more.xlogy


def expit(input: Tensor) -> Tensor:
    """The logistic sigmoid 1 / (1 + exp(-x)): torch.special.expit, nerve.sigmoid's second name.

    Example:
        >>> import nerve
        >>> nerve.special.expit(nerve.tensor([0.0, 2.0]))
        tensor([0.5000, 0.8808])
    """
    return unary.sigmoid(input)


def gammaln(input: Tensor) -> Tensor:
    """log|Gamma(x)|: torch.special.gammaln, nerve.lgamma's second name.

    Example:
        >>> import nerve
        >>> nerve.special.gammaln(nerve.tensor([1.0, 5.0]))
        tensor([0.0000, 3.1781])
    """
    return unary_more.lgamma(input)


def psi(input: Tensor) -> Tensor:
    """The digamma function: torch.special.psi, nerve.digamma's second name.

    Example:
        >>> import nerve
        >>> nerve.special.psi(nerve.tensor([1.0, 2.0]))
        tensor([-0.5772,  0.4228])
    """
    return unary_more.digamma(input)


def multigammaln(input: Tensor, p: int) -> Tensor:
    """The log multivariate gamma function of dimension ``p``: torch.special.multigammaln,
    nerve.mvlgamma's second name.

    Example:
        >>> import nerve
        >>> nerve.special.multigammaln(nerve.tensor([2.0, 3.0]), 2)
        tensor([0.4516, 1.5502])
    """
    return unary_more.mvlgamma(input, p)


def entr(input: Tensor) -> Tensor:
    """The elementwise entropy -x log(x): 0 at 0 and -inf for x < 0 (torch.special.entr).

    Example:
        >>> import nerve
        >>> nerve.special.entr(nerve.tensor([0.0, 0.5, -1.0]))
        tensor([0.0000, 0.3466,   -inf])
    """
    return apply(Entr, float_operand(input))


def ndtr(input: Tensor) -> Tensor:
    """The standard normal CDF (1 + erf(x / sqrt(2))) / 2, as erfc(-x / sqrt(2)) / 2 so that
    the lower tail keeps its precision (torch.special.ndtr).

    Example:
        >>> import nerve
        >>> nerve.special.ndtr(nerve.tensor([-1.0, 0.0, 2.0]))
        tensor([0.1587, 0.5000, 0.9772])
    """
    return unary_more.erfc(float_operand(input) * -math.sqrt(0.5)) * 0.5


def ndtri(input: Tensor) -> Tensor:
    """The inverse of ndtr: -inf at 0, inf at 1, NaN outside [0, 1] (torch.special.ndtri).

    Example:
        >>> import nerve
        >>> nerve.special.ndtri(nerve.tensor([0.5, 0.975]))
        tensor([0.0000, 1.9600])
    """
    return apply(Ndtri, float_operand(input))


def log_ndtr(input: Tensor) -> Tensor:
    """log(ndtr(x)), accurate far into the lower tail where ndtr underflows to 0
    (torch.special.log_ndtr).

    Example:
        >>> import nerve
        >>> nerve.special.log_ndtr(nerve.tensor([0.0, -10.0]))
        tensor([ -0.6931, -53.2313])
    """
    return apply(LogNdtr, float_operand(input))


def erfcx(input: Tensor) -> Tensor:
    """The scaled complementary error function exp(x^2) erfc(x), without the overflow and
    underflow of that product for large x (torch.special.erfcx).

    Example:
        >>> import nerve
        >>> nerve.special.erfcx(nerve.tensor([0.0, 1.0, 100.0]))
        tensor([1.0000, 0.4276, 0.0056])
    """
    return apply(Erfcx, float_operand(input))


def i0e(input: Tensor) -> Tensor:
    """The exponentially scaled modified Bessel function exp(-|x|) I0(x), finite for every x
    (torch.special.i0e).

    Example:
        >>> import nerve
        >>> nerve.special.i0e(nerve.tensor([0.0, 1.0, 1000.0]))
        tensor([1.0000, 0.4658, 0.0126])
    """
    return apply(I0e, float_operand(input))


def i1(input: Tensor) -> Tensor:
    """The modified Bessel function of the first kind of order 1 (torch.special.i1); it is
    the derivative of i0.

    Example:
        >>> import nerve
        >>> nerve.special.i1(nerve.tensor([0.0, 1.0]))
        tensor([0.0000, 0.5652])
    """
    return apply(unary_more.I1, float_operand(input))


def i1e(input: Tensor) -> Tensor:
    """The exponentially scaled modified Bessel function exp(-|x|) I1(x) (torch.special.i1e).

    Example:
        >>> import nerve
        >>> nerve.special.i1e(nerve.tensor([0.0, 1.0, -1.0]))
        tensor([ 0.0000,  0.2079, -0.2079])
    """
    return apply(I1e, float_operand(input))


def _no_gradient(kernel: Any, input: Tensor) -> Tensor:
    """A function torch gives no derivative: its result does not require a gradient, so a
    backward through it raises that no tensor requires one (as in torch)."""
    x = float_operand(input)
    return Tensor._make(kernel(x._data))


def bessel_j0(input: Tensor) -> Tensor:
    """The Bessel function of the first kind of order 0 (torch.special.bessel_j0). torch has no
    derivative for it: the result never requires a gradient.

    Example:
        >>> import nerve
        >>> nerve.special.bessel_j0(nerve.tensor([0.0, 1.0, 2.0]))
        tensor([1.0000, 0.7652, 0.2239])
    """
    return _no_gradient(lambda x: kernels.bessel_j_array(0, x), input)


def bessel_j1(input: Tensor) -> Tensor:
    """The Bessel function of the first kind of order 1 (torch.special.bessel_j1). torch has no
    derivative for it: the result never requires a gradient.

    Example:
        >>> import nerve
        >>> nerve.special.bessel_j1(nerve.tensor([0.0, 1.0, -1.0]))
        tensor([ 0.0000,  0.4401, -0.4401])
    """
    return _no_gradient(lambda x: kernels.bessel_j_array(1, x), input)


def xlog1py(input: Any, other: Any) -> Tensor:
    """``input * log1p(other)``, 0 where ``input`` is 0 (unless ``other`` is NaN), as
    torch.special.xlog1py; either operand may be a Python number.

    Example:
        >>> import nerve
        >>> nerve.special.xlog1py(nerve.tensor([0.0, 2.0]), nerve.tensor([-1.0, 1.0]))
        tensor([0.0000, 1.3863])
    """
    return apply(Xlog1py, *_pair(input, other, "xlog1py", True))


def zeta(input: Any, other: Any) -> Tensor:
    """Hurwitz's zeta function, the sum over k >= 0 of (k + other)^-input (``other`` = 1: the
    Riemann zeta), as torch.special.zeta: NaN for input < 1, inf at input = 1. Its gradient is
    defined in ``other`` only (torch has none in ``input``).

    Example:
        >>> import nerve
        >>> nerve.special.zeta(nerve.tensor([2.0, 4.0]), 1.0)
        tensor([1.6449, 1.0823])
    """
    return apply(Zeta, *_pair(input, other, "zeta", True))


def _incomplete_gamma(input: Any, other: Any, upper: bool) -> Tensor:
    name = "gammaincc" if upper else "gammainc"
    for position, (argument, value) in enumerate((("input", input), ("other", other)), 1):
        if not isinstance(value, Tensor):
            raise TypeError(
                f"special_{name}(): argument '{argument}' (position {position}) must be Tensor, "
                f"not {type(value).__name__}"
            )
    a, x = _pair(input, other, name, False)
    if a._data.dtype.kind != "f":
        kernel = "igammac" if upper else "igamma"
        raise NotImplementedError(f"\"{kernel}_cpu\" not implemented for '{torch_name(a.dtype)}'")
    return apply(Gammainc, a, x, upper=upper)


def gammainc(input: Tensor, other: Tensor) -> Tensor:
    """The regularized lower incomplete gamma function P(a, x) of a = ``input`` and
    x = ``other`` (torch.special.gammainc): floating tensors only; its gradient is defined in
    ``other`` only (torch has none in ``input``).

    Example:
        >>> import nerve
        >>> nerve.special.gammainc(nerve.tensor([1.0, 2.0]), nerve.tensor([1.0, 1.0]))
        tensor([0.6321, 0.2642])
    """
    return _incomplete_gamma(input, other, upper=False)


def gammaincc(input: Tensor, other: Tensor) -> Tensor:
    """The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x)
    (torch.special.gammaincc): as :func:`gammainc`.

    Example:
        >>> import nerve
        >>> nerve.special.gammaincc(nerve.tensor([1.0, 2.0]), nerve.tensor([1.0, 1.0]))
        tensor([0.3679, 0.7358])
    """
    return _incomplete_gamma(input, other, upper=True)
