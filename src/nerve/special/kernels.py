"""The arrays of ``nerve.special``'s functions: SciPy's (or CuPy's) when installed, which the
core library does not require, else a NumPy fallback written here (float64 inside, a few units
in the last place on moderate arguments; the fallbacks loop in Python where a series needs it).
Both give torch's values at the edge points (0, +-inf, NaN, outside the domain).

Example:
    >>> import numpy as np
    >>> float(erfcx_array(np.array(0.0)))
    1.0
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..ops.special_arrays import _i1_fallback, _special, bessel_series

__all__ = [
    "bessel_j_array",
    "erfcx_array",
    "gammainc_array",
    "i0e_array",
    "i1e_array",
    "log_ndtr_array",
    "ndtri_array",
    "zeta_array",
]


def _call(name: str, x: Any, fallback: Any, *args: Any) -> Any:
    """``special_arrays._special`` without NumPy's warnings: an overflow when the float64
    fallback is cast to float32 gives inf, and NaN outside a domain is the answer."""
    with np.errstate(over="ignore", invalid="ignore"):
        return _special(name, x, fallback, *args)


_erfc = np.vectorize(math.erfc, otypes=[np.float64])


def _erfcx_fallback(x: Any) -> Any:
    """exp(x^2) erfc(x): directly below 10, else the asymptotic series (30 terms)."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        near = np.exp(x * x) * _erfc(np.minimum(x, 10.0))
        far = np.maximum(x, 10.0)
        term, total = np.ones_like(far), np.ones_like(far)
        for k in range(1, 31):
            term = term * -(2 * k - 1) / (2 * far * far)
            total = total + term
        far = total / (far * math.sqrt(math.pi))
    return np.where(x < 10, near, far)


def erfcx_array(x: Any) -> Any:
    """The scaled complementary error function exp(x^2) erfc(x) (+inf at -inf, 0 at +inf)."""
    return _call("erfcx", x, _erfcx_fallback)


def _log_ndtr_fallback(x: Any) -> Any:
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        tail = np.log(_erfcx_fallback(-x / math.sqrt(2)) / 2) - x * x / 2
        body = np.log1p(-_erfc(x / math.sqrt(2)) / 2)
    return np.where(x < -1, tail, body)


def log_ndtr_array(x: Any) -> Any:
    """log of the standard normal CDF, through erfcx below -1 (so no underflow to -inf)."""
    return _call("log_ndtr", x, _log_ndtr_fallback)


def _ndtri_fallback(p: Any) -> Any:
    """Abramowitz & Stegun 26.2.23 (error 4.5e-4), then Newton steps on the lower tail."""
    p = np.asarray(p, dtype=np.float64)
    tail = np.clip(np.minimum(p, 1 - p), 1e-300, 0.5)
    t = np.sqrt(-2 * np.log(tail))
    z = t - (2.515517 + 0.802853 * t + 0.010328 * t * t) / (
        1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t**3
    )
    for _ in range(4):  # solve ndtr(-z) = tail for z >= 0
        density = np.exp(-z * z / 2) / math.sqrt(2 * math.pi)
        z = z + (_erfc(z / math.sqrt(2)) / 2 - tail) / density
    z = np.where(p < 0.5, -z, z)
    z = np.where(p == 0, -np.inf, np.where(p == 1, np.inf, z))
    z = np.where(p == 0.5, 0.0, z)
    return np.where((p < 0) | (p > 1) | np.isnan(p), np.nan, z)


def ndtri_array(p: Any) -> Any:
    """The inverse of the standard normal CDF (+-inf at 1 and 0, NaN outside [0, 1])."""
    return _call("ndtri", p, _ndtri_fallback)


def _scaled_i_far(nu: int, x: Any) -> Any:
    """exp(-x) I_nu(x) for large x > 0: the asymptotic series (DLMF 10.40.1, 12 terms)."""
    mu, term, total = 4.0 * nu * nu, np.ones_like(x), np.ones_like(x)
    for k in range(1, 13):
        term = term * -(mu - (2 * k - 1) ** 2) / (k * 8 * x)
        total = total + term
    return total / np.sqrt(2 * math.pi * x)


def _scaled_i_fallback(nu: int, x: Any) -> Any:
    x = np.asarray(x, dtype=np.float64)
    ax = np.abs(x)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        near_x = np.minimum(ax, 700.0)
        near = (np.i0(near_x) if nu == 0 else _i1_fallback(near_x)) * np.exp(-near_x)
        far = _scaled_i_far(nu, np.maximum(ax, 700.0))
    out = np.where(ax <= 700, near, np.where(np.isinf(ax), 0.0, far))
    out = np.where(np.isnan(x), np.nan, out)
    return out if nu == 0 else np.where(x == 0, x, np.where(x < 0, -out, out))


def i0e_array(x: Any) -> Any:
    """exp(-|x|) I0(x), finite for every x (0 at +-inf)."""
    return _call("i0e", x, lambda v: _scaled_i_fallback(0, v))


def i1e_array(x: Any) -> Any:
    """exp(-|x|) I1(x), odd (+-0 at +-inf)."""
    return _call("i1e", x, lambda v: _scaled_i_fallback(1, v))


def _bessel_j_fallback(n: int, x: Any) -> Any:
    """J_n(x): the trapezoid rule on Bessel's integral (1/pi) int_0^pi cos(n t - x sin t) dt up
    to |x| = 25 (spectrally accurate, 128 intervals), Hankel's asymptotic series beyond."""
    x = np.asarray(x, dtype=np.float64)
    ax = np.abs(x)
    t = np.linspace(0.0, math.pi, 129)
    weights = np.full(t.shape, 1.0 / 128)
    weights[[0, -1]] /= 2
    near = np.cos(n * t - np.minimum(ax, 25.0)[..., None] * np.sin(t)) @ weights
    near = np.where(ax <= 2, bessel_series(n, np.minimum(ax, 2.0), -1), near)
    with np.errstate(invalid="ignore"):
        far_x = np.maximum(ax, 25.0)
        mu, term = 4.0 * n * n, np.ones_like(far_x)
        p, q = np.ones_like(far_x), np.zeros_like(far_x)
        for k in range(1, 30):
            term = term * (mu - (2 * k - 1) ** 2) / (k * 8 * far_x)
            if k % 2:
                q = q + (-1) ** (k // 2) * term
            else:
                p = p + (-1) ** (k // 2) * term
        chi = far_x - (n / 2 + 0.25) * math.pi
        far = np.sqrt(2 / (math.pi * far_x)) * (p * np.cos(chi) - q * np.sin(chi))
    out = np.where(ax <= 25, near, far)
    out = np.where(np.isinf(x) | np.isnan(x), np.nan, out)  # (torch: NaN at +-inf)
    return np.where(x == 0, x, np.where(x < 0, -out, out)) if n == 1 else out


def bessel_j_array(n: int, x: Any) -> Any:
    """The Bessel function of the first kind of order ``n`` (0 or 1)."""
    return _call(f"j{n}", x, lambda v: _bessel_j_fallback(n, v))


# Euler-Maclaurin's coefficients (2k)! / B_2k, as Cephes' zeta (which torch's is)
_ZETA_A = (
    12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1.8924375803183791606e9, 7.47242496e10,
    -2.950130727918164224e12, 1.1646782814350067249e14, -4.5979787224074726105e15,
    1.8152105401943546773e17, -7.1661652561756670113e18,
)  # fmt: skip


def _zeta_scalar(x: float, q: float) -> float:
    """Hurwitz's zeta sum over k >= 0 of (k + q)^-x, Cephes' algorithm as torch has it."""
    with np.errstate(all="ignore"):  # (NumPy scalars: IEEE inf and NaN, as in C)
        return float(_zeta_cephes(np.float64(x), np.float64(q)))


def _zeta_cephes(x: Any, q: Any) -> Any:
    if x == 1:
        return math.inf
    if x < 1:
        return math.nan
    if q <= 0:
        if math.isinf(q) or q == math.floor(q):
            return math.inf
        if math.isnan(x) or (not math.isinf(x) and x != math.floor(x)):
            return math.nan
    if math.isnan(x) or math.isnan(q) or q == math.inf:
        return math.nan
    if q > 1e8:
        return (1 / (x - 1) + 1 / (2 * q)) * q ** (1 - x)
    total, a, i, b = q**-x, q, 0, 0.0
    while i < 9 or a <= 9:
        i, a = i + 1, a + 1
        b = a**-x
        total += b
        if abs(b / total) < 1.1e-16:
            return total
    w = a
    total += b * w / (x - 1) - b / 2
    a, k = 1.0, 0.0
    for coefficient in _ZETA_A:
        a *= x + k
        b /= w
        term = a * b / coefficient
        total += term
        if abs(term / total) < 1.1e-16:
            break
        k += 1
        a *= x + k
        b /= w
        k += 1
    return total


def zeta_array(x: Any, q: Any) -> Any:
    """Hurwitz's zeta function (torch's values: NaN for x < 1 and at q = +inf)."""
    x, q = np.broadcast_arrays(x, q) if isinstance(x, np.ndarray) else (x, q)
    out = _call("zeta", q, lambda v: np.vectorize(_zeta_scalar, otypes=[np.float64])(x, v), x)
    if not (q == np.inf).any():
        return out
    return np.where((q == np.inf) & (x != 1), np.nan, out).astype(q.dtype, copy=False)


def _gammainc_scalar(a: float, x: float, upper: bool) -> float:
    """P(a, x) (or Q): torch's cases first, then the series below a + 1 and Legendre's continued
    fraction above (Numerical Recipes' gser and gcf)."""
    if x < 0 or a < 0:
        return math.nan
    if a == 0:
        return (0.0 if upper else 1.0) if x > 0 else math.nan
    if x == 0:
        return 1.0 if upper else 0.0
    if math.isinf(a):
        return math.nan if math.isinf(x) else (1.0 if upper else 0.0)
    if math.isinf(x):
        return 0.0 if upper else 1.0
    if math.isnan(a) or math.isnan(x):
        return math.nan
    log_front = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1:
        term = total = 1 / a
        for n in range(1, 10_000):
            term *= x / (a + n)
            total += term
            if abs(term) < abs(total) * 1e-17:
                break
        lower = total * math.exp(log_front)
        return 1 - lower if upper else lower
    b, c, d = x + 1 - a, 1e300, 1 / (x + 1 - a)
    h = d
    for n in range(1, 10_000):
        an = -n * (n - a)
        b += 2
        d = an * d + b
        d = 1e-300 if abs(d) < 1e-300 else d
        c = b + an / c
        c = 1e-300 if abs(c) < 1e-300 else c
        d = 1 / d
        h *= d * c
        if abs(d * c - 1) < 1e-17:
            break
    upper_value = math.exp(log_front) * h
    return upper_value if upper else 1 - upper_value


def gammainc_array(a: Any, x: Any, upper: bool) -> Any:
    """The regularized lower (or, ``upper``, upper) incomplete gamma function of ``a``, ``x``."""
    a, x = np.broadcast_arrays(a, x) if isinstance(a, np.ndarray) else (a, x)
    name = "gammaincc" if upper else "gammainc"
    fallback = np.vectorize(lambda u, v: _gammainc_scalar(u, v, upper), otypes=[np.float64])
    out = _call(name, x, lambda v: fallback(a, v), a)
    if isinstance(out, np.ndarray):  # torch's values where SciPy's are NaN
        low, high = (1.0, 0.0) if upper else (0.0, 1.0)
        out = np.where((x == 0) & np.isnan(a), low, out)
        out = np.where((a == np.inf) & np.isnan(x), low, out)
        out = np.where((x == np.inf) & np.isnan(a), high, out).astype(x.dtype, copy=False)
    return out
