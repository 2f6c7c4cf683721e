"""The graph nodes of ``nerve.special``: each a forward over arrays (from ``kernels.py``) and one
backward formula, which runs on arrays and, under ``create_graph``, on tensors (so double
backward works). Where torch has no derivative (zeta's and the incomplete gamma functions' first
argument) the backward raises torch's error.

Example:
    >>> import nerve
    >>> from nerve.autograd.node import apply
    >>> apply(Erfcx, nerve.tensor([0.0, 1.0]))
    tensor([1.0000, 0.4276])
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..autograd.node import Node, run
from ..backend.device import xp_of
from ..ops.arith import Binary
from ..ops.dual import where
from ..ops.unary import Exp, Log
from ..ops.unary_more import Lgamma
from . import kernels

__all__ = [
    "Entr",
    "Erfcx",
    "Gammainc",
    "I0e",
    "I1e",
    "LogNdtr",
    "Ndtri",
    "Xlog1py",
    "Zeta",
]

_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)


class Entr(Node):
    """-x log x: 0 at 0, -inf below 0; derivative -(log x + 1) (inf at 0, NaN below, as torch)."""

    def forward(self, x: Any) -> Any:
        xp = xp_of(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = xp.where(x > 0, -x * xp.log(x), xp.where(x == 0, 0.0, -xp.inf))
        return xp.where(x != x, x, out).astype(x.dtype, copy=False)

    def name(self) -> str:
        return "SpecialEntrBackward0"

    def backward(self, g: Any) -> Any:
        with np.errstate(divide="ignore", invalid="ignore"):  # (inf at 0, NaN below)
            return g * -(run(Log, self.input(0)) + 1)


class Erfcx(Node):
    """exp(x^2) erfc(x); derivative 2 x erfcx(x) - 2 / sqrt(pi)."""

    saves_output = True

    def forward(self, x: Any) -> Any:
        return kernels.erfcx_array(x)

    def name(self) -> str:
        return "SpecialErfcxBackward0"

    def backward(self, g: Any) -> Any:
        return g * (2 * self.input(0) * self.output() - 2 / math.sqrt(math.pi))


class Ndtri(Node):
    """The inverse normal CDF; derivative 1 / ndtr'(y) = sqrt(2 pi) exp(y^2 / 2), y the output."""

    saves, saves_output = (), True

    def forward(self, p: Any) -> Any:
        return kernels.ndtri_array(p)

    def name(self) -> str:
        return "SpecialNdtriBackward0"

    def backward(self, g: Any) -> Any:
        out = self.output()
        return g * math.sqrt(2 * math.pi) * run(Exp, out * out / 2)


class LogNdtr(Node):
    """log ndtr(x); derivative ndtr'(x) / ndtr(x) = sqrt(2 / pi) / erfcx(-x / sqrt(2)), which
    stays finite (about -x) far into the lower tail."""

    def forward(self, x: Any) -> Any:
        return kernels.log_ndtr_array(x)

    def name(self) -> str:
        return "SpecialLogNdtrBackward0"

    def backward(self, g: Any) -> Any:
        return g * _SQRT_2_OVER_PI / run(Erfcx, -self.input(0) / math.sqrt(2))


class I0e(Node):
    """exp(-|x|) I0(x); derivative i1e(x) - sgn(x) i0e(x)."""

    saves_output = True

    def forward(self, x: Any) -> Any:
        return kernels.i0e_array(x)

    def name(self) -> str:
        return "SpecialI0EBackward0"

    def backward(self, g: Any) -> Any:
        x, out = self.input(0), self.output()
        signed = where(x < 0, -out, where(x == 0, 0.0, out))
        return g * (run(I1e, x) - signed)


class I1e(Node):
    """exp(-|x|) I1(x); derivative i0e(x) - i1e(x) (sgn(x) + 1 / x), and 1/2 at 0."""

    saves_output = True

    def forward(self, x: Any) -> Any:
        return kernels.i1e_array(x)

    def name(self) -> str:
        return "SpecialI1EBackward0"

    def backward(self, g: Any) -> Any:
        x, out = self.input(0), self.output()
        zero = x == 0
        safe = where(zero, 1.0, x)
        slope = run(I0e, x) - where(x < 0, -out, out) - out / safe
        return g * where(zero, 0.5, slope)


class Xlog1py(Binary):
    """x log(1 + y), 0 where x == 0 (unless y is NaN). Gradients, as torch's: xlog1py(g, y)
    (0 where x == 0 and y <= -1) and x / (1 + y)."""

    def compute(self, a: Any, b: Any) -> Any:
        xp = xp_of(a)
        with np.errstate(divide="ignore", invalid="ignore"):
            return xp.where((a == 0) & ~xp.isnan(b), 0, a * xp.log1p(b)).astype(a.dtype)

    def name(self) -> str:
        return "SpecialXlog1PyBackward0"

    def backward(self, g: Any) -> tuple[Any, Any]:
        a, b = self.input(0), self.input(1)
        need_a, need_b = self.needs_input_grad
        ga = where((a == 0) & (b <= -1), 0.0, run(Xlog1py, g, b)) if need_a else None
        with np.errstate(divide="ignore", invalid="ignore"):  # (at y = -1, as torch's)
            gb = g * a / (1 + b) if need_b else None
        return self.grads(ga, gb)


class Zeta(Binary):
    """Hurwitz's zeta(x, q); d/dq = -x zeta(x + 1, q). torch has no derivative in x."""

    def compute(self, x: Any, q: Any) -> Any:
        return kernels.zeta_array(x, q)

    def name(self) -> str:
        return "SpecialZetaBackward0"

    def backward(self, g: Any) -> tuple[Any, Any]:
        x, q = self.input(0), self.input(1)
        if self.needs_input_grad[0]:
            raise NotImplementedError("the derivative for 'zeta' is not implemented.")
        return self.grads(None, g * -x * run(Zeta, x + 1, q))


class Gammainc(Binary):
    """The regularized lower (``upper=False``) or upper incomplete gamma function of (a, x);
    d/dx = +- x^(a-1) exp(-x) / Gamma(a). torch has no derivative in a."""

    def forward(self, a: Any, x: Any, upper: bool = False) -> Any:
        self.upper = upper
        return super().forward(a, x)

    def compute(self, a: Any, x: Any) -> Any:
        return kernels.gammainc_array(a, x, self.upper)

    def name(self) -> str:
        return "IgammacBackward0" if self.upper else "IgammaBackward0"

    def backward(self, g: Any) -> tuple[Any, Any]:
        a, x = self.input(0), self.input(1)
        if self.needs_input_grad[0]:
            which = "igammac" if self.upper else "igamma"
            raise NotImplementedError(f"the derivative for '{which}: input' is not implemented.")
        density = run(Exp, (a - 1) * run(Log, x) - x - run(Lgamma, a))
        return self.grads(None, g * (-density if self.upper else density))
