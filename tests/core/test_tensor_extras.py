"""torch's smaller conveniences, against torch 2.13: finfo/iinfo and the constants, sampling
from per-element parameters (bernoulli, normal, poisson) and the in-place random fills, the
in-place view changes (unsqueeze_, t_ ...) and value ops (tril_, cumsum_ ...), fill_diagonal_,
sum_to_size, split_with_sizes, apply_/map_, H/mH, what a tensor says about its memory, and the
global switches (deterministic algorithms, matmul precision, inference mode)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nerve  # noqa: E402
from parity import DTYPE_IDS, DTYPES, check_function, gradcheck  # noqa: E402


@pytest.mark.parametrize("name", ["float16", "float32", "float64"])
def test_finfo_as_torch(name):
    ours, theirs = nerve.finfo(getattr(nerve, name)), torch.finfo(getattr(torch, name))
    for field in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(ours, field) == getattr(theirs, field), field
    assert repr(ours) == repr(theirs)


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64"])
def test_iinfo_as_torch(name):
    ours, theirs = nerve.iinfo(getattr(nerve, name)), torch.iinfo(getattr(torch, name))
    assert (ours.bits, ours.max, ours.min, ours.dtype) == (
        theirs.bits,
        theirs.max,
        theirs.min,
        theirs.dtype,
    )
    assert repr(ours) == repr(theirs)


def test_finfo_defaults_errors_and_constants():
    assert nerve.finfo() == nerve.finfo(nerve.float32)
    with pytest.raises(TypeError, match="requires a floating point input type"):
        nerve.finfo(nerve.int32)
    with pytest.raises(TypeError, match="requires an integer input type"):
        nerve.iinfo(nerve.float32)
    assert (nerve.pi, nerve.e, nerve.inf, nerve.newaxis) == (torch.pi, torch.e, torch.inf, None)
    assert np.isnan(nerve.nan)
    scores = nerve.tensor([1.0, 2.0]).masked_fill(nerve.tensor([True, False]), nerve.finfo().min)
    assert scores.tolist() == [float(np.finfo(np.float32).min), 2.0]


# -- sampling ------------------------------------------------------------------------------


def test_samples_follow_their_parameters():
    nerve.manual_seed(0)
    p = nerve.tensor([0.0, 0.25, 1.0]).expand(20000, 3)
    assert np.allclose(nerve.bernoulli(p).mean(0).numpy(), [0, 0.25, 1], atol=0.02)
    assert nerve.bernoulli(nerve.zeros(4, dtype=nerve.float64), 1.0).tolist() == [1.0] * 4
    mean, std = nerve.tensor([-3.0, 5.0]), nerve.tensor([0.5, 2.0])
    draws = nerve.stack([nerve.normal(mean, std) for _ in range(5000)])
    assert np.allclose(draws.mean(0).numpy(), [-3, 5], atol=0.1)
    assert np.allclose(draws.std(0).numpy(), [0.5, 2.0], atol=0.1)
    assert nerve.normal(2.0, 3.0, size=(2, 3)).shape == (2, 3)
    assert nerve.normal(nerve.zeros(2), 1.0).shape == nerve.normal(0.0, nerve.ones(2)).shape
    counts = nerve.poisson(nerve.full((20000,), 3.0))
    assert counts.dtype is nerve.float32 and abs(counts.mean().item() - 3.0) < 0.05


def test_a_sample_is_on_the_graph_with_a_zero_gradient_as_in_torch():
    for lib in (nerve, torch):
        p = lib.full((3,), 0.5, requires_grad=True)
        mean = lib.zeros(3, requires_grad=True)
        rates = lib.full((3,), 2.0, requires_grad=True)
        total = lib.bernoulli(p).sum() + lib.normal(mean, 1.0).sum() + lib.poisson(rates).sum()
        assert total.requires_grad
        total.backward()
        assert p.grad.tolist() == mean.grad.tolist() == rates.grad.tolist() == [0.0] * 3


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_samples_of_certain_outcomes_match_torch_with_their_gradients(dtype):
    # probabilities 0 and 1, and a zero spread, make the draws certain: values and (zero)
    # gradients can then be compared with torch's
    certain = np.array([[0.0, 1.0], [1.0, 1.0]])
    check_function(
        lambda p: nerve.bernoulli(p) * p, lambda p: torch.bernoulli(p) * p, [certain], dtype
    )
    check_function(
        lambda m, s: nerve.normal(m, s) * m,
        lambda m, s: torch.normal(m, s) * m,
        [certain - 0.5, np.zeros((2, 2))],
        dtype,
        (0, 1),
    )


FILLS = [
    ("random_", (0, 3), lambda v: set(np.unique(v)) <= {0, 1, 2}),
    ("random_", (5,), lambda v: v.min() >= 0 and v.max() < 5),
    ("exponential_", (2.0,), lambda v: v.min() >= 0 and abs(v.mean() - 0.5) < 0.05),
    ("geometric_", (0.5,), lambda v: v.min() >= 1 and abs(v.mean() - 2.0) < 0.1),
    ("log_normal_", (0.0, 0.5), lambda v: v.min() > 0 and abs(np.log(v).std() - 0.5) < 0.05),
    ("cauchy_", (3.0, 1.0), lambda v: abs(np.median(v) - 3.0) < 0.1),
    ("bernoulli_", (0.3,), lambda v: set(np.unique(v)) <= {0, 1} and abs(v.mean() - 0.3) < 0.03),
]


@pytest.mark.parametrize("name,args,holds", FILLS, ids=[f[0] + str(f[1]) for f in FILLS])
def test_random_fills(name, args, holds):
    nerve.manual_seed(1)
    x = nerve.zeros(10000)
    assert getattr(x, name)(*args) is x
    assert holds(x.numpy())


def test_random_fill_ranges_and_errors_as_torch():
    integers = nerve.zeros(1000, dtype=nerve.int64).random_()
    assert integers.min().item() >= 0 and integers.dtype is nerve.int64
    assert nerve.zeros(3, dtype=nerve.int32).bernoulli_(0.5).dtype is nerve.int32
    cases = [
        (lambda lib: lib.zeros(3).random_(5, 2), "expects 'from' to be less than 'to'"),
        (lambda lib: lib.zeros(3).exponential_(-1), "expects lambda > 0.0"),
        (lambda lib: lib.zeros(3).geometric_(0), r"expects p to be in \(0, 1\)"),
        (lambda lib: lib.zeros(3).bernoulli_(1.5), r"expects p to be in \[0, 1\]"),
        (lambda lib: lib.normal(0.0, -1.0, size=(2,)), "normal expects std >= 0.0"),
        (lambda lib: lib.poisson(lib.tensor([-1.0])), "invalid Poisson rate"),
        (lambda lib: lib.ones(3, requires_grad=True).bernoulli_(), "leaf Variable"),
    ]
    for call, message in cases:
        with pytest.raises(RuntimeError, match=message):
            call(torch)
        with pytest.raises(RuntimeError, match=message):
            call(nerve)
    with pytest.raises(RuntimeError, match="must lie in"):
        nerve.bernoulli(nerve.tensor([1.5]))


# -- in-place view changes and value ops -----------------------------------------------------


VIEWS = [
    ("unsqueeze_", (0,), (3, 2)),
    ("unsqueeze_", (-1,), (3, 2)),
    ("squeeze_", (), (1, 3, 1)),
    ("squeeze_", (1,), (3, 1)),
    ("t_", (), (2, 3)),
    ("transpose_", (0, 2), (2, 3, 4)),
    ("swapdims_", (0, 1), (2, 3)),
    ("swapaxes_", (1, 0), (2, 3)),
]


@pytest.mark.parametrize("name,args,shape", VIEWS, ids=[v[0] + str(v[1]) for v in VIEWS])
def test_in_place_view_changes_as_torch(name, args, shape):
    values = np.arange(float(np.prod(shape))).reshape(shape)
    results = {}
    for lib in (nerve, torch):
        x = lib.tensor(values)
        same = getattr(x, name)(*args)
        assert same is x
        # on a graph: the view op becomes the tensor's history
        leaf = lib.tensor(values, requires_grad=True)
        y = leaf * 1
        getattr(y, name)(*args)
        (y * lib.tensor(np.arange(float(y.numel())).reshape(tuple(y.shape)))).sum().backward()
        results[lib] = (tuple(x.shape), x.numpy().copy(), leaf.grad.numpy().copy())
    assert results[nerve][0] == results[torch][0]
    np.testing.assert_array_equal(results[nerve][1], results[torch][1])
    np.testing.assert_array_equal(results[nerve][2], results[torch][2])


def test_an_in_place_view_change_of_a_view_keeps_writing_through():
    for lib in (nerve, torch):
        base = lib.arange(6.0).reshape(2, 3)
        row = base[0]
        row.unsqueeze_(0)
        row[0, 0] = 100
        assert base.tolist() == [[100.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    with pytest.raises(RuntimeError, match="leaf Variable"):
        nerve.ones(3, requires_grad=True).unsqueeze_(0)


VALUES = [
    ("tril_", (), (3, 3)),
    ("triu_", (1,), (3, 4)),
    ("cumsum_", (1,), (2, 3)),
    ("cumprod_", (0,), (3, 2)),
    ("fill_diagonal_", (5.0,), (3, 3)),
    ("fill_diagonal_", (5.0,), (2, 4)),
    ("fill_diagonal_", (7.0, True), (7, 3)),
    ("fill_diagonal_", (2.0,), (2, 2, 2)),
]


@pytest.mark.parametrize("name,args,shape", VALUES, ids=[v[0] + str(v[1]) for v in VALUES])
def test_in_place_value_ops_as_torch(name, args, shape):
    values = np.random.default_rng(0).standard_normal(shape)
    results = {}
    for lib in (nerve, torch):
        x = lib.tensor(values)
        assert getattr(x, name)(*args) is x
        leaf = lib.tensor(values, requires_grad=True)
        y = leaf * 2
        getattr(y, name)(*args)
        (y * y).sum().backward()
        results[lib] = (x.numpy().copy(), leaf.grad.numpy().copy())
    for ours, theirs in zip(results[nerve], results[torch]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_fill_diagonal_errors_as_torch():
    for lib in (nerve, torch):
        with pytest.raises(RuntimeError, match="dimensions must larger than 1"):
            lib.zeros(3).fill_diagonal_(1)
        with pytest.raises(RuntimeError, match="all dimensions of input must be of equal length"):
            lib.zeros(2, 3, 2).fill_diagonal_(1)


def test_sum_to_size_and_split_with_sizes_as_torch():
    values = np.arange(24.0).reshape(2, 3, 4)
    for size in [(1, 3, 1), (3, 4), (4,), (2, 1, 4)]:
        ours = nerve.tensor(values).sum_to_size(*size)
        theirs = torch.tensor(values).sum_to_size(*size)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert nerve.tensor(values).sum_to_size((3, 4)).shape == (3, 4)
    with pytest.raises(RuntimeError, match="is not expandable to size"):
        nerve.tensor(values).sum_to_size(2, 4)
    x = nerve.tensor(values, requires_grad=True)
    assert gradcheck(lambda t: t.sum_to_size(1, 3, 1), [x])
    pieces = nerve.arange(5).split_with_sizes([2, 3])
    assert [p.tolist() for p in pieces] == [[0, 1], [2, 3, 4]]
    with pytest.raises(RuntimeError, match="split_with_sizes expects split_sizes to sum exactly"):
        nerve.arange(5).split_with_sizes([2, 2])


def test_apply_and_map_in_place():
    x = nerve.tensor([1.0, 2.0])
    assert x.apply_(lambda v: v * 10) is x and x.tolist() == [10.0, 20.0]
    y = nerve.tensor([[1.0], [2.0]])
    y.map_(nerve.tensor([3.0]), lambda v, w: v + w)
    assert y.tolist() == [[4.0], [5.0]]
    with pytest.raises(RuntimeError, match="do not require grad"):
        nerve.ones(2, requires_grad=True).apply_(lambda v: v)


def test_conjugate_transposes_of_real_tensors():
    values = np.arange(24.0).reshape(2, 3, 4)
    assert nerve.tensor(values[0]).H.tolist() == torch.tensor(values[0]).H.tolist()
    assert nerve.tensor(values).mH.tolist() == torch.tensor(values).mH.tolist()
    assert nerve.tensor(values).adjoint().shape == (2, 4, 3)
    with pytest.raises(RuntimeError, match="only supported on matrices"):
        _ = nerve.ones(3).H


def test_what_a_tensor_says_about_its_memory():
    for lib in (nerve, torch):
        x = lib.zeros(4, 3, dtype=lib.float64)
        view = x[1:, 1:]
        assert view.storage_offset() == 4
        assert view.data_ptr() - x.data_ptr() == 4 * 8
        assert (x.nbytes, x.itemsize, x.ndimension(), x.get_device()) == (96, 8, 2, -1)
        assert (x.byte().dtype, x.char().dtype, x.short().dtype) == (lib.uint8, lib.int8, lib.int16)
        assert not x.is_inference() and x.share_memory_() is x
    x = nerve.zeros(2)
    assert x.pin_memory() is x and not x.is_pinned() and not x.is_shared()


def test_global_switches():
    assert not nerve.are_deterministic_algorithms_enabled()
    nerve.use_deterministic_algorithms(True, warn_only=True)
    try:
        assert nerve.are_deterministic_algorithms_enabled()
        assert nerve.is_deterministic_algorithms_warn_only_enabled()
    finally:
        nerve.use_deterministic_algorithms(False)
    assert not nerve.is_deterministic_algorithms_warn_only_enabled()
    with pytest.raises(TypeError, match="must be bool"):
        nerve.use_deterministic_algorithms("yes")
    nerve.set_float32_matmul_precision("medium")
    try:
        assert nerve.get_float32_matmul_precision() == "medium"
        with pytest.warns(UserWarning, match="has no effect"):
            nerve.set_float32_matmul_precision("fast")
        assert nerve.get_float32_matmul_precision() == "medium"
    finally:
        nerve.set_float32_matmul_precision("highest")
    assert nerve.typename(nerve.zeros(1)) == torch.typename(torch.zeros(1))
    assert nerve.typename(3) == "int" and not nerve.is_inference(nerve.zeros(1))


def test_inference_mode_is_reported_as_torch():
    for lib in (nerve, torch):
        assert not lib.is_inference_mode_enabled()
        with lib.inference_mode():
            assert lib.is_inference_mode_enabled() and not lib.is_grad_enabled()
            with lib.inference_mode(False):
                assert not lib.is_inference_mode_enabled()
        with lib.no_grad():
            assert not lib.is_inference_mode_enabled()

        @lib.inference_mode()
        def inside(lib=lib):
            return lib.is_inference_mode_enabled()

        assert inside() and not lib.is_inference_mode_enabled()


def test_a_size_sliced_added_or_repeated_is_a_size():
    for lib in (nerve, torch):
        size = lib.zeros(2, 3, 4).shape
        assert isinstance(size[1:], lib.Size) and size[1:] == (3, 4)
        assert isinstance(size + (5,), lib.Size) and isinstance((1,) + size, lib.Size)
        assert isinstance(size * 2, lib.Size) and size[-1] == 4 and type(size[0]) is int
        with pytest.raises(TypeError):
            size + [5]
    assert repr(nerve.zeros(2, 3).shape[1:]) == "nerve.Size([3])"
