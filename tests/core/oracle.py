"""The oracle: run one op on nerve and on torch from the same NumPy arrays and compare.

:func:`check_op` builds leaf tensors for both libraries from identical arrays (optionally laid
out non-contiguously), runs the forward, compares every output (shape, dtype, values,
``requires_grad``), backpropagates the same random upstream gradient through both, and
compares every input's ``.grad``.

The op tables (``cases_*.py``) list :class:`OpCase` entries; each names an op, a function
``fn(lib, *tensors)`` written once for both libraries (``lib`` is the ``nerve`` or ``torch``
module), and a hypothesis strategy that draws the input arrays. Float arrays become
differentiable leaves; integer and bool arrays (indices, masks) become plain tensors.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nerve

torch = pytest.importorskip("torch")

Arrays = tuple[np.ndarray, ...]
LAYOUTS = ("contiguous", "transposed", "strided")

# (rtol, atol) by tolerance class and float width. "exact": the same arithmetic in both
# libraries; "sum": reductions and products, where the summation order differs.
TOLERANCES = {
    "exact": {64: (1e-10, 1e-12), 32: (1e-5, 1e-6)},
    "sum": {64: (1e-10, 1e-11), 32: (1e-4, 1e-5)},
}


@dataclass(frozen=True)
class OpCase:
    """One row of an op table."""

    name: str
    fn: Callable[..., Any]  # fn(lib, *tensors), lib being the nerve or the torch module
    inputs: st.SearchStrategy[Arrays]
    torch_fn: Callable[..., Any] | None = None  # when torch spells the op differently
    grad: bool = True  # compare gradients (False: forward-only ops such as comparisons)
    tol: str = "exact"
    layouts: tuple[str, ...] = LAYOUTS
    gradcheck: bool = True  # finite differences apply (False at kinks and ties)
    gradgrad: bool = False  # also check second derivatives

    def __str__(self) -> str:
        return self.name


def case_ids(cases: Sequence[OpCase]) -> list[str]:
    names = [case.name for case in cases]
    duplicates = {n for n in names if names.count(n) > 1}
    assert not duplicates, f"duplicate case names: {duplicates}"
    return names


# -- building tensors -----------------------------------------------------------------------


def lay_out(array: np.ndarray, layout: str) -> np.ndarray:
    """The same values with a non-contiguous memory layout (a copy, never the original)."""
    if layout == "transposed" and array.ndim >= 2:
        result = np.ascontiguousarray(array.T).T  # Fortran order: transposed strides
    elif layout == "strided" and array.ndim >= 1:
        wide = np.zeros(array.shape[:-1] + (2 * array.shape[-1],), array.dtype)
        wide[..., ::2] = array
        result = wide[..., ::2]  # every other element of a wider buffer
    else:
        return array.copy()
    assert np.array_equal(result, array)
    return result


def make_inputs(lib: Any, arrays: Arrays, dtype: Any, layout: str, grad: bool) -> list[Any]:
    """Leaf tensors of ``lib`` (nerve or torch) holding a private copy of each array."""
    tensors = []
    for array in arrays:
        differentiable = array.dtype.kind == "f"
        data = lay_out(array.astype(dtype) if differentiable else array, layout)
        tensor = lib.from_numpy(data)
        if differentiable and grad:
            tensor.requires_grad_()
        tensors.append(tensor)
    return tensors


def flat_outputs(result: Any) -> list[Any]:
    """The tensors an op returned: one, a tuple (split, chunk), or values and indices."""
    if isinstance(result, (tuple, list)):
        return [t for item in result for t in flat_outputs(item)]
    return [result]


def as_numpy(tensor: Any) -> np.ndarray:
    return np.asarray(tensor.detach().numpy())


def dtype_name(tensor: Any) -> str:
    return str(tensor.dtype).replace("torch.", "").replace("nerve.", "")


def assert_close(got: Any, want: Any, tol: str, what: str) -> None:
    """nerve tensor ``got`` against torch tensor ``want``: shape, dtype and values (within the
    tolerance class ``tol`` at the precision of ``want``)."""
    assert tuple(got.shape) == tuple(want.shape), (
        f"{what}: shape {tuple(got.shape)} != torch {tuple(want.shape)}"
    )
    assert dtype_name(got) == dtype_name(want), (
        f"{what}: dtype {dtype_name(got)} != torch {dtype_name(want)}"
    )
    g, w = as_numpy(got), as_numpy(want)
    if g.dtype.kind == "f":
        rtol, atol = TOLERANCES[tol][max(w.dtype.itemsize * 8, 32)]
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, equal_nan=True, err_msg=what)
    else:
        np.testing.assert_array_equal(g, w, err_msg=what)


# -- the check ------------------------------------------------------------------------------


def check_op(
    nerve_fn: Callable[..., Any],
    torch_fn: Callable[..., Any],
    inputs: Arrays,
    *,
    dtype: Any = np.float64,
    layout: str = "contiguous",
    grad: bool = True,
    tol: str = "exact",
    seed: int = 0,
) -> None:
    """Compare ``nerve_fn`` with ``torch_fn`` on ``inputs``: outputs, then input gradients."""
    n_in = make_inputs(nerve, inputs, dtype, layout, grad)
    t_in = make_inputs(torch, inputs, dtype, layout, grad)
    n_out, t_out = flat_outputs(nerve_fn(*n_in)), flat_outputs(torch_fn(*t_in))
    assert len(n_out) == len(t_out), f"{len(n_out)} outputs, torch gives {len(t_out)}"
    for index, (n, t) in enumerate(zip(n_out, t_out)):
        assert_close(n, t, tol, f"output {index}")
        assert n.requires_grad == t.requires_grad, f"output {index}: requires_grad differs"
    if not grad:
        return
    pairs = [(n, t) for n, t in zip(n_out, t_out) if t.requires_grad]
    assert pairs, "no output requires grad: mark the case grad=False"
    rng = np.random.default_rng(seed)
    upstream = [rng.standard_normal(tuple(t.shape)).astype(dtype_name(t)) for _, t in pairs]
    nerve.autograd.backward([n for n, _ in pairs], [nerve.tensor(u) for u in upstream])
    torch.autograd.backward([t for _, t in pairs], [torch.from_numpy(u) for u in upstream])
    for index, (n, t) in enumerate(zip(n_in, t_in)):
        if t.grad is None:
            assert n.grad is None, f"input {index}: torch gives no gradient, nerve does"
        else:
            assert n.grad is not None, f"input {index}: nerve gives no gradient"
            assert_close(n.grad, t.grad, tol, f"gradient of input {index}")


def run_case(case: OpCase, data: st.DataObject, dtype: Any) -> None:
    """Draw inputs for ``case`` and check it against torch (used by the oracle test files)."""
    arrays = data.draw(case.inputs, label="inputs")
    layout = data.draw(st.sampled_from(case.layouts), label="layout")
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    torch_fn = case.torch_fn or case.fn
    check_op(
        lambda *xs: case.fn(nerve, *xs),
        lambda *xs: torch_fn(torch, *xs),
        arrays,
        dtype=dtype,
        layout=layout,
        grad=case.grad,
        tol=case.tol,
        seed=seed,
    )


# -- drawing input arrays -------------------------------------------------------------------

DOMAINS: dict[str, Callable[[np.random.Generator, tuple[int, ...]], Any]] = {
    "real": lambda rng, s: rng.standard_normal(s),
    "positive": lambda rng, s: rng.uniform(0.5, 2.0, s),
    "negative": lambda rng, s: -rng.uniform(0.2, 2.0, s),
    "nonzero": lambda rng, s: rng.choice([-1.0, 1.0], s) * rng.uniform(0.3, 2.0, s),
    "unit": lambda rng, s: rng.uniform(-0.9, 0.9, s),
    "grid": lambda rng, s: rng.choice([-1.0, -0.5, 0.0, 0.5, 1.0], s),  # ties and kinks
    "large": lambda rng, s: rng.standard_normal(s) * 50 + rng.choice([-1e3, 1e3]),
    "with_zeros": lambda rng, s: rng.standard_normal(s) * (rng.random(s) > 0.3),
    "bool": lambda rng, s: rng.random(s) < 0.6,
}

seeds = st.integers(0, 2**32 - 1)


def fill(rng: np.random.Generator, shape: tuple[int, ...], domain: str) -> np.ndarray:
    return np.asarray(DOMAINS[domain](rng, shape)).reshape(shape)


def shapes(
    min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 4
) -> st.SearchStrategy[tuple[int, ...]]:
    return hnp.array_shapes(
        min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    )


def drawn(
    shape_strategy: st.SearchStrategy[Any],
    make: Callable[[np.random.Generator, Any], Arrays],
) -> st.SearchStrategy[Arrays]:
    """Arrays made by ``make(rng, drawn_shapes)`` (values from a drawn seed: fast to draw)."""
    return st.tuples(shape_strategy, seeds).map(
        lambda pair: tuple(np.asarray(a) for a in make(np.random.default_rng(pair[1]), pair[0]))
    )


def same(*domains: str, **shape_args: int) -> st.SearchStrategy[Arrays]:
    """Arrays of one shape, one per domain."""
    return drawn(shapes(**shape_args), lambda rng, s: tuple(fill(rng, s, d) for d in domains))


def unary(domain: str = "real", **shape_args: int) -> st.SearchStrategy[Arrays]:
    return same(domain, **shape_args)


def broadcast(*domains: str, min_dims: int = 0, max_dims: int = 3) -> st.SearchStrategy[Arrays]:
    """Arrays of mutually broadcastable shapes (one per domain)."""
    strategy = hnp.mutually_broadcastable_shapes(
        num_shapes=len(domains), min_dims=min_dims, max_dims=max_dims, max_side=4
    )
    return drawn(
        strategy,
        lambda rng, bs: tuple(fill(rng, s, d) for s, d in zip(bs.input_shapes, domains)),
    )


def onto(*domains: str, min_dims: int = 0) -> st.SearchStrategy[Arrays]:
    """A full-shaped array and others broadcastable onto it (in-place ops, expand, clamp)."""
    strategy = hnp.mutually_broadcastable_shapes(
        num_shapes=len(domains), min_dims=min_dims, max_dims=3, max_side=4
    )
    return drawn(
        strategy,
        lambda rng, bs: (
            fill(rng, bs.result_shape, domains[0]),
            *(fill(rng, s, d) for s, d in zip(bs.input_shapes[1:], domains[1:])),
        ),
    )


def away_from_multiples(rng: np.random.Generator, divisor: Any, shape: tuple[int, ...]) -> Any:
    """Numerators whose quotient by ``divisor`` is 0.1-0.9 away from an integer, so that
    floor division and remainder are far from their jumps in float32 too."""
    whole = rng.integers(-3, 4, shape)
    return (whole + rng.uniform(0.1, 0.9, shape)) * divisor


def modulo_pair() -> st.SearchStrategy[Arrays]:
    """(a, b) for ``a // b`` and ``a % b``: b broadcasts onto a, a/b away from integers."""
    strategy = hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=4)

    def make(rng: np.random.Generator, bs: Any) -> Arrays:
        b = fill(rng, bs.input_shapes[1], "nonzero")
        return away_from_multiples(rng, b, bs.result_shape), b

    return drawn(strategy, make)


def modulo_by(divisor: float) -> st.SearchStrategy[Arrays]:
    """One array for ``a // divisor`` and ``a % divisor``."""
    return drawn(shapes(), lambda rng, s: (away_from_multiples(rng, divisor, s),))


def divisors_of(numerator: float) -> st.SearchStrategy[Arrays]:
    """One array b for ``numerator // b`` and ``numerator % b``."""

    def make(rng: np.random.Generator, s: tuple[int, ...]) -> Arrays:
        quotient = rng.choice([-1, 1], s) * (rng.integers(0, 3, s) + rng.uniform(0.1, 0.9, s))
        return (numerator / quotient,)

    return drawn(shapes(), make)


def index_array(rng: np.random.Generator, size: int, shape: Any, unique: bool = False) -> Any:
    """int64 indices into a dimension of ``size``, negative ones included."""
    if unique:
        count = int(np.prod(shape))
        chosen = rng.permutation(size)[:count].reshape(shape)
    else:
        chosen = rng.integers(0, size, shape)
    negative = rng.random(np.shape(chosen)) < 0.3
    return np.where(negative, chosen - size, chosen).astype(np.int64)
