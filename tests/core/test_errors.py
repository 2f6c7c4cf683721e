"""Errors a user can cause name the op and what was wrong: shapes, dtypes, indices, gradients."""

from __future__ import annotations

import re

import pytest

import nerve

A, B = nerve.ones(2, 3), nerve.ones(4)


def raises(error: type[Exception], *parts: str):
    """pytest.raises matching every part (literally) of the message, in order."""
    return pytest.raises(error, match="(?s)" + ".*".join(re.escape(p) for p in parts))


@pytest.mark.parametrize(
    "op, call",
    [
        ("add", lambda: A + B),
        ("sub", lambda: A - B),
        ("mul", lambda: A * B),
        ("div", lambda: A / B),
        ("pow", lambda: A**B),
        ("maximum", lambda: nerve.maximum(A, B)),
        ("where", lambda: nerve.where(A > 0, A, B)),
    ],
)
def test_broadcasting_mismatch_names_the_op_and_shapes(op, call):
    with raises(RuntimeError, op, "[2, 3]", "[4]", "broadcast"):
        call()


def test_matmul_mismatch_names_the_op_and_shapes():
    with raises(RuntimeError, "matmul", "[2, 3]", "[4, 5]"):
        A @ nerve.ones(4, 5)
    with raises(RuntimeError, "matmul", "[3]", "[2, 3]"):
        nerve.ones(3) @ A
    with raises(RuntimeError, "matmul", "batch", "[2]", "[3]"):
        nerve.ones(2, 2, 3) @ nerve.ones(3, 3, 2)


def test_mm_bmm_dot_mismatches():
    with raises(RuntimeError, "2x3", "4x5"):
        nerve.mm(A, nerve.ones(4, 5))
    with raises(RuntimeError, "bmm", "[2, 3]"):
        nerve.bmm(A, A)
    with raises(RuntimeError, "1D tensors expected"):
        nerve.dot(A, B)


def test_reshape_and_view_mismatches_name_the_op_and_shapes():
    with raises(RuntimeError, "reshape", "[5]", "size 6", "[2, 3]"):
        A.reshape(5)
    with raises(RuntimeError, "view", "[4, -1]", "size 6", "[2, 3]"):
        A.view(4, -1)
    with raises(RuntimeError, "only one dimension can be inferred"):
        A.reshape(-1, -1)
    with raises(RuntimeError, "view size is not compatible", ".reshape("):
        A.T.view(6)


def test_cat_and_stack_mismatches_name_the_op_and_shapes():
    with raises(RuntimeError, "cat", "dimension 1", "[2, 3]", "[3, 3]"):
        nerve.cat([A, nerve.ones(3, 3)], dim=1)
    with raises(RuntimeError, "cat", "same number of dimensions", "[2, 3]", "[3]"):
        nerve.cat([A, nerve.ones(3)])
    with raises(RuntimeError, "stack", "[2, 3]", "[3, 2]"):
        nerve.stack([A, nerve.ones(3, 2)])


def test_expand_and_in_place_broadcast_mismatches():
    with raises(RuntimeError, "expanded size", "[4, 3]", "[2, 3]"):
        A.expand(4, 3)
    with raises(RuntimeError, "[2, 3]", "(3,2,3)"):
        nerve.ones(2, 3).add_(nerve.ones(3, 2, 3))


def test_dimension_out_of_range():
    with raises(IndexError, "sum", "dimension out of range", "got 3"):
        A.sum(dim=3)
    with raises(IndexError, "softmax", "dimension out of range"):
        A.softmax(dim=2)


def test_requires_grad_needs_a_floating_point_tensor():
    with raises(RuntimeError, "floating point", "int64"):
        nerve.tensor([1, 2], requires_grad=True)
    with raises(RuntimeError, "floating point", "bool"):
        nerve.ones(2, dtype=nerve.bool).requires_grad_()


def test_requires_grad_cannot_be_switched_off_on_a_non_leaf():
    y = nerve.ones(2, requires_grad=True) * 2
    with raises(RuntimeError, "leaf", "detach()"):
        y.requires_grad_(False)


def test_bad_indices():
    x = nerve.ones(3)
    with raises(IndexError, "only integers, slices", "1.5"):
        x[1.5]
    with raises(IndexError, "must be long, int, byte or bool", "float32"):
        x[nerve.ones(1)]
    with raises(IndexError, "out of bounds", "size 3", "[3]"):
        x[5]


def test_backward_of_a_non_scalar_needs_a_gradient():
    x = nerve.ones(3, requires_grad=True)
    with raises(RuntimeError, "implicitly created only for scalar outputs", "[3]"):
        (x * 2).backward()
    with raises(RuntimeError, "Mismatch in shape", "[2]", "[3]"):
        (x * 2).backward(nerve.ones(2))


def test_backward_of_a_tensor_outside_the_graph():
    with raises(RuntimeError, "does not require grad"):
        nerve.ones(3).sum().backward()


def test_dtype_errors():
    with raises(RuntimeError, "mean()", "floating point", "int64"):
        nerve.arange(3).mean()
    with raises(RuntimeError, "cast", "int64"):
        nerve.ones(2, dtype=nerve.int64).add_(1.5)
    with raises(RuntimeError, "Integers to negative integer powers"):
        nerve.arange(3) ** -1
    with raises(RuntimeError, "Negation", "bool"):
        -nerve.ones(2, dtype=nerve.bool)


def test_conversion_errors():
    with raises(RuntimeError, "3 elements", "Scalar"):
        nerve.ones(3).item()
    with raises(RuntimeError, "ambiguous"):
        bool(nerve.ones(3))
    with raises(RuntimeError, "requires grad", "detach().numpy()"):
        nerve.ones(2, requires_grad=True).numpy()
    with raises(TypeError, "0-d"):
        len(nerve.tensor(1.0))


def test_creation_errors():
    with raises(TypeError, "strings"):
        nerve.tensor(["a", "b"])
    with raises(ValueError, "nested sequences"):
        nerve.tensor([[1, 2], [3]])
    with raises(RuntimeError, "negative dimension", "-1"):
        nerve.zeros(2, -1)
    with raises(TypeError, "complex", "not supported by nerve"):
        nerve.from_numpy(__import__("numpy").ones(2, dtype=complex))


def test_operand_type_errors():
    with raises(TypeError, "mul", "str"):
        A * "x"


def test_in_place_change_of_a_saved_tensor_names_the_op():
    x = nerve.ones(2, requires_grad=True)
    y = x.sigmoid()
    y.add_(1)
    with raises(RuntimeError, "modified by an inplace operation", "SigmoidBackward0", "version 1"):
        y.sum().backward()
