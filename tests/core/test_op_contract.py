"""The op contract (nerve.autograd.node): each op's derivative is written once, and when the
backward pass is not recorded it runs on raw arrays -- no op is applied and no tensor is made
while ``loss.backward()`` walks the graph. Under create_graph the same formulas run on tensors
(tests/core/test_gradcheck.py checks second derivatives)."""

from __future__ import annotations

import sys
from collections.abc import Callable

import numpy as np
import pytest

import nerve
import nerve.nn.functional as F
from nerve import nn
from nerve.autograd import engine
from nerve.autograd.node import Node, apply


def _every_op(x: nerve.Tensor, m: nerve.Tensor, v: nerve.Tensor) -> nerve.Tensor:
    """One graph through (nearly) every differentiable op; x is (4, 3), m (3, 3), v (3,)."""
    y = x.exp() + x.sin() * x.cos() + x.tanh() + x.sigmoid() + x.relu() + x.abs().sqrt()
    y = y + (x * x + 1).log() + x.clamp(-0.5, 0.5) + nerve.maximum(x, m[0]) - x / (m[1] + 3)
    y = y + x**2 + F.leaky_relu(x) + F.elu(x) + F.gelu(x) + F.silu(x) + F.softplus(x)
    y = y + F.hardtanh(x) + nerve.where(x > 0, x, 2 * x) + x.masked_fill(x > 1, 0.0)
    y = y @ m + (y @ v).unsqueeze(1) + F.linear(y, m, v) + y.softmax(dim=1)
    y = y + y.log_softmax(dim=1) + y.cumsum(1) + y.flip(0) + y.roll(1, 0) + y.tril()
    y = y + y.permute(1, 0).reshape(4, 3) + v.expand(4, 3) + y[::2].repeat(2, 1)
    y = nerve.cat([y, y[:, :1]], dim=1)[:, :3] + y[[0, 0, 1, 3]] + y.gather(1, _index(4, 3))
    z = y.clone()
    z[1:3] = y[0:2] * 2
    total = z.sum() + z.mean(dim=0).prod() + z.max(dim=1).values.sum() + z.amax()
    total = total + z.norm() + z.norm(p=1) + z.norm(p=3) + z.norm(p=float("inf"))
    total = total + z.var() + z.double().sum().float()
    probs = z.sigmoid()
    target = (x > 0).float()
    total = total + F.binary_cross_entropy(probs, target) + F.mse_loss(z, x)
    total = total + F.binary_cross_entropy_with_logits(z, target)
    return total + F.cross_entropy(z, nerve.tensor([0, 2, 1, 1]))


def _index(rows: int, columns: int) -> nerve.Tensor:
    return nerve.tensor(np.arange(rows * columns).reshape(rows, columns) % columns)


def _calls_during(function: Callable[[], None], watched: set[object]) -> list[str]:
    """Which of the ``watched`` code objects were entered from an op while ``function`` ran
    (ops live in nerve/ops/ and autograd/node.py; the engine makes the leaves' .grad)."""
    seen: list[str] = []

    def profile(frame, event, arg):  # noqa: ANN001 - sys.setprofile's signature
        if event == "call" and frame.f_code in watched:
            caller = frame.f_back.f_code
            path = caller.co_filename.replace("\\", "/")
            if "/nerve/ops/" in path or path.endswith("/nerve/autograd/node.py"):
                seen.append(f"{frame.f_code.co_name} from {caller.co_name} ({path})")

    sys.setprofile(profile)
    try:
        function()
    finally:
        sys.setprofile(None)
    return seen


def test_backward_without_create_graph_runs_on_arrays_only() -> None:
    nerve.manual_seed(0)
    x = nerve.randn(4, 3, dtype=nerve.float64, requires_grad=True)
    m = nerve.randn(3, 3, dtype=nerve.float64, requires_grad=True)
    v = nerve.randn(3, dtype=nerve.float64, requires_grad=True)
    model = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 3), nn.Tanh()).double()
    loss = _every_op(x, m, v) + model(x).sum()
    watched = {apply.__code__, nerve.Tensor._make.__func__.__code__}
    made = _calls_during(loss.backward, watched)
    assert not made, made
    assert x.grad is not None and m.grad is not None and v.grad is not None


def test_the_graph_covers_the_ops_this_test_claims() -> None:
    x = nerve.randn(4, 3, dtype=nerve.float64, requires_grad=True)
    m = nerve.randn(3, 3, dtype=nerve.float64, requires_grad=True)
    v = nerve.randn(3, dtype=nerve.float64, requires_grad=True)
    seen: set[int] = set()
    stack = [_every_op(x, m, v).grad_fn]
    names = set()
    while stack:
        node = stack.pop()
        if node is not None and id(node) not in seen:
            seen.add(id(node))
            names.add(node.name())
            stack.extend(edge[0] for edge in node.next_functions)
    assert {"MatmulBackward0", "CrossEntropyBackward0", "SetItemBackward0"} <= names
    assert len(names) >= 45, sorted(names)


def test_no_op_has_a_second_backward() -> None:
    def subclasses(cls: type) -> list[type]:
        found = []
        for sub in cls.__subclasses__():
            found += [sub, *subclasses(sub)]
        return found

    doubles = [c.__name__ for c in subclasses(Node) if "backward_array" in vars(c)]
    assert not doubles, f"ops with a second backward: {doubles}"


def test_engine_has_no_array_special_case_left() -> None:
    assert not hasattr(engine, "_call_backward")


# -- where nerve was more permissive than torch (issue: reliability, item 9) ----------------


def test_relu_passes_the_gradient_of_a_nan_as_torch_does() -> None:
    torch = pytest.importorskip("torch")
    values = [float("nan"), -1.0, 2.0, 0.0]
    x = nerve.tensor(values, requires_grad=True)
    x.relu().sum().backward()
    t = torch.tensor(values, requires_grad=True)
    t.relu().sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())


@pytest.mark.parametrize("op", ["//", "%"])
def test_integer_division_by_zero_raises_as_torch_does(op: str) -> None:
    a, b = nerve.tensor([5, 3]), nerve.tensor([0, 1])
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        _ = a // b if op == "//" else a % b
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        _ = a // 0 if op == "//" else a % 0
    assert (nerve.tensor([5.0]) // 0).item() == float("inf")  # floats divide as IEEE says


@pytest.mark.parametrize("target", [[1.5, 0.0], [-0.1, 1.0]])
def test_bce_refuses_targets_outside_0_1(target: list[float]) -> None:
    p = nerve.tensor([0.3, 0.6])
    with pytest.raises(RuntimeError, match="all elements of target should be between 0 and 1"):
        F.binary_cross_entropy(p, nerve.tensor(target))


def test_cat_of_nothing_names_nerve_not_torch() -> None:
    with pytest.raises(RuntimeError, match=r"^cat\(\): expected a non-empty list"):
        nerve.cat([])


@pytest.mark.parametrize(
    ("value", "dtype"), [(300, "uint8"), (200, "int8"), ([1, 300], "uint8"), (40000, "int16")]
)
def test_python_ints_that_overflow_a_narrow_dtype_raise_as_torch_does(value, dtype) -> None:
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match="without overflow"):
        torch.tensor(value, dtype=getattr(torch, dtype))
    with pytest.raises(RuntimeError, match=f"cannot be converted to type {dtype} without overflow"):
        nerve.tensor(value, dtype=getattr(nerve, dtype))


def test_negative_ints_wrap_into_unsigned_as_torch() -> None:
    assert nerve.tensor(-1, dtype=nerve.uint8).item() == 255
