"""Creating tensors (dtype inference, factories, memory sharing), converting them, random
fills and seeding, and printing them as torch does."""

from __future__ import annotations

import numpy as np
import pytest

import nerve

torch = pytest.importorskip("torch")


def same_tensor(ours: nerve.Tensor, theirs, *, exact: bool = True) -> None:
    """Same shape, dtype and values as a torch tensor."""
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
    if exact:
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    else:
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-7)


TENSOR_DATA = [
    [1, 2, 3],
    [1.0, 2],
    [True, False],
    3,
    2.5,
    True,
    [[1, 2], [3, 4]],
    [[0.5], [1.5]],
    [],
    np.array([1.0, 2.0]),
    np.array([1, 2], dtype=np.int32),
    np.float64(1.5),
    [np.float64(1.5), np.float64(2.0)],
]


@pytest.mark.parametrize("data", TENSOR_DATA, ids=[repr(d) for d in TENSOR_DATA])
def test_tensor_infers_dtype_as_torch(data):
    same_tensor(nerve.tensor(data), torch.tensor(data))


def test_tensor_with_explicit_dtype_and_requires_grad():
    same_tensor(
        nerve.tensor([0.1, 2], dtype=nerve.float64), torch.tensor([0.1, 2], dtype=torch.float64)
    )
    same_tensor(
        nerve.tensor([1.7, -2.2], dtype=nerve.int64), torch.tensor([1.7, -2.2], dtype=torch.int64)
    )
    t = nerve.tensor([1.0], requires_grad=True)
    assert t.requires_grad and t.is_leaf


def test_default_dtype_changes_python_float_inference():
    nerve.set_default_dtype(nerve.float64)
    try:
        assert nerve.tensor([1.0]).dtype is nerve.float64
        assert nerve.zeros(2).dtype is nerve.float64
        assert nerve.tensor([1]).dtype is nerve.int64
    finally:
        nerve.set_default_dtype(nerve.float32)
    assert nerve.tensor([1.0]).dtype is nerve.float32


FACTORIES = [
    "lib.zeros(2, 3)",
    "lib.zeros((2, 3))",
    "lib.ones(3, dtype=lib.int64)",
    "lib.ones([2, 1], dtype=lib.float64)",
    "lib.full((2,), 3)",
    "lib.full((2, 2), 1.5)",
    "lib.full((2,), True)",
    "lib.full((1,), 2, dtype=lib.float64)",
    "lib.arange(5)",
    "lib.arange(1, 4)",
    "lib.arange(0, 1, 0.25)",
    "lib.arange(0.0, 3)",
    "lib.arange(5, dtype=lib.float64)",
    "lib.arange(10, 0, -3)",
    "lib.linspace(0, 1, 5)",
    "lib.linspace(-1, 1, 1)",
    "lib.linspace(0, 10, 4, dtype=lib.float64)",
    "lib.eye(3)",
    "lib.eye(2, 3)",
    "lib.zeros_like(lib.arange(3))",
    "lib.ones_like(lib.arange(3), dtype=lib.float64)",
    "lib.full_like(lib.zeros(2, 2), 7)",
    "lib.zeros(2, 3).new_zeros(4)",
    "lib.arange(3).new_ones((2,))",
    "lib.zeros(1).new_tensor([1, 2])",
    "lib.empty(2, 3).shape",
    "lib.empty_like(lib.arange(4)).shape",
]


@pytest.mark.parametrize("expression", FACTORIES)
def test_factories_match_torch(expression):
    ours, theirs = eval(expression, {"lib": nerve}), eval(expression, {"lib": torch})
    if isinstance(theirs, torch.Size):
        assert tuple(ours) == tuple(theirs)
    else:
        same_tensor(ours, theirs, exact=False)


def test_random_factories():
    nerve.manual_seed(0)
    u, n = nerve.rand(1000), nerve.randn(2, 500, dtype=nerve.float64)
    assert u.dtype is nerve.float32 and n.dtype is nerve.float64 and n.shape == (2, 500)
    assert u.min().item() >= 0 and u.max().item() < 1
    assert abs(n.mean().item()) < 0.15 and abs(n.std().item() - 1) < 0.1
    ints = nerve.randint(2, 5, (100,))
    assert ints.dtype is nerve.int64 and set(ints.tolist()) == {2, 3, 4}
    assert sorted(nerve.randperm(6).tolist()) == list(range(6))


def test_from_numpy_shares_memory():
    array = np.zeros(3)
    t = nerve.from_numpy(array)
    assert t.dtype is nerve.float64
    array[0] = 5
    t[1] = 7
    assert t.tolist() == [5.0, 7.0, 0.0] and array.tolist() == [5.0, 7.0, 0.0]


def test_as_tensor_shares_when_it_can():
    array = np.ones(2, dtype=np.float32)
    shared = nerve.as_tensor(array)
    array[0] = 3
    assert shared.tolist() == [3.0, 1.0]
    converted = nerve.as_tensor(array, dtype=nerve.float64)
    array[1] = 4
    assert converted.tolist() == [3.0, 1.0]
    t = nerve.ones(2)
    assert nerve.as_tensor(t) is t
    assert nerve.as_tensor([1, 2]).dtype is nerve.int64


def test_tensor_copies_its_data():
    array = np.zeros(2)
    t = nerve.tensor(array)
    array[0] = 1
    assert t.tolist() == [0.0, 0.0]


# -- conversions -----------------------------------------------------------------------------


CONVERSIONS = [
    "x.float()",
    "x.double()",
    "x.long()",
    "x.int()",
    "x.bool()",
    "x.to(lib.float64)",
    "x.to(dtype=lib.int32)",
    "x.to('cpu')",
    "x.to(lib.arange(2))",
    "x.type(lib.float64)",
    "x.clone()",
    "x.detach()",
    "x.T.contiguous()",
    "x.abs().long().float()",
]


@pytest.mark.parametrize("expression", CONVERSIONS)
def test_conversions_match_torch(expression):
    values = [[1.7, -2.2, 0.0], [3.5, -0.5, 2.0]]
    results = [eval(expression, {"lib": lib, "x": lib.tensor(values)}) for lib in (nerve, torch)]
    same_tensor(*results)


def test_conversions_keep_the_graph_for_floats():
    x = nerve.tensor([1.0, 2.0], requires_grad=True)
    (x.double() * x.clone()).sum().backward()
    assert x.grad.dtype is nerve.float32 and x.grad.tolist() == [2.0, 4.0]
    assert not x.long().requires_grad and not x.detach().requires_grad


def test_to_returns_self_when_nothing_changes():
    x = nerve.ones(2)
    assert x.to(nerve.float32) is x and x.float() is x and x.to("cpu") is x
    assert x.to(nerve.float32, copy=True) is not x


def test_clone_copies_and_detach_shares():
    x = nerve.ones(2)
    clone, detached = x.clone(), x.detach()
    x.add_(1)
    assert clone.tolist() == [1.0, 1.0] and detached.tolist() == [2.0, 2.0]


def test_contiguous():
    x = nerve.ones(2, 3)
    assert x.contiguous() is x
    transposed = x.T
    assert not transposed.is_contiguous() and transposed.contiguous().is_contiguous()
    # an activation keeps its input's layout, as torch's do (ReLU's fast path included)
    x = nerve.tensor(np.arange(-6.0, 6.0, dtype=np.float32).reshape(3, 4))
    assert nerve.relu(x).is_contiguous() and not nerve.relu(x.T).is_contiguous()
    assert nerve.relu(x.T).tolist() == np.maximum(x.numpy().T, 0).tolist()


def test_python_values():
    x = nerve.tensor([[1.5, 2.0], [3.0, 4.0]])
    assert x.tolist() == [[1.5, 2.0], [3.0, 4.0]]
    assert x[0, 0].item() == 1.5 and isinstance(x[0, 0].item(), float)
    assert isinstance(nerve.tensor(3).item(), int) and nerve.tensor(True).item() is True
    assert float(x[1, 1]) == 4.0 and int(nerve.tensor([7])) == 7
    assert [0, 1, 2][nerve.tensor(1)] == 1  # __index__


def test_numpy_and_array_protocol():
    x = nerve.tensor([1.0, 2.0])
    assert np.shares_memory(x.numpy(), x.numpy())
    x.numpy()[0] = 9
    assert x.tolist() == [9.0, 2.0]
    np.testing.assert_array_equal(np.asarray(x), [9.0, 2.0])
    assert np.asarray(x, dtype=np.int64).dtype == np.int64
    np.testing.assert_array_equal(np.array(x) * np.ones(2), [9.0, 2.0])


def test_shape_queries():
    x = nerve.zeros(2, 3, 4)
    assert x.shape == (2, 3, 4) and x.size() == (2, 3, 4) and x.size(1) == 3 and x.size(-1) == 4
    assert repr(x.shape) == "nerve.Size([2, 3, 4])" and x.shape.numel() == 24
    assert x.dim() == x.ndim == 3 and x.numel() == 24 and len(x) == 2
    rows = list(nerve.arange(6).reshape(3, 2))
    assert len(rows) == 3 and rows[2].tolist() == [4, 5]
    assert nerve.tensor(5.0).shape == () and nerve.tensor(5.0).dim() == 0


# -- random fills and seeds ------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [nerve.float32, nerve.float64])
def test_uniform_and_normal_fill_in_place(dtype):
    x = nerve.empty(4000, dtype=dtype)
    assert x.uniform_(-2, 3) is x and x.dtype is dtype and x.shape == (4000,)
    assert x.min().item() >= -2 and x.max().item() < 3
    assert abs(x.mean().item() - 0.5) < 0.15
    x.normal_(mean=1.0, std=0.5)
    assert abs(x.mean().item() - 1.0) < 0.05 and abs(x.std().item() - 0.5) < 0.05


def test_seeding_reproduces_random_numbers():
    nerve.manual_seed(123)
    first = (nerve.randn(3).tolist(), nerve.empty(3).uniform_().tolist())
    nerve.manual_seed(123)
    second = (nerve.randn(3).tolist(), nerve.empty(3).uniform_().tolist())
    assert first == second
    assert nerve.randn(3).tolist() != first[0]


def test_generators_are_independent_streams():
    a = nerve.empty(3).normal_(generator=nerve.Generator().manual_seed(7))
    b = nerve.randn(3, generator=nerve.Generator().manual_seed(7))
    assert a.tolist() == b.tolist()


def test_random_init_of_a_parameter_under_no_grad():
    w = nerve.empty(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        w.uniform_()
    with nerve.no_grad():
        w.uniform_(-1, 1)
    assert w.requires_grad and w.is_leaf and bool((w.detach().abs() <= 1).all())


# -- printing --------------------------------------------------------------------------------

REPRS = [
    "lib.tensor([1.0, 2.5])",
    "lib.tensor([1, 2, 3])",
    "lib.tensor([1.0, 2.0], requires_grad=True)",
    "lib.tensor([1.0, 2.0], requires_grad=True) * 2",
    "lib.tensor([1.5, 2.0], dtype=lib.float64)",
    "lib.tensor([[1.0, 2.5], [-3.0, 4.0]])",
    "lib.tensor(1.5)",
    "lib.tensor([True, False])",
    "lib.tensor([1e-5, 1.0, -3.0])",
    "lib.tensor([1.0, 2000.0])",
    "lib.tensor([float('nan'), 1.0, float('inf')])",
    "lib.arange(20) * 1.25",
    "lib.arange(2000.0)",
    "lib.arange(3000).reshape(50, 60)",
    "lib.zeros(0)",
    "lib.zeros(2, 0, dtype=lib.int64)",
    "lib.tensor([1, 2], dtype=lib.int32)",
    "lib.ones(2, 3, requires_grad=True).sum()",
    "lib.linspace(-1, 1, 30, dtype=lib.float64, requires_grad=True)",
]


@pytest.mark.parametrize("expression", REPRS)
def test_repr_matches_torch(expression):
    ours = repr(eval(expression, {"lib": nerve})).replace("nerve.", "")
    theirs = repr(eval(expression, {"lib": torch})).replace("torch.", "")
    assert ours == theirs
