"""The everyday top-level functions of ops/math_extra*.py against torch 2.13: values and the
gradients of every differentiable input in float64 and float32, finite differences (first
order for all, second for some), integer- and bool-valued results with their dtypes, torch's
errors, and the Tensor-method forms."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nerve  # noqa: E402
from parity import DTYPE_IDS, DTYPES, check_function, gradcheck, gradgradcheck  # noqa: E402

RNG = np.random.default_rng(0)


def normal(*shape):
    return RNG.standard_normal(shape)


def positive(*shape):
    return RNG.random(shape) + 0.5


WITH_NAN = normal(3, 4)
WITH_NAN[0, 1] = WITH_NAN[2, 3] = np.nan
WITH_INF = normal(2, 4)
WITH_INF[0, 0], WITH_INF[1, 1], WITH_INF[1, 2] = np.nan, np.inf, -np.inf
# away from fmod's jumps (a / b near an integer)
DIVIDENDS = np.array([[5.3, -4.7, 2.2], [-0.4, 7.9, -3.3]])
DIVISORS = np.array([1.5, -2.1, 0.9])
TAKE_INDEX = np.array([[0, 3], [2, 2], [1, 0]])


def weighted(parts):
    """One tensor from several results, each weighted differently (a tuple's gradients)."""
    return [p * (i + 1) for i, p in enumerate(parts)]


# (id, f(lib, *tensors), arrays, inputs with a gradient, finite-difference check)
CASES = [
    ("addmm-vector", lambda L, i, a, b: L.addmm(i, a, b), [normal(4), normal(2, 3), normal(3, 4)]),
    (
        "addmm-scaled",
        lambda L, i, a, b: L.addmm(i, a, b, beta=0.5, alpha=2.0),
        [normal(2, 4), normal(2, 3), normal(3, 4)],
    ),
    (
        "addmv",
        lambda L, i, a, v: L.addmv(i, a, v, beta=2.0, alpha=-1.0),
        [normal(2), normal(2, 3), normal(3)],
    ),
    ("mv", lambda L, a, v: L.mv(a, v), [normal(2, 3), normal(3)]),
    (
        "baddbmm",
        lambda L, i, a, b: L.baddbmm(i, a, b, alpha=0.5),
        [normal(1, 2, 4), normal(3, 2, 5), normal(3, 5, 4)],
    ),
    (
        "addbmm",
        lambda L, i, a, b: L.addbmm(i, a, b, beta=2.0),
        [normal(2, 4), normal(3, 2, 5), normal(3, 5, 4)],
    ),
    ("kron", lambda L, a, b: L.kron(a, b), [normal(2, 3), normal(3, 1, 2)]),
    (
        "tensordot-lists",
        lambda L, a, b: L.tensordot(a, b, dims=([1, 2], [1, 0])),
        [normal(2, 3, 4), normal(4, 3, 5)],
    ),
    ("tensordot-int", lambda L, a, b: L.tensordot(a, b, dims=1), [normal(2, 3), normal(3, 4)]),
    ("cross", lambda L, a, b: L.cross(a, b, dim=1), [normal(4, 3), normal(4, 3)]),
    ("linalg.cross", lambda L, a, b: L.linalg.cross(a, b), [normal(2, 3), normal(1, 3)]),
    ("dist", lambda L, a, b: L.dist(a, b), [normal(3, 4), normal(4)]),
    ("dist-p3", lambda L, a, b: L.dist(a, b, p=3), [normal(3, 4), normal(3, 4)]),
    ("lerp", lambda L, a, b, w: L.lerp(a, b, w), [normal(3, 4), normal(3, 4), RNG.random(4)]),
    ("lerp-number", lambda L, a, b: L.lerp(a, b, 0.3), [normal(3, 4), normal(4)]),
    (
        "addcmul",
        lambda L, i, a, b: L.addcmul(i, a, b, value=0.5),
        [normal(3, 4), normal(4), normal(3, 1)],
    ),
    (
        "addcdiv",
        lambda L, i, a, b: L.addcdiv(i, a, b, value=-2),
        [normal(3, 4), normal(3, 4), positive(3, 4)],
    ),
    ("nan_to_num", lambda L, x: L.nan_to_num(x), [WITH_INF], "no-fd"),
    (
        "nan_to_num-values",
        lambda L, x: L.nan_to_num(x, nan=1.0, posinf=2.0, neginf=-3.0),
        [WITH_INF],
        "no-fd",
    ),
    ("atan2", lambda L, a, b: L.atan2(a, b), [normal(3, 4), normal(4)]),
    ("arctan2", lambda L, a, b: L.arctan2(a, b), [normal(2, 3), normal(2, 3)]),
    ("fmod", lambda L, a, b: L.fmod(a, b), [DIVIDENDS, DIVISORS]),
    ("fmod-number", lambda L, a: L.fmod(a, 1.7), [DIVIDENDS]),
    ("diff", lambda L, x: L.diff(x, n=2, dim=1), [normal(3, 5)]),
    (
        "diff-pre-append",
        lambda L, x, p, a: L.diff(x, dim=0, prepend=p, append=a),
        [normal(3, 2), normal(2, 2), normal(1, 2)],
    ),
    ("tile", lambda L, x: L.tile(x, (2, 1, 2)), [normal(2, 3)]),
    ("tile-short", lambda L, x: L.tile(x, (3,)), [normal(2, 3)]),
    ("std_mean", lambda L, x: weighted(L.std_mean(x, dim=1))[0] + 5, [normal(3, 4)]),
    (
        "std_mean-both",
        lambda L, x: sum(weighted(L.std_mean(x, dim=0, keepdim=True, correction=0))),
        [normal(3, 4)],
    ),
    ("var_mean", lambda L, x: sum(weighted(L.var_mean(x, 1))), [normal(3, 4)]),
    ("var_mean-all", lambda L, x: sum(weighted(L.var_mean(x))), [normal(3, 4)]),
    ("nansum", lambda L, x: L.nansum(x, dim=1), [WITH_NAN], "no-fd"),
    ("nansum-all", lambda L, x: L.nansum(x), [WITH_NAN], "no-fd"),
    ("nanmean", lambda L, x: L.nanmean(x, dim=0, keepdim=True), [WITH_NAN], "no-fd"),
    ("nansum-plain", lambda L, x: L.nansum(x, dim=0), [normal(3, 4)]),
    ("aminmax", lambda L, x: sum(weighted(L.aminmax(x, dim=1))), [normal(3, 4)]),
    ("aminmax-all", lambda L, x: sum(weighted(L.aminmax(x))), [normal(3, 4)]),
    ("moveaxis", lambda L, x: L.moveaxis(x, 0, 2), [normal(2, 3, 4)]),
    ("take_along_dim", lambda L, x, i: L.take_along_dim(x, i, dim=1), [normal(3, 4), TAKE_INDEX]),
    (
        "take_along_dim-broadcast",
        lambda L, x, i: L.take_along_dim(x, i, dim=1),
        [normal(1, 4), TAKE_INDEX],
    ),
    ("take_along_dim-flat", lambda L, x, i: L.take_along_dim(x, i), [normal(3, 4), TAKE_INDEX]),
    ("rot90", lambda L, x: L.rot90(x), [normal(2, 3)]),
    ("rot90-k3", lambda L, x: L.rot90(x, 3, [2, 0]), [normal(2, 3, 4)]),
    ("rot90-k-2", lambda L, x: L.rot90(x, -2, [0, 1]), [normal(2, 3)]),
    ("block_diag", lambda L, a, b, c: L.block_diag(a, b, c), [normal(2, 3), normal(3), normal()]),
    ("cartesian_prod", lambda L, a, b: L.cartesian_prod(a, b), [normal(2), normal(3)]),
    ("combinations", lambda L, x: L.combinations(x, r=3), [normal(4)]),
    (
        "combinations-replacement",
        lambda L, x: L.combinations(x, with_replacement=True),
        [normal(3)],
    ),
    ("ravel", lambda L, x: L.ravel(x.t()), [normal(2, 3)]),
    (
        "tensor_split",
        lambda L, x: L.cat(weighted(L.tensor_split(x, 3, dim=1)), dim=1),
        [normal(2, 7)],
    ),
    (
        "tensor_split-indices",
        lambda L, x: L.cat(weighted(L.tensor_split(x, [1, 3])), dim=0),
        [normal(5, 2)],
    ),
    ("dstack", lambda L, a, b, c: L.dstack([a, b, c]), [normal(3), normal(3), normal(3)]),
    ("dstack-2d", lambda L, a, b: L.dstack([a, b]), [normal(2, 3), normal(2, 3)]),
    ("cummax", lambda L, x: L.cummax(x, dim=1).values, [normal(3, 5)]),
    ("cummin", lambda L, x: L.cummin(x, 0).values, [normal(4, 3)]),
    ("logcumsumexp", lambda L, x: L.logcumsumexp(x, dim=1), [normal(3, 5) * 3]),
    ("logcumsumexp-dim0", lambda L, x: L.logcumsumexp(x, 0), [normal(4, 2)]),
    ("quantile", lambda L, x: L.quantile(x, 0.3, dim=1), [normal(3, 5)]),
    ("quantile-all", lambda L, x: L.quantile(x, 0.75), [normal(3, 5)]),
    (
        "quantile-keepdim",
        lambda L, x: L.quantile(x, 0.4, dim=0, keepdim=True, interpolation="midpoint"),
        [normal(4, 3)],
    ),
    (
        "quantile-keepdim-all",
        lambda L, x: L.quantile(x, 0.4, keepdim=True, interpolation="lower"),
        [normal(4, 3)],
    ),
    (
        "quantile-q-tensor",
        lambda L, x, q: L.quantile(x, q, dim=-1, interpolation="higher"),
        [normal(3, 5), np.array([0.1, 0.5, 0.95])],
    ),
    (
        "quantile-nearest",
        lambda L, x: L.quantile(x, 0.625, dim=1, interpolation="nearest"),
        [normal(2, 5)],
    ),
    ("quantile-nan", lambda L, x: L.quantile(x, 0.5, dim=1), [WITH_NAN], "no-fd"),
    ("nanquantile", lambda L, x: L.nanquantile(x, 0.5, dim=1), [WITH_NAN], "no-fd"),
    ("nanquantile-plain", lambda L, x: L.nanquantile(x, 0.2), [normal(3, 4)]),
]
CASES = [case if len(case) == 4 else (*case, "fd") for case in CASES]
IDS = [case[0] for case in CASES]


def gradient_inputs(name, arrays):
    if name.startswith("quantile-q"):
        return (0,)
    return tuple(i for i, a in enumerate(arrays) if np.asarray(a).dtype.kind == "f")


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name,f,arrays,fd", CASES, ids=IDS)
def test_matches_torch(name, f, arrays, fd, dtype):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch.cross without dim (not used here)
        check_function(
            lambda *t: f(nerve, *t),
            lambda *t: f(torch, *t),
            arrays,
            dtype,
            gradient_inputs(name, arrays),
        )


FD_CASES = [case for case in CASES if case[3] == "fd"]


@pytest.mark.parametrize("name,f,arrays,fd", FD_CASES, ids=[c[0] for c in FD_CASES])
def test_finite_differences(name, f, arrays, fd):
    grads = gradient_inputs(name, arrays)
    inputs = [nerve.tensor(np.asarray(a), requires_grad=i in grads) for i, a in enumerate(arrays)]
    assert gradcheck(lambda *t: f(nerve, *t), inputs)


SECOND_ORDER = [
    "addmm-scaled",
    "addcdiv",
    "lerp",
    "atan2",
    "fmod",
    "kron",
    "tensordot-lists",
    "cross",
    "logcumsumexp",
    "cummax",
    "quantile",
    "std_mean-both",
    "aminmax",
]


@pytest.mark.parametrize("name", SECOND_ORDER)
def test_second_order_finite_differences(name):
    _, f, arrays, _ = CASES[IDS.index(name)]
    grads = gradient_inputs(name, arrays)
    inputs = [nerve.tensor(np.asarray(a), requires_grad=i in grads) for i, a in enumerate(arrays)]
    # squared, so that the second derivative is not zero for the linear ones
    assert gradgradcheck(lambda *t: f(nerve, *t) ** 2, inputs)


def test_nan_to_num_gradient_passes_only_where_finite():
    x = nerve.tensor(WITH_INF, requires_grad=True)
    nerve.nan_to_num(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.isfinite(WITH_INF).astype(float))


def test_beta_zero_ignores_the_input():
    """As torch: with beta=0 a NaN or inf in ``input`` does not reach the result."""
    bad = np.array([np.nan, np.inf])
    a, b = normal(3, 2), normal(2, 2)
    for lib in (nerve, torch):
        out = lib.addmm(lib.tensor(bad), lib.tensor(a), lib.tensor(b), beta=0)
        np.testing.assert_allclose(out.numpy(), a @ b)


def test_logcumsumexp_is_exact_far_from_the_maximum():
    """A running maximum: -1000 stays -1000 (a shift by the slice's maximum would give
    -inf)."""
    x = np.array([-1000.0, 0.0, -5.0])
    ours = nerve.logcumsumexp(nerve.tensor(x), 0).numpy()
    np.testing.assert_allclose(ours, torch.logcumsumexp(torch.tensor(x), 0).numpy())
    assert ours[0] == -1000.0


# -- integer- and bool-valued results: values and dtypes ------------------------------------

INTS = np.array([[3, 1, 4, 1], [5, 9, 2, 6], [5, 3, 5, 8]])
RUNS = np.array([1, 1, 2, 2, 3, 1, 1])
EXACT = [
    ("fmod-int", lambda L, a: L.fmod(a, 3), [np.array([5, -5, 7, -7])]),
    ("fmod-int-tensors", lambda L, a, b: L.fmod(a, b), [INTS, np.array([2, -3, 3, 5])]),
    ("atan2-int", lambda L, a, b: L.atan2(a, b), [INTS, np.array([2, -3, 3, 5])]),
    ("isin", lambda L, a, b: L.isin(a, b), [INTS, np.array([1, 5, 7])]),
    ("isin-invert", lambda L, a, b: L.isin(a, b, invert=True), [INTS, np.array([1, 5])]),
    ("isin-number", lambda L, a: L.isin(a, 5), [INTS]),
    ("isin-number-first", lambda L, a: L.isin(5, a), [INTS]),
    ("tril_indices", lambda L: L.tril_indices(3, 4, 1), []),
    ("tril_indices-neg", lambda L: L.tril_indices(4, 3, -1), []),
    ("triu_indices", lambda L: L.triu_indices(3, 4, -1), []),
    ("triu_indices-int32", lambda L: L.triu_indices(4, 4, dtype=L.int32), []),
    ("aminmax-int", lambda L, x: tuple(L.aminmax(x, dim=0, keepdim=True)), [INTS]),
    ("cummax-int", lambda L, x: tuple(L.cummax(x, dim=1)), [INTS]),
    ("cummin-int", lambda L, x: tuple(L.cummin(x, dim=0)), [INTS]),
    ("cummax-ties-nan", lambda L, x: tuple(L.cummax(x, 0)), [np.array([1, 3, 3, np.nan, 5, 2])]),
    ("cummin-ties-nan", lambda L, x: tuple(L.cummin(x, 0)), [np.array([3, 1, 1, 0, np.nan, 0])]),
    (
        "cummax-nans",
        lambda L, x: tuple(L.cummax(x, 1)),
        [np.array([[np.nan, 2, np.nan, 1], [1, np.nan, np.nan, 3], [0, 0, 1, 1]])],
    ),
    (
        "cummin-nans-dim0",
        lambda L, x: tuple(L.cummin(x, 0)),
        [np.array([[1, np.nan], [np.nan, 0], [0, np.nan]])],
    ),
    (
        "nanmean-all-nan",
        lambda L, x: L.nanmean(x, 1),
        [np.array([[np.nan, np.nan], [1.0, np.nan]])],
    ),
    ("cummax-0d", lambda L, x: tuple(L.cummax(x, 0)), [np.array(2.0)]),
    ("histc", lambda L, x: L.histc(x, bins=4, min=0, max=8), [INTS.astype(np.float32)]),
    ("histc-own-range", lambda L, x: L.histc(x, bins=5), [normal(20)]),
    ("histc-constant", lambda L, x: L.histc(x, bins=3), [np.full(4, 2.0)]),
    ("unique_consecutive", lambda L, x: L.unique_consecutive(x), [RUNS]),
    (
        "unique_consecutive-all",
        lambda L, x: L.unique_consecutive(x, return_inverse=True, return_counts=True),
        [RUNS.reshape(1, 7)],
    ),
    (
        "unique_consecutive-dim",
        lambda L, x: L.unique_consecutive(x, return_inverse=True, return_counts=True, dim=0),
        [np.array([[1, 1], [1, 1], [2, 3], [1, 1]])],
    ),
    (
        "unique_consecutive-dim1",
        lambda L, x: L.unique_consecutive(x, return_counts=True, dim=1),
        [np.array([[1, 1, 2], [1, 1, 3]])],
    ),
    ("combinations-int", lambda L, x: L.combinations(x, 2), [np.array([4, 5, 6])]),
    ("combinations-r0", lambda L, x: L.combinations(x, 0), [np.array([4, 5, 6])]),
    ("combinations-too-long", lambda L, x: L.combinations(x, 4), [np.array([4, 5, 6])]),
    ("diff-bool", lambda L, x: L.diff(x), [np.array([True, False, False, True])]),
    ("diff-int-n3", lambda L, x: L.diff(x, 3), [INTS]),
    ("diff-too-often", lambda L, x: L.diff(x, 5), [INTS]),
    ("nansum-int", lambda L, x: L.nansum(x, 1), [INTS]),
    ("tile-int", lambda L, x: L.tile(x, (2, 2)), [INTS]),
    ("kron-int", lambda L, a, b: L.kron(a, b), [INTS[:2, :2], np.array([1, 10])]),
    ("take_along_dim-argsort", lambda L, x: L.take_along_dim(x, x.argsort(1), 1), [INTS]),
    ("tensor_split-tensor", lambda L, x: L.tensor_split(x, L.tensor(2), dim=1), [INTS]),
    ("tensor_split-indices", lambda L, x: L.tensor_split(x, L.tensor([1, 9])), [INTS]),
    ("tensor_split-negative", lambda L, x: L.tensor_split(x, [-1], dim=1), [INTS]),
    ("block_diag-mixed", lambda L, a, b: L.block_diag(a, b), [INTS[:1], np.array([0.5, 2.0])]),
    ("cartesian_prod-one", lambda L, a: L.cartesian_prod(a), [np.array([1, 2])]),
    ("cartesian_prod-three", lambda L, a: L.cartesian_prod(a, a, a), [np.array([1, 2])]),
    ("nan_to_num-int", lambda L, x: L.nan_to_num(x), [INTS]),
    ("dstack-0d", lambda L, a: L.dstack([a, a]), [np.array(3)]),
    (
        "quantile-q-tensor-keepdim",
        lambda L, x, q: L.quantile(x, q, 1, True),
        [normal(2, 3), np.array([0.0, 1.0])],
    ),
]


def as_tuple(out):
    return out if isinstance(out, tuple) else (out,)


@pytest.mark.parametrize("name,f,arrays", EXACT, ids=[case[0] for case in EXACT])
def test_exact_values_and_dtypes(name, f, arrays):
    ours = as_tuple(f(nerve, *[nerve.tensor(a) for a in arrays]))
    theirs = as_tuple(f(torch, *[torch.tensor(a) for a in arrays]))
    assert len(ours) == len(theirs)
    for mine, reference in zip(ours, theirs):
        assert str(mine.dtype).removeprefix("nerve.") == str(reference.dtype).removeprefix("torch.")
        assert tuple(mine.shape) == tuple(reference.shape)
        np.testing.assert_allclose(mine.numpy(), reference.numpy(), rtol=1e-6)


def test_named_tuples():
    x = nerve.tensor([[1.0, 3.0], [2.0, 0.0]])
    pair = nerve.aminmax(x)
    assert isinstance(pair, nerve.return_types.aminmax)
    assert (pair.min.item(), pair.max.item()) == (0.0, 3.0)
    assert repr(pair) == "nerve.return_types.aminmax(\nmin=tensor(0.),\nmax=tensor(3.))"
    running = x.cummax(0)
    assert isinstance(running, nerve.return_types.cummax)
    assert isinstance(x.cummin(1), nerve.return_types.cummin)
    assert running.indices.tolist() == [[0, 0], [1, 0]]


def test_cross_without_dim_warns_and_takes_the_first_size_3_dimension():
    a, b = normal(3, 3), normal(3, 3)
    with pytest.warns(UserWarning, match="without specifying the dim"):
        ours = nerve.cross(nerve.tensor(a), nerve.tensor(b))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch.cross(torch.tensor(a), torch.tensor(b))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy())


# -- torch's errors -----------------------------------------------------------------------

ERRORS = [
    lambda L: L.addmm(L.zeros(3), L.zeros(3), L.zeros(3, 4)),
    lambda L: L.addmm(L.zeros(4), L.zeros(2, 3), L.zeros(2, 4)),
    lambda L: L.mv(L.zeros(2, 3), L.zeros(2)),
    lambda L: L.mv(L.zeros(2, 3), L.zeros(3, 1)),
    lambda L: L.addmv(L.zeros(3), L.zeros(2, 3), L.zeros(3)),
    lambda L: L.baddbmm(L.zeros(2, 3, 4), L.zeros(2, 3, 5), L.zeros(2, 4, 4)),
    lambda L: L.addbmm(L.zeros(3, 4), L.zeros(2, 3, 5), L.zeros(3, 5, 4)),
    lambda L: L.baddbmm(L.zeros(2, 3, 4), L.zeros(2, 3, 5), L.zeros(3, 5, 4)),
    lambda L: L.take_along_dim(L.zeros(2, 3), L.tensor([[0.0]], dtype=L.float64), dim=1),
    lambda L: L.nanquantile(L.tensor([1, 2]), 0.5),
    lambda L: L.tensordot(L.zeros(2, 3), L.zeros(3, 4), dims=([1], [1])),
    lambda L: L.tensordot(L.zeros(2, 3), L.zeros(3, 4), dims=-1),
    lambda L: L.cross(L.zeros(3, 2), L.zeros(3, 2), dim=1),
    lambda L: L.cross(L.zeros(4, 3), L.zeros(3), dim=1),
    lambda L: L.lerp(L.zeros(2), L.zeros(2, dtype=L.float64), 0.5),
    lambda L: L.addcdiv(L.tensor([1]), L.tensor([1]), L.tensor([1])),
    lambda L: L.fmod(L.tensor([1]), L.tensor([0])),
    lambda L: L.diff(L.tensor(1.0)),
    lambda L: L.diff(L.zeros(2), n=-1),
    lambda L: L.nanmean(L.tensor([1, 2])),
    lambda L: L.tril_indices(-1, 4),
    lambda L: L.triu_indices(3, -2),
    lambda L: L.aminmax(L.zeros(0, 3)),
    lambda L: L.take_along_dim(L.zeros(2, 3), L.tensor([[0.0]]), dim=1),
    lambda L: L.take_along_dim(L.zeros(2, 3), L.tensor([0]), dim=1),
    lambda L: L.rot90(L.zeros(2, 3), 1, [0]),
    lambda L: L.rot90(L.zeros(2, 3), 1, [1, 1]),
    lambda L: L.rot90(L.zeros(3), 1, [0, 1]),
    lambda L: L.block_diag(L.zeros(1, 1, 1)),
    lambda L: L.cartesian_prod(L.zeros(2, 3)),
    lambda L: L.combinations(L.zeros(2, 3)),
    lambda L: L.combinations(L.zeros(3), -1),
    lambda L: L.tensor_split(L.arange(7), 0),
    lambda L: L.tensor_split(L.tensor(1), 2),
    lambda L: L.logcumsumexp(L.tensor([1, 2]), 0),
    lambda L: L.histc(L.tensor([1, 2]), 3),
    lambda L: L.histc(L.tensor([1.0, 2.0]), 3, min=3, max=1),
    lambda L: L.histc(L.tensor([1.0, 2.0]), -1),
    lambda L: L.quantile(L.tensor([1.0, 2.0]), 1.5),
    lambda L: L.quantile(L.tensor([1, 2]), 0.5),
    lambda L: L.quantile(L.tensor([1.0, 2.0]), L.tensor([0.5], dtype=L.float64)),
    lambda L: L.quantile(L.tensor([]), 0.5),
    lambda L: L.quantile(L.tensor([1.0, 2.0]), 0.5, interpolation="foo"),
    lambda L: L.quantile(L.zeros(2, 3), L.tensor([[0.5]])),
    lambda L: L.nanquantile(L.zeros(2, 3), L.tensor([0.5, 2.0])),
]


@pytest.mark.parametrize("index", range(len(ERRORS)))
def test_errors_match_torch(index):
    bad = ERRORS[index]
    with pytest.raises(Exception) as theirs:
        bad(torch)
    with pytest.raises(Exception) as ours:
        bad(nerve)
    assert type(ours.value) is type(theirs.value)
    assert str(ours.value) == str(theirs.value).split("\n")[0] or str(ours.value) in str(
        theirs.value
    ), (str(ours.value), str(theirs.value))


# -- the Tensor-method forms -----------------------------------------------------------------

METHODS = [
    ("addmm", [normal(2, 4), normal(2, 3), normal(3, 4)], {}),
    ("addmv", [normal(2), normal(2, 3), normal(3)], {}),
    ("mv", [normal(2, 3), normal(3)], {}),
    ("baddbmm", [normal(2, 2, 4), normal(2, 2, 3), normal(2, 3, 4)], {}),
    ("addbmm", [normal(2, 4), normal(2, 2, 3), normal(2, 3, 4)], {}),
    ("kron", [normal(2), normal(3)], {}),
    ("cross", [normal(2, 3), normal(2, 3)], {"dim": 1}),
    ("dist", [normal(3), normal(3)], {}),
    ("lerp", [normal(3), normal(3)], {"weight": 0.25}),
    ("addcmul", [normal(3), normal(3), normal(3)], {"value": 2}),
    ("addcdiv", [normal(3), normal(3), positive(3)], {}),
    ("nan_to_num", [WITH_INF], {}),
    ("atan2", [normal(3), normal(3)], {}),
    ("arctan2", [normal(3), normal(3)], {}),
    ("fmod", [DIVIDENDS, DIVISORS], {}),
    ("tile", [normal(2, 3)], {"dims": (2, 2)}),
    ("ravel", [normal(2, 3)], {}),
    ("moveaxis", [normal(2, 3, 4)], {"source": 1, "destination": 0}),
    ("rot90", [normal(2, 3)], {"k": 2}),
    ("diff", [normal(2, 5)], {"n": 2}),
    ("take_along_dim", [normal(3, 4), TAKE_INDEX], {"dim": 1}),
    ("nansum", [WITH_NAN], {"dim": 0}),
    ("nanmean", [WITH_NAN], {"dim": 1}),
    ("logcumsumexp", [normal(2, 3)], {"dim": 1}),
    ("quantile", [normal(2, 5)], {"q": 0.2, "dim": 1}),
    ("nanquantile", [WITH_NAN], {"q": 0.7}),
    ("histc", [normal(10)], {"bins": 4}),
]


@pytest.mark.parametrize("name,arrays,options", METHODS, ids=[m[0] for m in METHODS])
def test_tensor_methods(name, arrays, options):
    ours = getattr(nerve.tensor(arrays[0]), name)(*[nerve.tensor(a) for a in arrays[1:]], **options)
    theirs = getattr(torch.tensor(arrays[0]), name)(
        *[torch.tensor(a) for a in arrays[1:]], **options
    )
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-10)


def test_tuple_returning_methods():
    x = normal(3, 5)
    ours, theirs = nerve.tensor(x), torch.tensor(x)
    for name, options in [("aminmax", {"dim": 1}), ("cummax", {"dim": 1}), ("cummin", {"dim": 0})]:
        for mine, reference in zip(
            getattr(ours, name)(**options), getattr(theirs, name)(**options)
        ):
            np.testing.assert_array_equal(mine.numpy(), reference.numpy())
    parts = ours.tensor_split(2, dim=1)
    assert [tuple(p.shape) for p in parts] == [tuple(p.shape) for p in theirs.tensor_split(2, 1)]
    runs = nerve.tensor(RUNS).unique_consecutive(return_counts=True)
    assert [r.tolist() for r in runs] == [
        r.tolist() for r in torch.tensor(RUNS).unique_consecutive(return_counts=True)
    ]
    assert ours.tile(2).shape == theirs.tile(2).shape
