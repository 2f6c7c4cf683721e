"""Type promotion against torch.result_type: every pair of operands drawn from tensors,
zero-dimensional tensors and Python scalars of float32, float64, int64, int32 and bool."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import nerve

torch = pytest.importorskip("torch")

DTYPES = ["float32", "float64", "int64", "int32", "bool"]
SCALARS = {"int": 2, "float": 2.5, "bool": True}


def operand(lib, kind: str, name: str):
    """A tensor of ``lib`` with dimensions, a zero-dimensional one, or a Python scalar."""
    if kind == "scalar":
        return SCALARS[name]
    dtype = getattr(lib, name)
    value = True if name == "bool" else 3
    return lib.full((2,) if kind == "tensor" else (), value, dtype=dtype)


OPERANDS = [("tensor", d) for d in DTYPES] + [("0-dim", d) for d in DTYPES]
OPERANDS += [("scalar", s) for s in SCALARS]
PAIRS = [(a, b) for a, b in itertools.product(OPERANDS, OPERANDS) if "tensor" in (a[0], b[0])] + [
    (a, b) for a, b in itertools.product(OPERANDS, OPERANDS) if {a[0], b[0]} == {"0-dim", "scalar"}
]

OPS = {
    "add": lambda lib, a, b: a + b,
    "mul": lambda lib, a, b: a * b,
    "sub": lambda lib, a, b: a - b,
    "div": lambda lib, a, b: a / b,
    "floordiv": lambda lib, a, b: a // b,
    "remainder": lambda lib, a, b: a % b,
    "eq": lambda lib, a, b: a == b,
    "where": lambda lib, a, b: lib.where(lib.tensor([True, False]), a, b),
}


def run(lib, op, a_spec, b_spec):
    try:
        return OPS[op](lib, operand(lib, *a_spec), operand(lib, *b_spec)), None
    except (RuntimeError, TypeError) as error:
        return None, error


@pytest.mark.parametrize("a, b", PAIRS, ids=[f"{a[1]}-{a[0]}|{b[1]}-{b[0]}" for a, b in PAIRS])
def test_result_type_matches_torch(a, b):
    x, y = operand(torch, *a), operand(torch, *b)
    expected = str(torch.result_type(x, y)).removeprefix("torch.")
    result = operand(nerve, *a) + operand(nerve, *b) if expected != "bool" else None
    if result is not None:
        assert result.dtype.name == expected
    assert nerve.result_type(operand(nerve, *a), operand(nerve, *b)).name == expected


@pytest.mark.parametrize("op", sorted(OPS))
def test_ops_promote_and_compute_as_torch(op):
    mismatches = []
    for a, b in PAIRS:
        ours, our_error = run(nerve, op, a, b)
        theirs, their_error = run(torch, op, a, b)
        if isinstance(their_error, NotImplementedError):
            continue  # torch has no kernel for it (bool // bool): not a rule to follow
        if their_error is not None or our_error is not None:
            if (their_error is None) != (our_error is None):
                mismatches.append(f"{a} {op} {b}: nerve {our_error!r}, torch {their_error!r}")
            continue
        got = (ours.dtype.name, ours.tolist())
        want = (str(theirs.dtype).removeprefix("torch."), theirs.tolist())
        # (values to 1 ulp: torch computes scalar / tensor as reciprocal(tensor) * scalar)
        if got[0] != want[0] or not np.allclose(got[1], want[1], rtol=1e-6, atol=0):
            mismatches.append(f"{a} {op} {b}: nerve {got}, torch {want}")
    assert not mismatches, "\n".join(mismatches)


def test_promote_types():
    for a, b in itertools.product(DTYPES, DTYPES):
        expected = torch.promote_types(getattr(torch, a), getattr(torch, b))
        assert nerve.promote_types(getattr(nerve, a), getattr(nerve, b)).name == str(
            expected
        ).removeprefix("torch.")


def test_in_place_ops_keep_their_dtype():
    x = nerve.ones(2)
    x += nerve.ones(2, dtype=nerve.float64)
    x *= 2
    assert x.dtype is nerve.float32
    n = nerve.ones(2, dtype=nerve.int32)
    n += 3
    assert n.dtype is nerve.int32 and n.tolist() == [4, 4]


def test_numpy_scalars_do_not_upcast_float32():
    x = nerve.ones(2)
    assert (x * np.float64(2.0)).dtype is nerve.float32
    assert (np.float64(2.0) * x).dtype is nerve.float32
