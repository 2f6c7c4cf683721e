"""The op table for reductions (sum ... norm, cumsum, all/any), softmax and log_softmax, and
matrix products (matmul in all its ranks, mm, bmm, dot, outer)."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from parity import Arrays, OpCase
from parity.draw import drawn, fill, same, unary

C = OpCase
INF = float("inf")


def _rows(**shape_args: int) -> Any:
    return unary("real", **shape_args)


def _two_zeros(rng: np.random.Generator, shape: tuple[int, ...]) -> Arrays:
    """A product with two zeros in one row: every gradient of that row is 0."""
    x = fill(rng, shape, "real")
    x[..., 0] = 0.0
    if shape[-1] > 1:
        x[..., -1] = 0.0
    return (x,)


REDUCTIONS = [
    C("sum", lambda lib, a: a.sum(), _rows(), tol="sum", gradgrad=True),
    C("sum_function", lambda lib, a: lib.sum(a), _rows(), tol="sum"),
    C("sum_dim", lambda lib, a: a.sum(dim=-1), _rows(min_dims=1), tol="sum", gradgrad=True),
    C(
        "sum_dims_keepdim",
        lambda lib, a: a.sum((0, -1), keepdim=True),
        _rows(min_dims=2),
        tol="sum",
    ),
    C("sum_int", lambda lib, a: (a * 10).long().sum(dim=0), _rows(min_dims=1), grad=False),
    C("sum_bool", lambda lib, a: (a > 0).sum(), _rows(), grad=False),
    C(
        "int_reductions",
        lambda lib, a: (
            (a * 10).long().prod(-1),
            (a * 10).long().cumsum(0),
            (a * 10).long().max(),
            (a * 10).int().amin(-1),
            (a * 10).long().max(dim=0),
        ),
        _rows(min_dims=1),
        grad=False,
    ),
    C("mean", lambda lib, a: a.mean(), _rows(), tol="sum", gradgrad=True),
    C("mean_dim_keepdim", lambda lib, a: a.mean(-1, keepdim=True), _rows(min_dims=1), tol="sum"),
    C("mean_dims", lambda lib, a: lib.mean(a, (0, 1)), _rows(min_dims=2), tol="sum", gradgrad=True),
    C("prod", lambda lib, a: a.prod(), unary("real", max_side=3), tol="sum"),
    C("prod_dim", lambda lib, a: a.prod(dim=-1), _rows(min_dims=1), tol="sum"),
    C("prod_keepdim", lambda lib, a: a.prod(0, keepdim=True), _rows(min_dims=1), tol="sum"),
    C(
        "prod_with_zeros",
        lambda lib, a: a.prod(dim=-1),
        unary("with_zeros", min_dims=1),
        tol="sum",
        gradgrad=True,
    ),
    C("prod_all_with_zeros", lambda lib, a: a.prod(), unary("with_zeros"), tol="sum"),
    C(
        "prod_two_zeros",
        lambda lib, a: a.prod(-1),
        drawn(hnp.array_shapes(min_dims=1, max_side=4), _two_zeros),
        gradgrad=True,
    ),
    C("max", lambda lib, a: a.max(), _rows()),
    C("min", lambda lib, a: lib.min(a), _rows()),
    C("max_dim", lambda lib, a: a.max(dim=-1), _rows(min_dims=1), gradgrad=True),
    C("min_dim_keepdim", lambda lib, a: a.min(0, keepdim=True), _rows(min_dims=1)),
    C("max_function_dim", lambda lib, a: lib.max(a, 0), _rows(min_dims=1)),
    C("max_ties", lambda lib, a: a.max(), unary("grid"), gradcheck=False),
    C("max_dim_ties", lambda lib, a: a.max(-1), unary("grid", min_dims=1), gradcheck=False),
    C("amax", lambda lib, a: a.amax(dim=-1), _rows(min_dims=1), gradgrad=True),
    C("amin_dims", lambda lib, a: lib.amin(a, dim=(0, -1)), _rows(min_dims=2)),
    C("amax_all", lambda lib, a: a.amax(), _rows()),
    C(
        "amax_ties",
        lambda lib, a: a.amax(dim=0, keepdim=True),
        unary("grid", min_dims=1),
        gradcheck=False,
    ),
    C("amin_ties", lambda lib, a: a.amin(), unary("grid"), gradcheck=False),
    C("argmax", lambda lib, a: a.argmax(), _rows(), grad=False),
    C("argmax_dim", lambda lib, a: lib.argmax(a, dim=-1), _rows(min_dims=1), grad=False),
    C(
        "argmin_dim_keepdim",
        lambda lib, a: a.argmin(0, keepdim=True),
        _rows(min_dims=1),
        grad=False,
    ),
    C("argmin", lambda lib, a: lib.argmin(a), _rows(), grad=False),
    C("argmax_ties", lambda lib, a: a.argmax(dim=0), unary("grid", min_dims=1), grad=False),
    C("var", lambda lib, a: a.var(), _rows(min_dims=1, min_side=3), tol="sum"),
    C(
        "var_dim",
        lambda lib, a: a.var(dim=-1),
        _rows(min_dims=1, min_side=3),
        tol="sum",
        gradgrad=True,
    ),
    C("var_biased", lambda lib, a: a.var(unbiased=False), _rows(min_dims=1, min_side=3), tol="sum"),
    C(
        "var_correction0",
        lambda lib, a: lib.var(a, 0, correction=0),
        _rows(min_dims=1, min_side=3),
        tol="sum",
    ),
    C(
        "var_correction2",
        lambda lib, a: a.var(-1, correction=2, keepdim=True),
        _rows(min_dims=1, min_side=3),
        tol="sum",
    ),
    C("std", lambda lib, a: a.std(), _rows(min_dims=1, min_side=3), tol="sum"),
    C(
        "std_dim_biased",
        lambda lib, a: lib.std(a, -1, unbiased=False),
        _rows(min_dims=1, min_side=3),
        tol="sum",
        gradgrad=True,
    ),
    C(
        "std_correction2",
        lambda lib, a: a.std(0, correction=2),
        _rows(min_dims=1, min_side=3),
        tol="sum",
    ),
    C("logsumexp", lambda lib, a: a.logsumexp(-1), _rows(min_dims=1), tol="sum", gradgrad=True),
    C(
        "logsumexp_dims",
        lambda lib, a: lib.logsumexp(a, (0, 1), keepdim=True),
        _rows(min_dims=2),
        tol="sum",
    ),
    C("logsumexp_large", lambda lib, a: a.logsumexp(dim=0), unary("large", min_dims=1), tol="sum"),
    C("norm", lambda lib, a: a.norm(), _rows(), tol="sum"),
    C("norm_p1", lambda lib, a: a.norm(p=1), unary("nonzero"), tol="sum"),
    C("norm_p2_dim", lambda lib, a: a.norm(2, dim=-1), _rows(min_dims=1), tol="sum", gradgrad=True),
    C("norm_inf", lambda lib, a: a.norm(p=INF), _rows(), tol="sum"),
    C("norm_inf_dim", lambda lib, a: a.norm(p=INF, dim=-1), _rows(min_dims=1), tol="sum"),
    C(
        "norm_p3_keepdim",
        lambda lib, a: lib.norm(a, p=3, dim=0, keepdim=True),
        _rows(min_dims=1),
        tol="sum",
        gradgrad=True,
    ),
    C(
        "norm_p1_dims",
        lambda lib, a: a.norm(p=1, dim=(0, 1)),
        unary("nonzero", min_dims=2),
        tol="sum",
    ),
    C("cumsum", lambda lib, a: a.cumsum(dim=0), _rows(min_dims=1), tol="sum", gradgrad=True),
    C("cumsum_last", lambda lib, a: lib.cumsum(a, -1), _rows(min_dims=1), tol="sum"),
    C("all", lambda lib, a: a.all(), unary("bool"), grad=False),
    C("any_dim", lambda lib, a: a.any(dim=-1), unary("bool", min_dims=1), grad=False),
    C("all_float", lambda lib, a: lib.all(a, dim=0), unary("grid", min_dims=1), grad=False),
    C("any_float", lambda lib, a: lib.any(a), unary("grid"), grad=False),
]

SOFTMAX = [
    C("softmax", lambda lib, a: a.softmax(dim=-1), _rows(min_dims=1), tol="sum", gradgrad=True),
    C("softmax_dim0", lambda lib, a: lib.softmax(a, dim=0), _rows(min_dims=1), tol="sum"),
    C("softmax_large", lambda lib, a: lib.softmax(a, -1), unary("large", min_dims=1), tol="sum"),
    C(
        "log_softmax",
        lambda lib, a: a.log_softmax(dim=-1),
        _rows(min_dims=1),
        tol="sum",
        gradgrad=True,
    ),
    C("log_softmax_dim0", lambda lib, a: lib.log_softmax(a, 0), _rows(min_dims=1), tol="sum"),
    C("log_softmax_large", lambda lib, a: a.log_softmax(-1), unary("large", min_dims=1), tol="sum"),
]


def matmul_shapes(kind: str) -> st.SearchStrategy[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Operand shapes for the ranks matmul supports, batch dimensions broadcasting."""
    side = st.integers(1, 4)
    batches = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=2, max_side=3)

    def build(n: int, m: int, p: int, bs: Any) -> tuple[tuple[int, ...], tuple[int, ...]]:
        a_batch, b_batch = bs.input_shapes
        return {
            "1d1d": ((m,), (m,)),
            "2d2d": ((n, m), (m, p)),
            "1d2d": ((m,), (m, p)),
            "2d1d": ((n, m), (m,)),
            "batched": (a_batch + (n, m), b_batch + (m, p)),
            "batched_2d": (a_batch + (n, m), (m, p)),
            "1d_batched": ((m,), b_batch + (m, p)),
            "batched_1d": (a_batch + (n, m), (m,)),
            "bmm": ((n + 1, n, m), (n + 1, m, p)),
        }[kind]

    return st.builds(build, side, side, side, batches)


def matmul_pair(kind: str) -> st.SearchStrategy[Arrays]:
    return drawn(matmul_shapes(kind), lambda rng, ss: tuple(fill(rng, s, "real") for s in ss))


MATMUL = [
    C(f"matmul_{kind}", lambda lib, a, b: lib.matmul(a, b), matmul_pair(kind), tol="sum")
    for kind in (
        "1d1d",
        "2d2d",
        "1d2d",
        "2d1d",
        "batched",
        "batched_2d",
        "1d_batched",
        "batched_1d",
    )
] + [
    C("matmul_operator", lambda lib, a, b: a @ b, matmul_pair("batched"), tol="sum", gradgrad=True),
    C(
        "matmul_method_2d",
        lambda lib, a, b: a.matmul(b),
        matmul_pair("2d2d"),
        tol="sum",
        gradgrad=True,
    ),
    C("matmul_of_transposed", lambda lib, a, b: b.mT @ a.mT, matmul_pair("2d2d"), tol="sum"),
    C("mm", lambda lib, a, b: lib.mm(a, b), matmul_pair("2d2d"), tol="sum"),
    C("mm_method", lambda lib, a, b: a.mm(b), matmul_pair("2d2d"), tol="sum"),
    C("bmm", lambda lib, a, b: lib.bmm(a, b), matmul_pair("bmm"), tol="sum", gradgrad=True),
    C("dot", lambda lib, a, b: lib.dot(a, b), matmul_pair("1d1d"), tol="sum", gradgrad=True),
    C("dot_method", lambda lib, a, b: a.dot(b), matmul_pair("1d1d"), tol="sum"),
    C(
        "outer",
        lambda lib, a, b: lib.outer(a, b),
        same("real", "real", min_dims=1, max_dims=1),
        gradgrad=True,
    ),
    C("outer_method", lambda lib, a, b: a.outer(b * 2), matmul_pair("1d1d")),
]

CASES = REDUCTIONS + SOFTMAX + MATMUL
