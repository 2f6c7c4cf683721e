"""Special functions of arrays (erfc, erfinv, lgamma, digamma, polygamma, i0, i1) for the ops
of ``unary_more.py``: SciPy's (or CuPy's) when installed, which the core library does not
require, else a plain NumPy fallback written here, accurate to a few units in the last place
of float64 on the domains the docstrings name.

Example:
    >>> import numpy as np
    >>> float(lgamma_array(np.array(5.0)))  # log(4!)
    3.1780538303479458
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = [
    "digamma_array",
    "erfc_array",
    "erfinv_array",
    "i0_array",
    "i1_array",
    "lgamma_array",
    "polygamma_array",
]


def _special(name: str, x: Any, fallback: Callable[[Any], Any], *args: Any) -> Any:
    """``scipy.special.<name>(*args, x)`` in ``x``'s dtype, or ``fallback(x)`` without SciPy."""
    if not isinstance(x, (np.ndarray, np.generic)):
        import cupyx.scipy.special  # type: ignore[import-not-found]

        return getattr(cupyx.scipy.special, name)(*args, x)
    try:
        import scipy.special  # type: ignore[import-untyped]
    except ImportError:
        return np.asarray(fallback(x)).astype(x.dtype, copy=False)
    return np.asarray(getattr(scipy.special, name)(*args, x)).astype(x.dtype, copy=False)


def erfc_array(x: Any) -> Any:
    """1 - erf(x) without cancellation for large x."""
    return _special("erfc", x, np.vectorize(math.erfc, otypes=[np.float64]))


def _erfinv_fallback(x: Any) -> Any:
    """Winitzki's closed form (relative error 2e-3), then three Newton steps on math.erf."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_term = np.log((1 - x) * (1 + x))
        a = 0.147
        b = 2 / (math.pi * a) + log_term / 2
        z = np.sign(x) * np.sqrt(np.sqrt(b * b - log_term / a) - b)
        erf = np.vectorize(math.erf, otypes=[np.float64])
        for _ in range(3):
            step = (erf(z) - x) / (2 / math.sqrt(math.pi) * np.exp(-z * z))
            z = np.where(np.isfinite(z), z - step, z)
    z = np.where(np.abs(x) == 1, np.copysign(np.inf, x), z)
    return np.where(np.abs(x) > 1, np.nan, z)


def erfinv_array(x: Any) -> Any:
    """The inverse of erf on [-1, 1] (+-inf at +-1, NaN outside)."""
    return _special("erfinv", x, _erfinv_fallback)


def _lgamma_scalar(v: float) -> float:
    if v <= 0 and v == math.floor(v):  # the poles (math.lgamma raises there)
        return math.inf
    return math.lgamma(v)


def lgamma_array(x: Any) -> Any:
    """log|Gamma(x)|: +inf at the poles 0, -1, -2 ... and at -inf (as torch)."""
    out = _special("gammaln", x, np.vectorize(_lgamma_scalar, otypes=[np.float64]))
    return np.where(x == -np.inf, np.inf, out) if (x == -np.inf).any() else out


# B_2k / (2k) ... the Bernoulli numbers B_2 to B_14 of the asymptotic series
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6)


def _polygamma_fallback(n: int, x: Any) -> Any:
    """psi^(n)(x): the recurrence psi^(n)(y) = psi^(n)(y + 1) - (-1)^n n! / y^(n+1) moves every
    element to y >= 10 + n, where the asymptotic series with B_2 ... B_14 is exact to float64;
    digamma reflects negative x first (psi(x) = psi(1 - x) - pi / tan(pi x))."""
    x = np.asarray(x, dtype=np.float64)
    reflect = (n == 0) & (x < 0)
    y = np.where(reflect, 1 - x, x)
    poles = (x <= 0) & (x == np.floor(x))
    y = np.where(poles | ~np.isfinite(y), 20.0 + n, y)  # (fixed up below)
    total = np.zeros_like(y)
    sign_n, factorial_n = (-1) ** n, math.factorial(n)
    while (small := y < 10 + n).any():
        total -= np.where(small, sign_n * factorial_n / y ** (n + 1), 0.0)
        y = np.where(small, y + 1, y)
    if n == 0:
        series = np.log(y) - 1 / (2 * y)
        for k, b in enumerate(_BERNOULLI, 1):
            series -= b / (2 * k * y ** (2 * k))
    else:
        series = math.factorial(n - 1) / y**n + factorial_n / (2 * y ** (n + 1))
        for k, b in enumerate(_BERNOULLI, 1):
            series += b * math.factorial(2 * k + n - 1) / math.factorial(2 * k) / y ** (2 * k + n)
        series *= (-1) ** (n + 1)
    out = series + total
    if n == 0:
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.where(reflect, out - math.pi / np.tan(math.pi * x), out)
        out = np.where(x == np.inf, np.inf, np.where(x == -np.inf, np.nan, out))
        out = np.where(poles, np.where(x == 0, -np.copysign(np.inf, x), np.nan), out)
    else:
        out = np.where(x == np.inf, 0.0, np.where(x == -np.inf, np.nan, out))
        out = np.where(poles, np.inf if n % 2 else -np.inf, out)  # (x < 0: torch's as well)
    return np.where(np.isnan(x), np.nan, out)


def digamma_array(x: Any) -> Any:
    """The logarithmic derivative of Gamma: -inf at 0, +inf at -0, NaN at -1, -2 ..."""
    out = _special("psi", x, lambda v: _polygamma_fallback(0, v))
    zero = x == 0
    if zero.any():  # torch: -inf at +0, +inf at -0
        out = np.where(zero, -np.copysign(np.inf, x), out).astype(x.dtype, copy=False)
    return out


def polygamma_array(n: int, x: Any) -> Any:
    """The n-th derivative of digamma (n >= 1)."""
    return _special("polygamma", x, lambda v: _polygamma_fallback(n, v), n)


def i0_array(x: Any) -> Any:
    """The modified Bessel function of the first kind, order 0."""
    return _special("i0", x, np.i0)


def bessel_series(n: int, x: Any, sign: int) -> Any:
    """sum over k of sign^k (x/2)^(2k+n) / (k! (k+n)!): J_n (sign -1) or I_n (sign 1), for
    |x| <= 2 (exact to float64 in 20 terms, also where an integral loses the small values)."""
    half, total = x / 2, np.zeros_like(x)
    term = half**n / math.factorial(n)
    for k in range(20):
        total = total + term
        term = term * sign * half * half / ((k + 1) * (k + 1 + n))
    return total


def _i1_integral(x: Any) -> Any:
    """I1(x) = (1/pi) * integral over [0, pi] of exp(x cos t) cos t dt, by the trapezoid rule
    (spectrally accurate for this periodic integrand: 256 intervals suffice up to |x| ~ 700,
    beyond which I1 overflows anyway)."""
    t = np.linspace(0.0, math.pi, 257)
    weights = np.full(t.shape, 1.0 / 256)
    weights[[0, -1]] /= 2
    return (np.exp(x[..., None] * np.cos(t)) * np.cos(t)) @ weights


def _i1_fallback(x: Any) -> Any:
    """I1 in float64: the series up to |x| = 2, the integral beyond; NaN at +-inf, as SciPy
    and torch give."""
    x = np.asarray(x, dtype=np.float64)
    small = np.abs(x) <= 2
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.where(small, bessel_series(1, x, 1), _i1_integral(np.where(small, 3.0, x)))
    return np.where(np.isinf(x), np.nan, out)


def i1_array(x: Any) -> Any:
    """The modified Bessel function of the first kind, order 1 (the derivative of I0)."""
    return _special("i1", x, _i1_fallback)
