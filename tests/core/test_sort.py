"""sort, argsort, msort, topk, kthvalue, median, mode, unique, searchsorted and bucketize
against torch 2.13: values, indices (int64), named-tuple fields, gradients of the values
(torch and finite differences), torch's tie rules and errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

import nerve  # noqa: E402
from nerve.ops import sort as S  # noqa: E402
from parity import DTYPE_IDS, DTYPES, assert_close, check_op, gradcheck, gradgradcheck  # noqa: E402

SHAPES = st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple)


@st.composite
def distinct(draw: st.DrawFn) -> tuple[np.ndarray, int]:
    """An array without ties (so that torch's indices are determined) and a dimension."""
    shape = draw(SHAPES)
    seed = draw(st.integers(0, 2**16))
    values = np.random.default_rng(seed).permutation(int(np.prod(shape))).astype(float)
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    return values.reshape(shape) / 7.0 - 1.0, dim


def _ties(seed: int, shape: tuple[int, ...]) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 3, shape).astype(float)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@settings(max_examples=20, deadline=None)
@given(case=distinct(), descending=st.booleans(), k=st.integers(1, 4), keep=st.booleans())
def test_order_functions_match_torch(dtype, case, descending, k, keep):
    x, dim = case
    k = min(k, x.shape[dim])
    funcs = {
        "sort": lambda lib, a: lib.sort(a, dim, descending),
        "argsort": lambda lib, a: (a * 1).argsort(dim, descending),
        "topk": lambda lib, a: lib.topk(a, k, dim, largest=descending),
        "kthvalue": lambda lib, a: lib.kthvalue(a, k, dim, keep),
        "median_dim": lambda lib, a: lib.median(a, dim, keep),
        "median": lambda lib, a: lib.median(a),
        "mode": lambda lib, a: lib.mode(a, dim, keep),
        "msort": lambda lib, a: lib.msort(a),
    }
    ours = {"argsort": lambda a: S.argsort(a * 1, dim, descending)}
    for name, fn in funcs.items():
        nerve_fn = ours.get(name) or (lambda a, fn=fn, name=name: fn(S, a))
        grad = name != "argsort"
        check_op(nerve_fn, lambda a, fn=fn: fn(torch, a), (x,), dtype=dtype, grad=grad)


def test_named_tuples_and_dtypes():
    x = nerve.tensor([[3.0, 1.0, 2.0]])
    result = S.sort(x)
    values, indices = result
    assert type(result).__name__ == "sort" and result.values is values
    assert indices.dtype == nerve.int64
    assert type(S.topk(x, 2)).__name__ == "topk"
    assert S.kthvalue(x, 1).indices.tolist() == [1]
    assert type(S.median(x, 1)).__name__ == "median" and type(S.mode(x)).__name__ == "mode"


@pytest.mark.parametrize("seed", range(6))
def test_ties_follow_torch(seed):
    """Stable sort either way, mode's last index, the lower median; topk/kthvalue/median
    indices point at an element holding the value (torch's choice among ties is its
    selection algorithm's)."""
    x = _ties(seed, (3, 7))
    n, t = nerve.tensor(x), torch.tensor(x)
    for descending in (False, True):
        for stable in (False, True):
            assert_close(
                S.sort(n, dim=1, descending=descending, stable=stable).indices,
                t.sort(dim=1, descending=descending, stable=stable).indices,
            )
    assert_close(S.mode(n, 1).indices, torch.mode(t, 1).indices)
    assert_close(S.mode(n, 0).values, torch.mode(t, 0).values)
    assert_close(S.median(n), torch.median(t))
    for name, ours, theirs in [
        ("topk", S.topk(n, 3, 1), torch.topk(t, 3, 1)),
        ("kthvalue", S.kthvalue(n, 4, 1), torch.kthvalue(t, 4, 1)),
        ("median", S.median(n, 1), torch.median(t, 1)),
    ]:
        assert_close(ours.values, theirs.values, what=name)
        picked = np.take_along_axis(x, ours.indices.numpy().reshape(3, -1), 1)
        assert np.array_equal(picked.reshape(ours.values.shape), ours.values.numpy()), name


def test_nan_ordering_and_median():
    x = np.array([[np.nan, 1.0, np.nan, 0.0], [2.0, 1.0, 0.0, 3.0]])
    n, t = nerve.tensor(x), torch.tensor(x)
    for descending in (False, True):
        ours, theirs = S.sort(n, 1, descending), torch.sort(t, 1, descending)
        assert_close(ours.values, theirs.values)
        assert_close(ours.indices, theirs.indices)
    assert_close(S.median(n, 1).values, torch.median(t, 1).values)
    assert_close(S.median(n, 1).indices, torch.median(t, 1).indices)
    assert np.isnan(S.median(n).item())
    assert np.isnan(S.median(nerve.tensor([])).item())


def test_gradients_by_finite_differences():
    x = nerve.tensor(
        np.random.default_rng(0).permutation(12).reshape(3, 4) / 5.0, requires_grad=True
    )
    x = x.double().detach().requires_grad_()
    assert gradcheck(lambda a: S.sort(a, 1, True).values, [x])
    assert gradgradcheck(lambda a: S.topk(a, 2, 0).values * a.sum(), [x])
    assert gradcheck(lambda a: S.median(a, 1).values, [x])


@pytest.mark.parametrize("dim", [None, 0, 1])
@pytest.mark.parametrize("seed", range(3))
def test_unique_matches_torch(dim, seed):
    x = np.random.default_rng(seed).integers(0, 3, (4, 3))
    for flags in [(False, False), (True, False), (False, True), (True, True)]:
        ours = S.unique(nerve.tensor(x), True, *flags, dim=dim)
        theirs = torch.unique(torch.tensor(x), True, *flags, dim=dim)
        ours = ours if isinstance(ours, tuple) else (ours,)
        theirs = theirs if isinstance(theirs, tuple) else (theirs,)
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert_close(a, b, same_dtype=True)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**16), right=st.booleans(), rows=st.integers(0, 2))
def test_searchsorted_and_bucketize(seed, right, rows):
    rng = np.random.default_rng(seed)
    shape = (rows, 5) if rows else (5,)
    boundaries = np.sort(rng.integers(0, 6, shape).astype(float), axis=-1)
    values = rng.integers(-1, 7, (rows, 3) if rows else (4,)).astype(float)
    n_b, t_b, n_v, t_v = (
        nerve.tensor(boundaries),
        torch.tensor(boundaries),
        nerve.tensor(values),
        torch.tensor(values),
    )
    assert_close(
        S.searchsorted(n_b, n_v, right=right),
        torch.searchsorted(t_b, t_v, right=right),
        same_dtype=True,
    )
    side = "right" if right else "left"
    assert_close(
        S.searchsorted(n_b, n_v, side=side, out_int32=True),
        torch.searchsorted(t_b, t_v, side=side, out_int32=True),
        same_dtype=True,
    )
    if not rows:
        assert_close(
            S.bucketize(n_v, n_b, right=right),
            torch.bucketize(t_v, t_b, right=right),
            same_dtype=True,
        )
        assert_close(S.searchsorted(n_b, 2.5), torch.searchsorted(t_b, 2.5))
        order = rng.permutation(5)
        shuffled = boundaries[order]
        sorter = np.argsort(shuffled, kind="stable")
        assert_close(
            S.searchsorted(nerve.tensor(shuffled), n_v, sorter=nerve.tensor(sorter)),
            torch.searchsorted(torch.tensor(shuffled), t_v, sorter=torch.tensor(sorter)),
        )


ERRORS = [
    (lambda lib, x: lib.topk(x, 4), RuntimeError, "selected index k out of range"),
    (lambda lib, x: lib.kthvalue(x, 0), RuntimeError, "kthvalue(): selected number k out of range"),
    (lambda lib, x: lib.sort(x, 2), IndexError, "out of range"),
    (lambda lib, x: lib.median(x[:0], 0), IndexError, "median(): Expected reduction dim 0"),
    (lambda lib, x: lib.mode(x[:0], 0), IndexError, "mode(): Expected reduction dim 0"),
    (
        lambda lib, x: lib.searchsorted(x, x, right=True, side="left"),
        RuntimeError,
        "side and right",
    ),
    (
        lambda lib, x: lib.searchsorted(x.reshape(1, 3), x[:2]),
        RuntimeError,
        "boundaries tensor should be 1 dimension",
    ),
    (
        lambda lib, x: lib.bucketize(x, x.reshape(1, 3)),
        RuntimeError,
        "boundaries tensor must be 1 dimension",
    ),
]


@pytest.mark.parametrize("case", range(len(ERRORS)))
def test_errors_match_torch(case):
    fn, kind, text = ERRORS[case]
    with pytest.raises(kind) as theirs:
        fn(torch, torch.tensor([3.0, 1.0, 2.0]))
    assert text in str(theirs.value)
    with pytest.raises(kind, match=text.replace("(", r"\(").replace(")", r"\)")):
        fn(S, nerve.tensor([3.0, 1.0, 2.0]))
