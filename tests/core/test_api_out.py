"""``out=`` on the top-level functions, against torch 2.13: values written into ``out`` and
returned, resizing (with torch's warning when ``out`` had elements), dtype rules, (values,
indices) pairs, factories, and the refusal under autograd."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import nerve

torch = pytest.importorskip("torch")

A = np.arange(6.0).reshape(2, 3) / 4 + 0.5

CASES = {
    "add": lambda lib, a: lib.add(a, a, alpha=2, out=lib.empty(0)),
    "sub": lambda lib, a: lib.sub(a, 1, out=lib.empty(0)),
    "mul": lambda lib, a: lib.mul(a, a, out=lib.empty(0)),
    "div": lambda lib, a: lib.div(a, 2, out=lib.empty(0)),
    "matmul": lambda lib, a: lib.matmul(a, a.T, out=lib.empty(0)),
    "mm": lambda lib, a: lib.mm(a.T, a, out=lib.empty(0)),
    "exp": lambda lib, a: lib.exp(a, out=lib.empty(0)),
    "log": lambda lib, a: lib.log(a, out=lib.empty(0)),
    "sqrt": lambda lib, a: lib.sqrt(a, out=lib.empty(0)),
    "sum": lambda lib, a: lib.sum(a, 1, out=lib.empty(0)),
    "mean": lambda lib, a: lib.mean(a, 0, out=lib.empty(0)),
    "cat": lambda lib, a: lib.cat([a, a], out=lib.empty(0)),
    "stack": lambda lib, a: lib.stack([a, a], 1, out=lib.empty(0)),
    "clamp": lambda lib, a: lib.clamp(a, 0.7, 1.2, out=lib.empty(0)),
    "where": lambda lib, a: lib.where(a > 1, a, a * 0, out=lib.empty(0)),
    "zeros": lambda lib, a: lib.zeros(2, 2, out=lib.empty(0, dtype=lib.int64)),
    "ones": lambda lib, a: lib.ones(3, out=lib.empty(0)),
    "arange": lambda lib, a: lib.arange(5, out=lib.empty(0)),
    "sum_into_long": lambda lib, a: lib.sum(a, 1, out=lib.empty(0, dtype=lib.int64)),
    "add_into_double": lambda lib, a: lib.add(a, a, out=lib.empty(2, 3, dtype=lib.float64)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_out_matches_torch(name: str) -> None:
    ours = CASES[name](nerve, nerve.tensor(A, dtype=nerve.float32))
    theirs = CASES[name](torch, torch.tensor(A, dtype=torch.float32))
    assert str(ours.dtype)[6:] == str(theirs.dtype)[6:]
    np.testing.assert_allclose(np.asarray(ours), theirs.numpy(), rtol=1e-6)


def test_out_is_returned_and_written() -> None:
    out = nerve.empty(2, 3)
    a = nerve.tensor(A, dtype=nerve.float32)
    assert nerve.add(a, 1, out=out) is out
    np.testing.assert_allclose(out.numpy(), A + 1, rtol=1e-6)
    assert out._version == 1


def test_max_min_with_dim_write_values_and_indices() -> None:
    a, b = nerve.tensor(A), torch.tensor(A)
    values, indices = nerve.empty(0, dtype=nerve.float64), nerve.empty(0, dtype=nerve.int64)
    result = nerve.max(a, 1, out=(values, indices))
    expected = torch.max(b, 1)
    assert result.values is values and result.indices is indices
    np.testing.assert_array_equal(indices.numpy(), expected.indices.numpy())
    nerve.min(a, 0, out=(values, indices))
    np.testing.assert_array_equal(values.numpy(), torch.min(b, 0).values.numpy())
    with pytest.raises(RuntimeError, match="Expected out tensor to have dtype long int, but got"):
        nerve.max(a, 1, out=(values, nerve.empty(0, dtype=nerve.float64)))


def test_resizing_an_out_with_elements_warns_as_torch() -> None:
    a = nerve.ones(2, 3)
    with pytest.warns(UserWarning, match=r"had shape \[3\], which does not match .*\[2, 3\]"):
        nerve.add(a, a, out=nerve.empty(3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nerve.add(a, a, out=nerve.empty(0))


def _message(call) -> str:
    with pytest.raises(Exception) as info:
        call()
    return f"{type(info.value).__name__}: {info.value}"


@pytest.mark.parametrize(
    "case",
    [
        lambda lib: lib.add(lib.ones(2), 1, out=lib.empty(2, dtype=lib.int64)),
        lambda lib: lib.add(lib.ones(2), 1, out=lib.empty(2, dtype=lib.bool)),
        lambda lib: lib.add(lib.ones(2, requires_grad=True), 1, out=lib.empty(2)),
        lambda lib: lib.exp(lib.ones(2, requires_grad=True), out=lib.empty(2)),
        lambda lib: lib.add(lib.ones(2), 1, out=lib.empty(2, requires_grad=True)),
        lambda lib: lib.add(lib.ones(2), 1, out=lib.ones(1).expand(2)),
    ],
)
def test_out_errors_are_torch_s(case) -> None:
    assert _message(lambda: case(nerve)) == _message(lambda: case(torch))


def test_out_under_no_grad_is_allowed() -> None:
    x = nerve.ones(2, requires_grad=True)
    with nerve.no_grad():
        out = nerve.mul(x, 3, out=nerve.empty(2))
    assert out.tolist() == [3.0, 3.0] and not out.requires_grad


def test_random_factories_take_out_s_dtype() -> None:
    out = nerve.empty(0, dtype=nerve.float64)
    assert nerve.randn(3, out=out) is out and out.dtype is nerve.float64 and out.shape == (3,)
    assert nerve.rand(2, 2, out=out).shape == (2, 2)
