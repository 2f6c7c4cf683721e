"""The op table for elementwise ops: arithmetic with tensors and Python scalars on either side,
unary math, clamping, selection (maximum, minimum, where) and comparisons."""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

from parity import OpCase
from parity.draw import (
    broadcast,
    divisors_of,
    modulo_by,
    modulo_pair,
    onto,
    same,
    unary,
)

C = OpCase


def _quietly(compute: Any) -> Any:
    """Run ``compute()`` without NumPy's warnings about log(-1) and 1 / 0 (made on purpose)."""
    with np.errstate(all="ignore"):
        return compute()


def _rmod(lib: Any, a: float, b: Any) -> Any:
    return a - lib.div(a, b, rounding_mode="floor") * b


@cache
def _cube(lib: Any) -> Any:
    """x**3 as a user's ``autograd.Function`` of ``lib`` (nerve's records a FunctionCtx)."""

    class Cube(lib.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx: Any, grad: Any) -> Any:
            (x,) = ctx.saved_tensors
            return grad * 3 * x * x

    return Cube


ARITHMETIC = [
    C("add", lambda lib, a, b: a + b, broadcast("real", "real"), gradgrad=True),
    C("add_alpha", lambda lib, a, b: lib.add(a, b, alpha=2.5), broadcast("real", "real")),
    C("sub", lambda lib, a, b: a - b, broadcast("real", "real")),
    C("sub_alpha", lambda lib, a, b: lib.sub(a, b, alpha=-2), broadcast("real", "real")),
    C("mul", lambda lib, a, b: a * b, broadcast("real", "real"), gradgrad=True),
    C("div", lambda lib, a, b: a / b, broadcast("real", "nonzero"), gradgrad=True),
    # torch's // has no derivative; nerve's is 0, as torch.div(rounding_mode="floor")'s
    C(
        "floordiv",
        lambda lib, a, b: a // b,
        modulo_pair(),
        torch_fn=lambda lib, a, b: lib.div(a, b, rounding_mode="floor"),
    ),
    C("remainder", lambda lib, a, b: a % b, modulo_pair(), gradgrad=True),
    C("pow", lambda lib, a, b: a**b, broadcast("positive", "real"), gradgrad=True),
    C("neg", lambda lib, a: -a, unary()),
    C("neg_function", lambda lib, a: lib.neg(a), unary()),
    C("pos", lambda lib, a: +a, unary()),
]

# Python scalars, int and float, on either side (the reflected operators).
SCALAR_ARITHMETIC = [
    C("add_int", lambda lib, a: a + 2, unary()),
    C("radd_int", lambda lib, a: 2 + a, unary()),
    C("add_float", lambda lib, a: a + 2.5, unary()),
    C("radd_float", lambda lib, a: 2.5 + a, unary()),
    C("sub_int", lambda lib, a: a - 3, unary()),
    C("rsub_int", lambda lib, a: 3 - a, unary()),
    C("sub_float", lambda lib, a: a - 1.5, unary()),
    C("rsub_float", lambda lib, a: 1.5 - a, unary()),
    C("mul_int", lambda lib, a: a * 3, unary()),
    C("rmul_int", lambda lib, a: 3 * a, unary()),
    C("mul_float", lambda lib, a: a * 0.5, unary()),
    C("rmul_float", lambda lib, a: -0.5 * a, unary()),
    C("div_int", lambda lib, a: a / 4, unary()),
    C("rdiv_int", lambda lib, a: 4 / a, unary("nonzero")),
    C("div_float", lambda lib, a: a / 2.5, unary()),
    C("rdiv_float", lambda lib, a: 2.5 / a, unary("nonzero")),
    C(
        "floordiv_int",
        lambda lib, a: a // 2,
        modulo_by(2),
        torch_fn=lambda lib, a: lib.div(a, 2, rounding_mode="floor"),
    ),
    C(
        "floordiv_float",
        lambda lib, a: a // 1.5,
        modulo_by(1.5),
        torch_fn=lambda lib, a: lib.div(a, 1.5, rounding_mode="floor"),
    ),
    C(
        "rfloordiv_int",
        lambda lib, b: 3 // b,
        divisors_of(3),
        torch_fn=lambda lib, b: lib.div(3, b, rounding_mode="floor"),
    ),
    C("mod_int", lambda lib, a: a % 2, modulo_by(2)),
    C("mod_float", lambda lib, a: a % 1.5, modulo_by(1.5)),
    # torch has no derivative for Scalar % Tensor: its definition a - floor(a / b) * b has one
    C(
        "rmod_float",
        lambda lib, b: 3.0 % b,
        divisors_of(3.0),
        torch_fn=lambda lib, b: _rmod(lib, 3.0, b),
    ),
    C("rmod_int", lambda lib, b: 3 % b, divisors_of(3), torch_fn=lambda lib, b: _rmod(lib, 3, b)),
    C("pow_int", lambda lib, a: a**2, unary(), gradgrad=True),
    C("pow_int3", lambda lib, a: a**3, unary()),
    C("pow_zero", lambda lib, a: a**0, unary()),
    C("pow_half", lambda lib, a: a**0.5, unary("positive"), gradgrad=True),
    C("pow_negative", lambda lib, a: a**-1.5, unary("positive")),
    C("rpow_int", lambda lib, a: 2**a, unary(), gradgrad=True),
    C("rpow_float", lambda lib, a: 2.5**a, unary()),
    C("pow_method", lambda lib, a: a.pow(3), unary()),
]

UNARY = [
    C("abs", lambda lib, a: a.abs(), unary("nonzero"), gradgrad=True),
    C("abs_builtin", lambda lib, a: abs(a), unary("nonzero")),
    C("exp", lambda lib, a: a.exp(), unary(), gradgrad=True),
    C("log", lambda lib, a: a.log(), unary("positive"), gradgrad=True),
    C("log1p", lambda lib, a: a.log1p(), unary("unit"), gradgrad=True),
    C("expm1", lambda lib, a: a.expm1(), unary()),
    C("sqrt", lambda lib, a: a.sqrt(), unary("positive"), gradgrad=True),
    C("rsqrt", lambda lib, a: a.rsqrt(), unary("positive"), gradgrad=True),
    C("sin", lambda lib, a: a.sin(), unary(), gradgrad=True),
    C("cos", lambda lib, a: a.cos(), unary()),
    C("tan", lambda lib, a: a.tan(), unary("unit"), gradgrad=True),
    C("log2", lambda lib, a: a.log2(), unary("positive")),
    C("log10", lambda lib, a: a.log10(), unary("positive")),
    C("reciprocal", lambda lib, a: a.reciprocal(), unary("nonzero"), gradgrad=True),
    C("tanh", lambda lib, a: a.tanh(), unary(), gradgrad=True),
    C("sigmoid", lambda lib, a: a.sigmoid(), unary(), gradgrad=True),
    C("sigmoid_large", lambda lib, a: lib.sigmoid(a), unary("large")),
    C("relu", lambda lib, a: a.relu(), unary("nonzero"), gradgrad=True),
    C("relu_function", lambda lib, a: lib.relu(a), unary("nonzero")),
    C("exp_function", lambda lib, a: lib.exp(a), unary()),
    C("log_function", lambda lib, a: lib.log(a), unary("positive")),
    C("sqrt_function", lambda lib, a: lib.sqrt(a), unary("positive")),
    C("tanh_function", lambda lib, a: lib.tanh(a), unary()),
    # a user's autograd.Function: ctx.save_for_backward and a backward written with tensor ops
    C("user_function", lambda lib, a: _cube(lib).apply(a), unary(), gradgrad=True),
    # piecewise constant: zero gradient
    C("sign", lambda lib, a: a.sign(), unary("nonzero")),
    C("floor", lambda lib, a: a.floor(), unary()),
    C("ceil", lambda lib, a: a.ceil(), unary()),
    C("round", lambda lib, a: (a * 3).round(), unary()),
    C("trunc", lambda lib, a: (a * 3).trunc(), unary()),
    # at the kinks, torch's subgradient conventions: relu'(0) = 0, abs'(0) = 0
    C("relu_at_zero", lambda lib, a: a.relu(), unary("grid"), gradcheck=False),
    C("abs_at_zero", lambda lib, a: a.abs(), unary("grid"), gradcheck=False),
]

CLAMP = [
    C("clamp", lambda lib, a: a.clamp(-0.5, 0.5), unary()),
    C("clamp_min", lambda lib, a: a.clamp(min=0.1), unary()),
    C("clamp_max", lambda lib, a: lib.clamp(a, max=-0.1), unary()),
    C("clip_int_bounds", lambda lib, a: lib.clip(a, -1, 1), unary()),
    # (torch's clamp backward fails when tensor bounds broadcast the input to a larger shape)
    C(
        "clamp_tensors",
        lambda lib, a, lo, hi: a.clamp(lo, hi),
        onto("real", "negative", "positive"),
        gradgrad=True,
    ),
    C("clamp_tensor_min", lambda lib, a, lo: a.clamp(min=lo), onto("real", "real")),
    C("clamp_tensor_max", lambda lib, a, hi: lib.clamp(a, max=hi), onto("real", "real")),
    C("clamp_at_bounds", lambda lib, a: a.clamp(-0.5, 0.5), unary("grid"), gradcheck=False),
    C(
        "clamp_tensors_at_bounds",
        lambda lib, a, lo, hi: a.clamp(lo - 0.5, hi + 0.5),
        onto("grid", "grid", "grid"),
        gradcheck=False,
    ),
]

SELECT = [
    C("maximum", lambda lib, a, b: lib.maximum(a, b), broadcast("real", "real"), gradgrad=True),
    C("minimum", lambda lib, a, b: a.minimum(b), broadcast("real", "real")),
    C("maximum_ties", lambda lib, a, b: a.maximum(b), broadcast("grid", "grid"), gradcheck=False),
    C(
        "minimum_ties",
        lambda lib, a, b: lib.minimum(a, b),
        broadcast("grid", "grid"),
        gradcheck=False,
    ),
    C(
        "where",
        lambda lib, c, a, b: lib.where(c, a, b),
        broadcast("bool", "real", "real"),
        gradgrad=True,
    ),
    C("where_scalar", lambda lib, c, a: lib.where(c, a, 0.5), broadcast("bool", "real")),
    C("where_method", lambda lib, c, a, b: a.where(c, b), broadcast("bool", "real", "real")),
    C(
        "where_from_comparison",
        lambda lib, a, b: lib.where(a > b, a * b, a - b),
        broadcast("real", "real"),
    ),
]

COMPARE = (
    [
        C(name, fn, broadcast("grid", "grid"), grad=False)
        for name, fn in [
            ("lt", lambda lib, a, b: a < b),
            ("le", lambda lib, a, b: a <= b),
            ("gt", lambda lib, a, b: a > b),
            ("ge", lambda lib, a, b: a >= b),
            ("eq", lambda lib, a, b: a == b),
            ("ne", lambda lib, a, b: a != b),
            ("eq_function", lambda lib, a, b: lib.eq(a, b)),
            ("gt_scalar", lambda lib, a, b: a > 0.5),
            ("reflected_lt_scalar", lambda lib, a, b: b > 0),
            ("isclose", lambda lib, a, b: lib.isclose(a, b)),
        ]
    ]
    + [
        C(name, fn, broadcast("bool", "bool"), grad=False)
        for name, fn in [
            ("logical_and", lambda lib, a, b: lib.logical_and(a, b)),
            ("logical_or", lambda lib, a, b: a.logical_or(b)),
            ("logical_xor", lambda lib, a, b: lib.logical_xor(a, b)),
            ("logical_not", lambda lib, a, b: lib.logical_not(a)),
            ("invert_bool", lambda lib, a, b: ~a),
            ("and_operator", lambda lib, a, b: a & b),
            ("or_operator", lambda lib, a, b: a | b),
            ("xor_operator", lambda lib, a, b: a ^ b),
        ]
    ]
    + [
        C(
            "isnan_isinf",
            lambda lib, a: _quietly(lambda: (a.log().isnan(), (a / 0).isinf())),
            same("grid"),
            grad=False,
        ),
    ]
)


def _ints(a: Any) -> Any:
    """Integers from -20 to 20, int64 (``.long()`` truncates toward zero in both libraries)."""
    return (a * 10).long()


# Integer inputs: forward only (no gradients), but dtypes and rounding rules must agree.
INTEGER = [
    C(name, fn, broadcast("real", "real"), grad=False)
    for name, fn in [
        ("int_add_mul", lambda lib, a, b: _ints(a) + _ints(b) * 3),
        ("int_sub_int32", lambda lib, a, b: _ints(a).int() - _ints(b)),
        ("int_true_div", lambda lib, a, b: _ints(a) / 4),
        ("int_floordiv", lambda lib, a, b: (_ints(a) // 3, _ints(a) // -3)),
        ("int_remainder", lambda lib, a, b: (_ints(a) % 3, _ints(a) % -3, 7 % (_ints(b) * 2 + 1))),
        ("int_pow", lambda lib, a, b: (_ints(a) ** 2, 2 ** (_ints(b).abs() // 4))),
        ("int_times_float", lambda lib, a, b: (_ints(a) * 0.5, 1.5 + _ints(b))),
        ("int_abs_neg_sign", lambda lib, a, b: (_ints(a).abs(), -_ints(a), _ints(a).sign())),
        ("int_clamp", lambda lib, a, b: (_ints(a).clamp(-3, 3), _ints(a).clamp(min=0.5))),
        ("int_maximum", lambda lib, a, b: lib.maximum(_ints(a), _ints(b).int())),
        ("int_float_math", lambda lib, a, b: (_ints(a).exp(), _ints(b).abs().sqrt())),
        ("int_where", lambda lib, a, b: lib.where(a > b, _ints(a), 0.5)),
        ("int_compare", lambda lib, a, b: (_ints(a) < _ints(b), _ints(a) == 0)),
        ("bool_arithmetic", lambda lib, a, b: ((a > 0) + (b > 0), (a > 0) * 2.5, (a > 0) + 1)),
    ]
]

CASES = ARITHMETIC + SCALAR_ARITHMETIC + UNARY + CLAMP + SELECT + COMPARE + INTEGER
