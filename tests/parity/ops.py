"""The op oracle: run one op on nerve and on torch from the same NumPy arrays and compare.

:func:`check_op` builds leaf tensors for both libraries from identical arrays (optionally laid
out non-contiguously), runs the forward, compares every output (shape, dtype, values,
``requires_grad``), backpropagates the same random upstream gradient through both, and
compares every input's ``.grad``.

The op tables (``tests/core/cases_*.py``) list :class:`OpCase` entries; each names an op, a
function ``fn(lib, *tensors)`` written once for both libraries (``lib`` is the ``nerve`` or
``torch`` module), and a hypothesis strategy (see ``draw.py``) that draws the input arrays.
Float arrays become differentiable leaves; integer and bool arrays (indices, masks) become
plain tensors.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from hypothesis import strategies as st

import nerve

from .coverage import record
from .tolerance import assert_close, dtype_name

Arrays = tuple[np.ndarray, ...]
LAYOUTS = ("contiguous", "transposed", "strided")


@dataclass(frozen=True)
class OpCase:
    """One row of an op table."""

    name: str
    fn: Callable[..., Any]  # fn(lib, *tensors), lib being the nerve or the torch module
    inputs: st.SearchStrategy[Arrays]
    torch_fn: Callable[..., Any] | None = None  # when torch spells the op differently
    grad: bool = True  # compare gradients (False: forward-only ops such as comparisons)
    tol: str = "exact"  # the kind of tolerance.TOLERANCES ("sum" for reductions)
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
        assert_close(n, t, tol, f"output {index}", same_dtype=True)
        assert n.requires_grad == t.requires_grad, f"output {index}: requires_grad differs"
    if not grad:
        return
    pairs = [(n, t) for n, t in zip(n_out, t_out) if t.requires_grad]
    assert pairs, "no output requires grad: mark the case grad=False"
    rng = np.random.default_rng(seed)
    upstream = [rng.standard_normal(tuple(t.shape)).astype(dtype_name(t)) for _, t in pairs]
    record([n for n, _ in pairs], "torch")
    nerve.autograd.backward([n for n, _ in pairs], [nerve.tensor(u) for u in upstream])
    torch.autograd.backward([t for _, t in pairs], [torch.from_numpy(u) for u in upstream])
    for index, (n, t) in enumerate(zip(n_in, t_in)):
        if t.grad is None:
            assert n.grad is None, f"input {index}: torch gives no gradient, nerve does"
        else:
            assert n.grad is not None, f"input {index}: nerve gives no gradient"
            assert_close(n.grad, t.grad, tol, f"gradient of input {index}", same_dtype=True)


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
