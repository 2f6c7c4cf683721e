"""The op table for elementwise ops: arithmetic with tensors and Python scalars on either side,
unary math, clamping, selection (maximum, minimum, where) and comparisons."""

from __future__ import annotations

from oracle import (
    OpCase,
    broadcast,
    divisors_of,
    modulo_by,
    modulo_pair,
    same,
    unary,
)

C = OpCase

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
    C("remainder", lambda lib, a, b: a % b, modulo_pair()),
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
    C("rmod_float", lambda lib, b: 3.0 % b, divisors_of(3.0)),
    C("rmod_int", lambda lib, b: 3 % b, divisors_of(3)),
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
    C("abs", lambda lib, a: a.abs(), unary("nonzero")),
    C("abs_builtin", lambda lib, a: abs(a), unary("nonzero")),
    C("exp", lambda lib, a: a.exp(), unary(), gradgrad=True),
    C("log", lambda lib, a: a.log(), unary("positive"), gradgrad=True),
    C("log1p", lambda lib, a: a.log1p(), unary("unit")),
    C("expm1", lambda lib, a: a.expm1(), unary()),
    C("sqrt", lambda lib, a: a.sqrt(), unary("positive"), gradgrad=True),
    C("rsqrt", lambda lib, a: a.rsqrt(), unary("positive")),
    C("sin", lambda lib, a: a.sin(), unary()),
    C("cos", lambda lib, a: a.cos(), unary()),
    C("tanh", lambda lib, a: a.tanh(), unary(), gradgrad=True),
    C("sigmoid", lambda lib, a: a.sigmoid(), unary(), gradgrad=True),
    C("sigmoid_large", lambda lib, a: lib.sigmoid(a), unary("large")),
    C("relu", lambda lib, a: a.relu(), unary("nonzero"), gradgrad=True),
    C("relu_function", lambda lib, a: lib.relu(a), unary("nonzero")),
    C("exp_function", lambda lib, a: lib.exp(a), unary()),
    C("log_function", lambda lib, a: lib.log(a), unary("positive")),
    C("sqrt_function", lambda lib, a: lib.sqrt(a), unary("positive")),
    C("tanh_function", lambda lib, a: lib.tanh(a), unary()),
    # piecewise constant: zero gradient
    C("sign", lambda lib, a: a.sign(), unary("nonzero")),
    C("floor", lambda lib, a: a.floor(), unary()),
    C("ceil", lambda lib, a: a.ceil(), unary()),
    C("round", lambda lib, a: (a * 3).round(), unary()),
    # at the kinks, torch's subgradient conventions: relu'(0) = 0, abs'(0) = 0
    C("relu_at_zero", lambda lib, a: a.relu(), unary("grid"), gradcheck=False),
    C("abs_at_zero", lambda lib, a: a.abs(), unary("grid"), gradcheck=False),
]

CLAMP = [
    C("clamp", lambda lib, a: a.clamp(-0.5, 0.5), unary()),
    C("clamp_min", lambda lib, a: a.clamp(min=0.1), unary()),
    C("clamp_max", lambda lib, a: lib.clamp(a, max=-0.1), unary()),
    C("clip_int_bounds", lambda lib, a: lib.clip(a, -1, 1), unary()),
    C("clamp_tensors", lambda lib, a, lo, hi: a.clamp(lo, hi), broadcast("real", "negative", "positive")),
    C("clamp_tensor_min", lambda lib, a, lo: a.clamp(min=lo), broadcast("real", "real")),
    C("clamp_tensor_max", lambda lib, a, hi: lib.clamp(a, max=hi), broadcast("real", "real")),
    C("clamp_at_bounds", lambda lib, a: a.clamp(-0.5, 0.5), unary("grid"), gradcheck=False),
    C(
        "clamp_tensors_at_bounds",
        lambda lib, a, lo, hi: a.clamp(lo - 0.5, hi + 0.5),
        broadcast("grid", "grid", "grid"),
        gradcheck=False,
    ),
]

SELECT = [
    C("maximum", lambda lib, a, b: lib.maximum(a, b), broadcast("real", "real")),
    C("minimum", lambda lib, a, b: a.minimum(b), broadcast("real", "real")),
    C("maximum_ties", lambda lib, a, b: a.maximum(b), broadcast("grid", "grid"), gradcheck=False),
    C("minimum_ties", lambda lib, a, b: lib.minimum(a, b), broadcast("grid", "grid"), gradcheck=False),
    C("where", lambda lib, c, a, b: lib.where(c, a, b), broadcast("bool", "real", "real")),
    C("where_scalar", lambda lib, c, a: lib.where(c, a, 0.5), broadcast("bool", "real")),
    C("where_method", lambda lib, c, a, b: a.where(c, b), broadcast("bool", "real", "real")),
    C("where_from_comparison", lambda lib, a, b: lib.where(a > b, a * b, a - b), broadcast("real", "real")),
]

COMPARE = [
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
        ("reflected_lt_scalar", lambda lib, a, b: 0 < b),
        ("isclose", lambda lib, a, b: lib.isclose(a, b)),
    ]
] + [
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
] + [
    C("isnan_isinf", lambda lib, a: (a.log().isnan(), (a / 0).isinf()), same("grid"), grad=False),
]

CASES = ARITHMETIC + SCALAR_ARITHMETIC + UNARY + CLAMP + SELECT + COMPARE
