"""Finite-difference checks of every differentiable op, independent of torch: first derivatives
with nerve.autograd.gradcheck over the op tables, second derivatives with gradgradcheck."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nerve
from nerve.autograd import GradcheckError, gradcheck, gradgradcheck

pytest.importorskip("torch")  # the tables are shared with the torch oracle

from cases_elementwise import CASES as ELEMENTWISE  # noqa: E402
from cases_reduce import CASES as REDUCE  # noqa: E402
from cases_shape_index import CASES as SHAPE_INDEX  # noqa: E402

import parity  # noqa: E402
from parity import OpCase, case_ids, lay_out  # noqa: E402

ALL = ELEMENTWISE + REDUCE + SHAPE_INDEX
FIRST = [case for case in ALL if case.grad and case.gradcheck]
SECOND = [case for case in ALL if case.grad and case.gradgrad]
REQUIRED_SECOND_ORDER = {
    "mul",
    "exp",
    "tanh",
    "sigmoid",
    "matmul_operator",
    "softmax",
    "log_softmax",
    "pow",
    "sum",
    "mean",
}


def leaves(arrays: tuple[np.ndarray, ...], layout: str = "contiguous") -> list[nerve.Tensor]:
    """float64 leaves that require grad for float arrays; indices and masks as they are."""
    tensors = []
    for array in arrays:
        tensor = nerve.from_numpy(lay_out(array, layout))
        tensors.append(tensor.requires_grad_() if array.dtype.kind == "f" else tensor)
    return tensors


def function_of(case: OpCase):
    return lambda *xs: case.fn(nerve, *xs)


@pytest.mark.parametrize("case", FIRST, ids=case_ids(FIRST))
@settings(max_examples=6)
@given(data=st.data())
def test_gradcheck(case, data):
    inputs = leaves(data.draw(case.inputs, label="inputs"))
    assert parity.gradcheck(function_of(case), inputs, eps=1e-6, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("case", SECOND, ids=case_ids(SECOND))
@settings(max_examples=4)
@given(data=st.data())
def test_gradgradcheck(case, data):
    inputs = leaves(data.draw(case.inputs, label="inputs"))
    assert parity.gradgradcheck(function_of(case), inputs, eps=1e-6, atol=1e-5, rtol=1e-4)


def test_second_order_table_covers_the_required_ops():
    assert {case.name for case in SECOND} >= REQUIRED_SECOND_ORDER


def test_gradcheck_accepts_non_contiguous_inputs():
    rng = np.random.default_rng(0)
    (x,) = leaves((rng.standard_normal((3, 4)),), layout="transposed")
    assert not x.is_contiguous()
    assert gradcheck(lambda t: (t.sin() * t).sum(dim=0), (x,))


def test_gradcheck_handles_several_outputs():
    x = nerve.randn(5, dtype=nerve.float64, requires_grad=True)
    assert gradcheck(lambda t: (t * 2).split(2), (x,))


class WrongSquare(nerve.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x  # should be 2 * x


def test_gradcheck_detects_a_wrong_gradient():
    x = nerve.randn(3, dtype=nerve.float64, requires_grad=True)
    with pytest.raises(GradcheckError, match="Jacobian mismatch"):
        gradcheck(WrongSquare.apply, (x,))
    assert gradcheck(WrongSquare.apply, (x,), raise_exception=False) is False


class WrongSecondDerivative(nerve.autograd.Function):
    """Right first derivative (3x^2), computed in a way whose own derivative is wrong."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x.detach() ** 2  # detached: d/dx of this misses 6x


def test_gradgradcheck_detects_a_wrong_second_derivative():
    x = nerve.randn(3, dtype=nerve.float64, requires_grad=True)
    assert gradcheck(WrongSecondDerivative.apply, (x,))
    with pytest.raises(GradcheckError):
        gradgradcheck(WrongSecondDerivative.apply, (x,))


def test_gradcheck_warns_on_float32():
    x = nerve.randn(3, requires_grad=True)
    with pytest.warns(UserWarning, match="float64"):
        gradcheck(lambda t: t * 2, (x,), atol=1e-2, rtol=1e-2, eps=1e-3)
