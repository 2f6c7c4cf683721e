"""The one tolerance table of the parity checks, and the comparison every check goes through.

nerve and torch compute the same formulas from the same arrays, so float64 agrees almost to
the last bit whatever is compared. float32 differs by rounding, and how much rounding
accumulates depends on what the check compares; the table is keyed by that kind and by the
float width. Half precision is compared at float32's row (the reference computes in float32
and rounds, as nerve does).

The kinds, from tightest to loosest in float32:

``exact``
    One op whose arithmetic is the same in both libraries (elementwise math, shapes, indexing).
``module``
    A layer, a loss or a functional: several ops in a row. The absolute tolerance is relative
    to the largest expected magnitude, because a difference of two large terms (cancellation)
    is only as accurate as the terms.
``steps``
    Parameters after 20 optimizer steps: the rounding of each step feeds the next.
``sum``
    One reduction or product (sum, mean, matmul, norm, cumsum...): the order of summation
    differs between NumPy's pairwise sums, BLAS and torch's vectorised kernels.

These are exactly the tolerances of the three harnesses this package replaced (tests/core's
oracle, tests/nn's and tests/optim's parity helpers), now in one place: no check got looser.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Tolerance:
    """``|got - want| <= atol' + rtol * |want|``, elementwise."""

    rtol: float
    atol: float
    # Whether atol' = atol * max(1, max |want|) (relative to the magnitude) rather than atol.
    scaled: bool = False

    def atol_for(self, want: np.ndarray) -> float:
        if not self.scaled:
            return self.atol
        return self.atol * max(1.0, float(np.max(np.abs(want), initial=0.0)))


# kind -> float width in bits -> tolerance
TOLERANCES: dict[str, dict[int, Tolerance]] = {
    "exact": {64: Tolerance(1e-10, 1e-12), 32: Tolerance(1e-5, 1e-6)},
    "module": {64: Tolerance(1e-10, 1e-12, scaled=True), 32: Tolerance(1e-5, 1e-5, scaled=True)},
    "steps": {64: Tolerance(1e-10, 1e-12), 32: Tolerance(2e-5, 2e-6)},
    "sum": {64: Tolerance(1e-10, 1e-11), 32: Tolerance(1e-4, 1e-5)},
}


def tolerance(kind: str, dtype: Any) -> Tolerance:
    """The row of ``kind`` for ``dtype`` (a NumPy dtype or type; narrower floats use 32)."""
    if kind not in TOLERANCES:
        raise KeyError(f"unknown tolerance kind {kind!r}; expected one of {sorted(TOLERANCES)}")
    bits = max(np.dtype(dtype).itemsize * 8, 32)
    return TOLERANCES[kind][bits]


def to_array(value: Any) -> np.ndarray:
    """A NumPy array from a nerve or torch tensor (detached), an array or a Python number."""
    if hasattr(value, "detach"):
        value = value.detach()
    if hasattr(value, "numpy"):
        value = value.numpy()
    return np.asarray(value)


def dtype_name(tensor: Any) -> str:
    """``float32`` for both ``nerve.float32`` and ``torch.float32``."""
    return str(tensor.dtype).replace("torch.", "").replace("nerve.", "")


def assert_close(
    got: Any,
    want: Any,
    kind: str = "exact",
    what: str = "",
    *,
    dtype: Any = None,
    same_dtype: bool = False,
) -> None:
    """Assert that nerve's ``got`` equals torch's ``want``: the same shape, then values within
    the ``kind`` row of the table at ``dtype``'s width (by default the width of ``want``).

    ``same_dtype`` also requires the two tensors' dtypes to have the same name. Non-float
    values (indices, counts, booleans) must be equal.
    """
    if same_dtype:
        assert dtype_name(got) == dtype_name(want), (
            f"{what}: dtype {dtype_name(got)} != torch's {dtype_name(want)}"
        )
    g, w = to_array(got), to_array(want)
    assert g.shape == w.shape, f"{what}: shape {g.shape} != torch's {w.shape}"
    if w.dtype.kind != "f":
        np.testing.assert_array_equal(g, w, err_msg=what)
        return
    row = tolerance(kind, w.dtype if dtype is None else dtype)
    np.testing.assert_allclose(
        g, w, rtol=row.rtol, atol=row.atol_for(w), equal_nan=True, err_msg=what
    )


def close(actual: Any, expected: Any, dtype: Any = np.float64, what: str = "") -> None:
    """A layer's, loss's or function's value against torch's, at the tolerance of ``dtype``
    (float64 unless told: a float32 comparison says so)."""
    assert_close(actual, expected, "module", what, dtype=dtype)
