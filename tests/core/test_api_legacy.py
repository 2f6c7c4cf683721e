"""Legacy spellings (FloatTensor, Variable, x.type(...), size_average/reduce, x.data) and
torch's strictness (view(dtype), 2**63, softmax on integers, matmul dtypes, loss targets,
expand + in-place), each against torch 2.13."""

from __future__ import annotations

import numpy as np
import pytest

import nerve
import nerve.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _same(ours: nerve.Tensor, theirs: object) -> None:
    assert str(ours.dtype).split(".")[1] == str(theirs.dtype).split(".")[1]
    np.testing.assert_array_equal(np.asarray(ours), theirs.numpy())


@pytest.mark.parametrize(
    "name", ["FloatTensor", "DoubleTensor", "LongTensor", "IntTensor", "BoolTensor", "ByteTensor"]
)
def test_legacy_constructors_and_isinstance(name: str) -> None:
    ours, theirs = getattr(nerve, name), getattr(torch, name)
    assert ours(2, 3).shape == theirs(2, 3).shape
    _same(ours([1.7, 0.0, 2.0]), theirs([1.7, 0.0, 2.0]))
    _same(ours((1, 0)), theirs((1, 0)))
    assert type(ours([1])) is nerve.Tensor
    for dtype in ("float32", "float64", "int64", "int32", "bool", "uint8"):
        x, y = nerve.zeros(1, dtype=getattr(nerve, dtype)), torch.zeros(1).to(getattr(torch, dtype))
        assert isinstance(x, ours) == isinstance(y, theirs)


def test_variable_is_a_tensor() -> None:
    data = nerve.ones(2)
    v = nerve.autograd.Variable(data, requires_grad=True)
    assert isinstance(v, nerve.Tensor) and v.requires_grad and v.is_leaf
    assert isinstance(nerve.zeros(1), nerve.autograd.Variable)
    (v * 3).sum().backward()
    assert v.grad.tolist() == [3.0, 3.0]
    with pytest.raises(TypeError, match="Variable data has to be a tensor, but got list"):
        nerve.autograd.Variable([1, 2])


def test_type_names_and_conversions() -> None:
    x, y = nerve.ones(2), torch.ones(2)
    assert x.type() == y.type() == "torch.FloatTensor"
    assert x.long().type() == y.long().type()
    assert x.type("torch.DoubleTensor").dtype is nerve.float64
    assert x.type(nerve.int64).dtype is nerve.int64
    assert x.type(nerve.LongTensor).dtype is nerve.int64
    with pytest.raises(ValueError, match="invalid type: 'torch.Foo'"):
        x.type("torch.Foo")


def test_data_shares_memory_outside_the_graph() -> None:
    w = nerve.ones(3, requires_grad=True)
    d = w.data
    assert not d.requires_grad and d.is_leaf
    d.mul_(2)  # not tracked, not a version error: torch's .data semantics
    assert w.tolist() == [2.0, 2.0, 2.0]
    (w * w).sum().backward()
    assert w.grad.tolist() == [4.0, 4.0, 4.0]


@pytest.mark.parametrize(
    ("size_average", "reduce"), [(False, None), (None, False), (True, True), (False, True)]
)
@pytest.mark.parametrize("loss", ["MSELoss", "L1Loss", "BCELoss", "CrossEntropyLoss", "NLLLoss"])
def test_size_average_and_reduce(size_average: object, reduce: object, loss: str) -> None:
    rng = np.random.default_rng(0)
    if loss in ("CrossEntropyLoss", "NLLLoss"):
        x, t = rng.standard_normal((4, 3)), np.array([0, 2, 1, 2])
    else:
        x, t = rng.uniform(0.1, 0.9, (4, 3)), rng.uniform(0, 1, (4, 3))
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        ours = getattr(nerve.nn, loss)(size_average=size_average, reduce=reduce)
    with pytest.warns(UserWarning):
        theirs = getattr(torch.nn, loss)(size_average=size_average, reduce=reduce)
    assert ours.reduction == theirs.reduction
    got = ours(nerve.tensor(x), nerve.tensor(t))
    np.testing.assert_allclose(got.numpy(), theirs(torch.tensor(x), torch.tensor(t)).numpy())
    with pytest.warns(UserWarning, match=f"reduction='{theirs.reduction}'"):
        F.mse_loss(nerve.ones(2), nerve.zeros(2), size_average=size_average, reduce=reduce)


def test_view_dtype_reinterprets_bits() -> None:
    values = [1.0, 2.0, -0.5, 3.25]
    for source, target in [("float32", "int32"), ("float32", "int16"), ("float64", "float32")]:
        x = nerve.tensor(values, dtype=getattr(nerve, source))
        y = torch.tensor(values, dtype=getattr(torch, source))
        _same(x.view(getattr(nerve, target)), y.view(getattr(torch, target)))
    _same(
        nerve.ones(2, 4, dtype=nerve.int8).view(nerve.int32),
        torch.ones(2, 4).char().view(torch.int32),
    )
    x = nerve.zeros(2)
    x.view(nerve.int32)[0] = 1065353216  # the same memory
    assert x.tolist() == [1.0, 0.0]
    with pytest.raises(RuntimeError, match="self.size.-1. must be divisible by 4 to view Char"):
        nerve.ones(3, dtype=nerve.int8).view(nerve.int32)
    with pytest.raises(RuntimeError, match="self.stride.-1. must be 1"):
        nerve.ones(2, 4, dtype=nerve.int8).t().view(nerve.int32)


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16"])
def test_small_integer_overflow_wraps_as_torch(dtype: str) -> None:
    big = {"int8": 127, "uint8": 255, "int16": 32767}[dtype]
    x, y = (
        nerve.tensor([big, 100], dtype=getattr(nerve, dtype)),
        torch.tensor([big, 100], dtype=getattr(torch, dtype)),
    )
    _same(x + 1, y + 1)
    _same(x * 3, y * 3)
    _same(x * x, y * y)


@pytest.mark.parametrize("data", [2**63, [2**64], [1, -(2**63) - 1]])
def test_python_ints_outside_int64_raise_as_torch(data: object) -> None:
    with pytest.raises(ValueError, match="Overflow when unpacking long long"):
        torch.tensor(data)
    with pytest.raises(ValueError, match="Overflow when unpacking long long"):
        nerve.tensor(data)
    with pytest.raises(ValueError, match="Overflow"):
        nerve.tensor(data, dtype=nerve.int64)
    assert (
        nerve.tensor(data, dtype=nerve.float32).tolist()
        == torch.tensor(data, dtype=torch.float32).tolist()
    )


def _message(call) -> str:
    with pytest.raises(Exception) as info:
        call()
    return f"{type(info.value).__name__}: {info.value}"


@pytest.mark.parametrize(
    "case",
    [
        lambda lib: lib.softmax(lib.tensor([1, 2]), 0),
        lambda lib: lib.log_softmax(lib.ones(2, 2, dtype=lib.int32), 0),
        lambda lib: lib.softmax(lib.tensor([True, False]), -1),
        lambda lib: lib.ones(2, 2) @ lib.ones(2, 2, dtype=lib.float64),
        lambda lib: lib.ones(2) @ lib.ones(2, dtype=lib.float64),
        lambda lib: lib.mm(lib.ones(2, 2), lib.ones(2, 2, dtype=lib.int64)),
        lambda lib: lib.ones(3).expand(2, 3).add_(1),
    ],
)
def test_errors_where_torch_raises(case) -> None:
    assert _message(lambda: case(nerve)) == _message(lambda: case(torch))


def test_matrix_times_vector_of_two_dtypes_raises() -> None:
    # torch words this case after its addmv kernel; nerve gives the matmul wording
    with pytest.raises(RuntimeError, match="same dtype"):
        nerve.ones(2, 3, dtype=nerve.float64) @ nerve.ones(3)


def test_softmax_of_integers_with_a_dtype_works() -> None:
    got = nerve.softmax(nerve.tensor([1, 2]), 0, dtype=nerve.float32)
    np.testing.assert_allclose(
        got.numpy(),
        torch.softmax(torch.tensor([1, 2]), 0, dtype=torch.float32).numpy(),
        rtol=1e-6,
    )


def test_loss_target_errors_name_what_is_wrong() -> None:
    p, labels = nerve.tensor([0.2, 0.7, 0.9]), nerve.tensor([1, 0, 1])
    with pytest.raises(RuntimeError, match=r"^Found dtype Long but expected Float .*target.to"):
        F.binary_cross_entropy(p, labels)
    with pytest.raises(RuntimeError, match=r"^Found dtype Long but expected Float"):
        nerve.nn.BCELoss()(p, labels)
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type Long"):
        F.binary_cross_entropy_with_logits(p, labels)
    logits = nerve.zeros(3, 4)
    message = r"expected target dtype to be Long or Byte, but got Float .*shape \[3\].*long\(\)"
    with pytest.raises(RuntimeError, match=message):
        F.cross_entropy(logits, nerve.tensor([1.0, 0.0, 1.0]))
    one_hot = nerve.tensor([[0, 1, 0, 0]] * 3)
    message = r"Expected floating point type for target with class probabilities, got Long .*argmax"
    with pytest.raises(RuntimeError, match=message):
        F.cross_entropy(logits, one_hot)
    with pytest.raises(RuntimeError, match="expected target dtype to be Long or Byte"):
        TF.cross_entropy(torch.zeros(3, 4), torch.tensor([1.0, 0.0, 1.0]))
