"""Writing at indices against torch 2.13: index_add, index_copy, index_fill, index_put, scatter
with a value or a reduction, and the in-place forms (scatter_, index_add_ ...): values, the
gradients of every differentiable input in float32 and float64, finite differences, the
in-place forms recorded on a graph, and torch's errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nerve  # noqa: E402
from parity import DTYPE_IDS, DTYPES, check_function, gradcheck, gradgradcheck  # noqa: E402

RNG = np.random.default_rng(0)
X = RNG.standard_normal((4, 3))
ROWS = np.array([0, 2, 0])  # a repeated index accumulates
SOURCE = RNG.standard_normal((3, 3))
COLS = np.array([2, 0])
COL_SOURCE = RNG.standard_normal((4, 2))
SCATTER_INDEX = np.array([[0, 2], [1, 0], [2, 2]])
SCATTER_SRC = RNG.standard_normal((3, 2))


def _both(name):
    """The function ``name`` of each library, as a function of the tensors only."""
    return (lambda *args, **kw: getattr(nerve, name)(*args, **kw)), (
        lambda *args, **kw: getattr(torch, name)(*args, **kw)
    )


# (name, call taking (lib, *tensors), arrays, which arrays get a gradient)
CASES = [
    ("index_add rows", lambda lib, x, i, s: lib.index_add(x, 0, i, s), [X, ROWS, SOURCE], (0, 2)),
    (
        "index_add alpha",
        lambda lib, x, i, s: x.index_add(1, i, s, alpha=-2.5),
        [X, COLS, COL_SOURCE],
        (0, 2),
    ),
    (
        "index_copy",
        lambda lib, x, i, s: lib.index_copy(x, 1, i, s),
        [X, COLS, COL_SOURCE],
        (0, 2),
    ),
    ("index_fill number", lambda lib, x, i: lib.index_fill(x, 1, i, -1.5), [X, COLS], (0,)),
    (
        "index_fill tensor value",
        lambda lib, x, i, v: x.index_fill(0, i, v),
        [X, np.array([1, 3]), np.array(2.0)],
        (0, 2),
    ),
    (
        "index_put",
        lambda lib, x, i, j, v: lib.index_put(x, (i, j), v),
        [X, np.array([0, 3]), np.array([1, 2]), np.array([5.0, 6.0])],
        (0, 3),
    ),
    (
        "index_put accumulate broadcast",
        lambda lib, x, i, v: lib.index_put(x, (i,), v, accumulate=True),
        [X, np.array([1, 1, 3]), np.array([1.0, 2.0, 3.0])],
        (0, 2),
    ),
    (
        "scatter value",
        lambda lib, x, i: lib.scatter(x, 1, i, value=4.0),
        [X[:3], SCATTER_INDEX],
        (0,),
    ),
    (
        "scatter src",
        lambda lib, x, i, s: x.scatter(1, i, s),
        [
            X[:3],
            SCATTER_INDEX[:, :1],
            SCATTER_SRC[:, :1],
        ],  # (torch's backward refuses a larger src)
        (0, 2),
    ),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name,call,arrays,grads", CASES, ids=[c[0] for c in CASES])
def test_writes_at_indices_match_torch(name, call, arrays, grads, dtype):
    check_function(lambda *t: call(nerve, *t), lambda *t: call(torch, *t), arrays, dtype, grads)


@pytest.mark.parametrize("name,call,arrays,grads", CASES, ids=[c[0] for c in CASES])
def test_gradients_by_finite_differences(name, call, arrays, grads):
    tensors = [
        nerve.tensor(a, requires_grad=i in grads) if a.dtype.kind == "f" else nerve.tensor(a)
        for i, a in enumerate(arrays)
    ]
    assert gradcheck(lambda *t: call(nerve, *t), tensors)


def test_second_order_through_index_add():
    x = nerve.tensor(X, requires_grad=True)
    source = nerve.tensor(SOURCE, requires_grad=True)
    rows = nerve.tensor(ROWS)
    assert gradgradcheck(lambda a, s: nerve.index_add(a * a, 0, rows, s * s), [x, source])


def test_scatter_reductions_as_torch():
    index = torch.tensor(SCATTER_INDEX)
    for reduce in ("add", "multiply"):
        for src in (2.5, SCATTER_SRC):
            ours_src = nerve.tensor(src) if isinstance(src, np.ndarray) else src
            theirs_src = torch.tensor(src) if isinstance(src, np.ndarray) else src
            with warnings.catch_warnings():  # (torch's deprecation of reduce, warned once)
                warnings.simplefilter("ignore")
                theirs = torch.tensor(X[:3]).scatter(1, index, theirs_src, reduce=reduce)
            ours = nerve.tensor(X[:3]).scatter(
                1, nerve.tensor(SCATTER_INDEX), ours_src, reduce=reduce
            )
            np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
    with pytest.raises(RuntimeError, match="reduce argument must be either add or multiply"):
        nerve.ones(2, 3).scatter(1, nerve.tensor([[0]]), 1.0, reduce="max")
    w = nerve.ones(3, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match="derivative of scatter with reduce='multiply'"):
        w.scatter(1, nerve.tensor(SCATTER_INDEX), 2.0, reduce="multiply")
    with nerve.no_grad():
        assert w.scatter(1, nerve.tensor(SCATTER_INDEX), 2.0, reduce="multiply").shape == (3, 3)


def test_one_hot_by_scatter_in_place_as_in_the_datasets_tutorial():
    ours = nerve.zeros(10, dtype=nerve.float).scatter_(0, nerve.tensor(3), value=1)
    theirs = torch.zeros(10, dtype=torch.float).scatter_(0, torch.tensor(3), value=1)
    assert ours.tolist() == theirs.tolist()
    batch = nerve.zeros(2, 4).scatter_(1, nerve.tensor([[1], [3]]), 1.0)
    assert batch.tolist() == [[0, 1, 0, 0], [0, 0, 0, 1]]


IN_PLACE = [
    ("scatter_", lambda t, i, s: t.scatter_(1, i, s), [SCATTER_INDEX[:, :1], SCATTER_SRC[:, :1]]),
    ("scatter_add_", lambda t, i, s: t.scatter_add_(1, i, s), [SCATTER_INDEX, SCATTER_SRC]),
    ("index_add_", lambda t, i, s: t.index_add_(0, i, s, alpha=3), [ROWS, SOURCE]),
    ("index_copy_", lambda t, i, s: t.index_copy_(0, i, s), [np.array([2, 0, 1]), SOURCE]),
    ("index_fill_", lambda t, i: t.index_fill_(1, i, 9.0), [COLS]),
    ("index_put_", lambda t, i, s: t.index_put_((i,), s, accumulate=True), [ROWS, SOURCE]),
]


@pytest.mark.parametrize("name,call,arrays", IN_PLACE, ids=[c[0] for c in IN_PLACE])
def test_in_place_forms_write_into_the_tensor_and_record_the_op(name, call, arrays):
    values = {}
    for lib in (nerve, torch):
        base = lib.tensor(X[:3].copy())
        others = [lib.tensor(a) for a in arrays]
        same = call(base, *others)
        assert same is base
        # on a graph: the op recorded on a non-leaf, gradients to the leaf and the source
        leaf = lib.tensor(X[:3].copy(), requires_grad=True)
        sources = [lib.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
        out = leaf * 2
        call(out, *sources)
        (out * lib.tensor(np.arange(9.0).reshape(3, 3))).sum().backward()
        grads = [leaf.grad] + [s.grad for s in sources if s.requires_grad]
        values[lib] = [base.numpy().copy()] + [g.numpy().copy() for g in grads]
    for ours, theirs in zip(values[nerve], values[torch]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


def test_in_place_on_a_leaf_that_requires_grad_raises():
    w = nerve.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w.index_fill_(0, nerve.tensor([0]), 1.0)


ERRORS = [
    (lambda lib: lib.zeros(3, 2).index_add(0, lib.tensor([0, 5]), lib.ones(2, 2)), "out of bounds"),
    (
        lambda lib: lib.zeros(3, 2).index_add(0, lib.tensor([0, 1]), lib.ones(3, 2)),
        "Number of indices",
    ),
    (lambda lib: lib.zeros(3, 2).index_fill(0, lib.tensor([0.5]), 1), "Expected dtype int64"),
    (
        lambda lib: lib.zeros(3, 2).index_copy(0, lib.tensor([0, 1]), lib.ones(2, 3)),
        "same slice shapes",
    ),
    (
        lambda lib: lib.zeros(3).index_fill(0, lib.tensor([1]), lib.tensor([1.0, 2.0])),
        "0-dimensional value tensor",
    ),
    (
        lambda lib: lib.zeros(3, dtype=lib.int64).scatter_(0, lib.tensor([0]), lib.tensor([1.5])),
        "Expected self.dtype to be equal to src.dtype",
    ),
    (lambda lib: lib.ones(2, 3).scatter(1, lib.tensor([[0, 5]]), 2.0), "out of bounds"),
    (
        lambda lib: lib.ones(2, 3).scatter(1, lib.tensor([0, 1]), 2.0),
        "same number of dimensions",
    ),
    (
        lambda lib: lib.ones(2, 3).scatter(1, lib.tensor([[0, 1, 2, 0]]), lib.ones(1, 2)),
        "to be no larger than self",
    ),
]


@pytest.mark.parametrize("call,message", ERRORS, ids=[m for _, m in ERRORS])
def test_errors_as_torch(call, message):
    with pytest.raises(Exception, match=message) as theirs:
        call(torch)
    with pytest.raises(type(theirs.value), match=message):
        call(nerve)


def test_integer_tensors_and_zero_d_inputs():
    ours = nerve.tensor([1, 2, 3]).index_add(0, nerve.tensor([0]), nerve.tensor([5]))
    assert ours.tolist() == [6, 2, 3] and ours.dtype is nerve.int64
    assert nerve.tensor(1.0).index_fill(0, nerve.tensor([0]), 4).item() == 4.0
    assert nerve.tensor(1.0).scatter(0, nerve.tensor(0), value=2.0).item() == 2.0
