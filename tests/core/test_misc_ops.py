"""einsum, meshgrid, diag/diagonal/diag_embed/trace, repeat_interleave, bincount, cumprod,
multinomial and cdist against torch 2.13 (values, gradients, errors), and by finite
differences (first and second order) for the differentiable ones."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

import nerve  # noqa: E402
from nerve.ops import misc as M  # noqa: E402
from nerve.ops.einsum import einsum  # noqa: E402
from parity import DTYPE_IDS, DTYPES, assert_close, check_op, gradcheck, gradgradcheck  # noqa: E402

EINSUMS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("ij->", [(2, 3)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("...ij,...jk", [(2, 1, 3, 4), (5, 4, 2)]),
    ("i,j->ij", [(3,), (4,)]),
    ("ij,ij->i", [(2, 3), (1, 3)]),
    ("iij,jk->ik", [(3, 3, 2), (2, 4)]),
    ("ba,ab->", [(3, 2), (2, 3)]),
    ("Aa,ab,bc->Ac", [(2, 3), (3, 4), (4, 5)]),
    ("i...->...", [(3, 2, 2)]),
    ("ij->ji", [(2, 3)]),
    ("bhqd,bhkd->bhqk", [(1, 2, 3, 4), (1, 2, 5, 4)]),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("equation,shapes", EINSUMS, ids=[e for e, _ in EINSUMS])
def test_einsum_matches_torch(equation, shapes, dtype):
    rng = np.random.default_rng(len(equation))
    arrays = tuple(rng.standard_normal(s) for s in shapes)
    check_op(
        lambda *xs: einsum(equation, *xs),
        lambda *xs: torch.einsum(equation, *xs),
        arrays,
        dtype=dtype,
        tol="sum",
    )


@pytest.mark.parametrize("equation,shapes", EINSUMS[:10], ids=[e for e, _ in EINSUMS[:10]])
def test_einsum_finite_differences(equation, shapes):
    rng = np.random.default_rng(1)
    inputs = [nerve.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]
    assert gradcheck(lambda *xs: einsum(equation, *xs), inputs)
    assert gradgradcheck(lambda *xs: einsum(equation, *xs) ** 2, inputs)


def test_einsum_list_and_errors():
    a = nerve.ones(2, 3)
    assert einsum("ij->j", [a]).tolist() == [2.0, 2.0, 2.0]
    cases = [
        (lambda lib: lib.einsum("ij,jk", lib.ones(2, 3)), "fewer operands"),
        (lambda lib: lib.einsum("ij", lib.ones(2, 3), lib.ones(3)), "more operands"),
        (lambda lib: lib.einsum("ij,jk", lib.ones(2, 3), lib.ones(4, 4)), "subscript j has size 4"),
        (lambda lib: lib.einsum("ijk", lib.ones(2, 3)), "does not match the number of dimensions"),
        (
            lambda lib: lib.einsum("ij,jk", lib.ones(2, 3), lib.ones(3, 2).double()),
            "expected scalar type Float but found Double",
        ),
    ]
    for fn, text in cases:
        with pytest.raises(RuntimeError, match=text):
            fn(torch)
        with pytest.raises(RuntimeError, match=text):
            fn(_NerveWithEinsum)


class _NerveWithEinsum:
    """nerve's namespace with this module's einsum (registration lives in nerve/__init__)."""

    ones = staticmethod(nerve.ones)
    einsum = staticmethod(einsum)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("offset", [-1, 0, 2])
def test_diagonals_match_torch(offset, dtype):
    rng = np.random.default_rng(offset + 5)
    square, batch, vector = (
        rng.standard_normal((3, 4)),
        rng.standard_normal((2, 3, 4)),
        rng.standard_normal(3),
    )
    checks = [
        (lambda m, lib: lib.diag(m, offset), square),
        (lambda m, lib: lib.diag(m, offset), vector),
        (lambda m, lib: lib.diagonal(m, offset, 2, 0), batch),
        (lambda m, lib: lib.diag_embed(m, offset, 0, 2), batch),
        (lambda m, lib: lib.diag_embed(m, offset, -1, 1), batch),
        (lambda m, lib: lib.trace(m), square),
    ]
    for fn, array in checks:
        check_op(lambda a, fn=fn: fn(a, M), lambda a, fn=fn: fn(a, torch), (array,), dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_repeat_interleave_meshgrid_cdist_match_torch(dtype):
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((3, 2)), rng.standard_normal((2, 4, 2))
    counts = np.array([2, 0, 3])
    check_op(
        lambda a, r: M.repeat_interleave(a, r, 0),
        lambda a, r: torch.repeat_interleave(a, r, 0),
        (x, counts),
        dtype=dtype,
    )
    check_op(
        lambda a: M.repeat_interleave(a, 2),
        lambda a: torch.repeat_interleave(a, 2),
        (x,),
        dtype=dtype,
    )
    check_op(
        lambda a: M.repeat_interleave(a, 2, dim=1),
        lambda a: torch.repeat_interleave(a, 2, dim=1),
        (x,),
        dtype=dtype,
    )
    assert_close(
        M.repeat_interleave(nerve.tensor(counts)),
        torch.repeat_interleave(torch.tensor(counts)),
        same_dtype=True,
    )
    for indexing in ("ij", "xy"):
        check_op(
            lambda a, b, c, i=indexing: M.meshgrid(a, b, c, indexing=i),
            lambda a, b, c, i=indexing: torch.meshgrid(a, b, c, indexing=i),
            (rng.standard_normal(2), rng.standard_normal(3), rng.standard_normal(4)),
            dtype=dtype,
        )
    for p in (2.0, 1.0, 3.0, float("inf")):
        check_op(
            lambda a, b, p=p: M.cdist(a, b, p),
            lambda a, b, p=p: torch.cdist(a, b, p),
            (x, y),
            dtype=dtype,
            tol="sum",
        )


def test_meshgrid_warns_without_indexing():
    with pytest.warns(UserWarning, match="indexing"):
        grids = M.meshgrid(nerve.ones(2), nerve.ones(3))
    assert [tuple(g.shape) for g in grids] == [(2, 3), (2, 3)]


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**16), zeros=st.integers(0, 2), dim=st.integers(-2, 1))
def test_cumprod_matches_torch(dtype, seed, zeros, dim):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((3, 4))
    x.flat[rng.choice(12, zeros, replace=False)] = 0.0  # the exact path: products of the others
    check_op(
        lambda a: M.cumprod(a, dim), lambda a: torch.cumprod(a, dim), (x,), dtype=dtype, tol="sum"
    )


def test_cumprod_finite_differences_with_zeros():
    x = np.random.default_rng(0).standard_normal((2, 4))
    x[0, 1] = 0.0
    for array in (x, np.abs(x) + 0.5):
        t = nerve.tensor(array, requires_grad=True)
        assert gradcheck(lambda a: M.cumprod(a, 1), [t])
        assert gradgradcheck(lambda a: M.cumprod(a, 1), [t])
    assert M.cumprod(nerve.tensor([1, 2, 3]), 0).dtype == nerve.int64


def test_finite_differences_of_compositions():
    rng = np.random.default_rng(2)
    a = nerve.tensor(rng.standard_normal((3, 3)), requires_grad=True)
    b = nerve.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    assert gradgradcheck(lambda m: M.diag(m, 1) ** 2, [a])
    assert gradgradcheck(lambda v: M.diag_embed(v) ** 2, [b])
    assert gradcheck(lambda x, y: M.cdist(x, y), [a, b])
    assert gradgradcheck(lambda m: M.repeat_interleave(m, 2, 0) ** 2, [a])


def test_bincount_matches_torch():
    values = np.array([1, 1, 3, 0, 5])
    weights = np.array([0.5, 1.0, 2.0, 3.0, 4.0])
    for minlength in (0, 8):
        assert_close(
            M.bincount(nerve.tensor(values), minlength=minlength),
            torch.bincount(torch.tensor(values), minlength=minlength),
            same_dtype=True,
        )
        for dtype in (np.float32, np.float64):
            w = weights.astype(dtype)
            assert_close(
                M.bincount(nerve.tensor(values), nerve.tensor(w), minlength),
                torch.bincount(torch.tensor(values), torch.tensor(w), minlength),
                same_dtype=True,
            )
    for bad in ([-1, 1], [[1, 1]]):
        with pytest.raises(
            RuntimeError, match="bincount only supports 1-d non-negative integral inputs."
        ):
            torch.bincount(torch.tensor(bad))
        with pytest.raises(
            RuntimeError, match="bincount only supports 1-d non-negative integral inputs."
        ):
            M.bincount(nerve.tensor(bad))


def test_multinomial_distribution_and_errors():
    generator = nerve.Generator().manual_seed(0)
    probs = nerve.tensor([[0.2, 0.0, 0.8], [1.0, 1.0, 2.0]])
    draws = M.multinomial(probs, 4000, replacement=True, generator=generator)
    assert draws.dtype == nerve.int64 and tuple(draws.shape) == (2, 4000)
    counts = np.stack([np.bincount(row, minlength=3) for row in draws.numpy()]) / 4000
    np.testing.assert_allclose(counts, [[0.2, 0.0, 0.8], [0.25, 0.25, 0.5]], atol=0.03)
    without = M.multinomial(probs, 2, generator=generator).numpy()
    assert all(len(set(row)) == 2 for row in without) and 1 not in without[0]
    # without replacement, the first draw follows the weights
    first = [
        int(M.multinomial(nerve.tensor([1.0, 3.0]), 1, generator=generator)) for _ in range(2000)
    ]
    assert abs(np.mean(first) - 0.75) < 0.04
    for fn, text in [
        (lambda lib: lib.multinomial(lib.tensor([0.0, 0.0]), 1), "sum of probabilities <= 0"),
        (
            lambda lib: lib.multinomial(lib.tensor([1.0, 1.0]), 3),
            "cannot sample n_sample > prob_dist.size",
        ),
        (lambda lib: lib.multinomial(lib.tensor([1.0, -1.0]), 1), "element < 0"),
    ]:
        with pytest.raises(RuntimeError, match=text):
            fn(torch)
        with pytest.raises(RuntimeError, match=text):
            fn(_NerveMisc)


class _NerveMisc:
    tensor = staticmethod(nerve.tensor)
    multinomial = staticmethod(M.multinomial)


def test_errors_match_torch():
    cases = [
        (lambda lib: lib.diag(lib.ones(2, 2, 2)), "diag(): Supports 1D or 2D tensors. Got 3D"),
        (
            lambda lib: lib.repeat_interleave(lib.ones(3), lib.tensor([1, 2])),
            "repeats must have the same size as input along dim",
        ),
        (
            lambda lib: lib.cdist(lib.ones(2, 3), lib.ones(2, 4)),
            "X1 and X2 must have the same number of columns. X1: 3 X2: 4",
        ),
    ]
    for fn, text in cases:
        with pytest.raises(RuntimeError, match=text.replace("(", r"\(").replace(")", r"\)")):
            fn(torch)
        with pytest.raises(RuntimeError, match=text.replace("(", r"\(").replace(")", r"\)")):
            fn(_NerveAll)


class _NerveAll:
    ones = staticmethod(nerve.ones)
    tensor = staticmethod(nerve.tensor)
    diag = staticmethod(M.diag)
    repeat_interleave = staticmethod(M.repeat_interleave)
    cdist = staticmethod(M.cdist)
