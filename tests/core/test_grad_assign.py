"""Assigning ``.grad`` by hand is checked as torch checks it: a Tensor (or None) of the tensor's
own size, dtype and device. Each case runs in torch 2.13 too, so the oracle decides which
assignments raise, and which error class they raise; nerve's messages name what was wrong."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import nerve

torch = pytest.importorskip("torch", reason="torch is the oracle for .grad assignment")


def _outcome(assign: Callable[[], None]) -> type[Exception] | None:
    try:
        assign()
    except Exception as error:  # noqa: BLE001 - the class is what we compare
        return type(error)
    return None


def _both(target: Callable[[Any], Any], value: Callable[[Any], Any]) -> tuple[Any, Any]:
    """Do ``target(lib).grad = value(lib)`` in nerve and torch; return (nerve, torch) errors."""
    outcomes = []
    for lib in (nerve, torch):
        tensor, grad = target(lib), value(lib)

        def assign(tensor: Any = tensor, grad: Any = grad) -> None:
            tensor.grad = grad

        outcomes.append(_outcome(assign))
    return outcomes[0], outcomes[1]


def _leaf(lib: Any) -> Any:
    return lib.zeros(2, 2, requires_grad=True)


CASES = {
    "right grad": (_leaf, lambda lib: lib.ones(2, 2)),
    "None": (_leaf, lambda lib: None),
    "fewer elements": (_leaf, lambda lib: lib.zeros(3)),
    "same numel, other shape": (_leaf, lambda lib: lib.zeros(4)),
    "broadcastable shape": (_leaf, lambda lib: lib.zeros(2, 1)),
    "extra leading dim": (_leaf, lambda lib: lib.zeros(1, 2, 2)),
    "one element to a scalar": (
        lambda lib: lib.zeros((), requires_grad=True),
        lambda lib: lib.zeros(1),
    ),
    "a float": (_leaf, lambda lib: 0.0),
    "an int": (_leaf, lambda lib: 1),
    "a list": (_leaf, lambda lib: [[0.0, 0.0], [0.0, 0.0]]),
    "an ndarray": (_leaf, lambda lib: np.zeros((2, 2), np.float32)),
    "float64 to float32": (_leaf, lambda lib: lib.zeros(2, 2, dtype=lib.float64)),
    "float16 to float32": (_leaf, lambda lib: lib.zeros(2, 2, dtype=lib.float16)),
    "int64 to float32": (_leaf, lambda lib: lib.zeros(2, 2, dtype=lib.int64)),
    "a Parameter": (_leaf, lambda lib: lib.nn.Parameter(lib.zeros(2, 2))),
    "a tensor requiring grad": (_leaf, lambda lib: lib.zeros(2, 2, requires_grad=True)),
    "a transposed view": (_leaf, lambda lib: lib.zeros(2, 2).t()),
    "an expanded view": (_leaf, lambda lib: lib.zeros(1, 2).expand(2, 2)),
    "non-leaf, right grad": (lambda lib: _leaf(lib) * 2, lambda lib: lib.zeros(2, 2)),
    "non-leaf, wrong size": (lambda lib: _leaf(lib) * 2, lambda lib: lib.zeros(3)),
    "no requires_grad, wrong size": (lambda lib: lib.zeros(2, 2), lambda lib: lib.zeros(3)),
    "integer tensor, int grad": (
        lambda lib: lib.zeros(2, 2, dtype=lib.int64),
        lambda lib: lib.zeros(2, 2, dtype=lib.int64),
    ),
    "integer tensor, float grad": (
        lambda lib: lib.zeros(2, 2, dtype=lib.int64),
        lambda lib: lib.zeros(2, 2),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_assignment_raises_exactly_where_torch_does(case: str) -> None:
    nerve_error, torch_error = _both(*CASES[case])
    assert nerve_error is torch_error


def test_wrong_size_names_both_sizes() -> None:
    x = nerve.zeros(2, 2, requires_grad=True)
    expected = "attempting to assign a gradient of size '[3]' to a tensor of size '[2, 2]'"
    with pytest.raises(RuntimeError, match=re.escape(expected)):
        x.grad = nerve.zeros(3)


def test_a_number_is_refused_naming_its_type() -> None:
    a = nerve.zeros(2, requires_grad=True)
    expected = "assigned grad expected to be a Tensor or None but got grad of type float"
    with pytest.raises(TypeError, match=re.escape(expected)):
        a.grad = 0.0


def test_wrong_dtype_names_both_dtypes() -> None:
    x = nerve.zeros(2, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"dtype 'float64' to a tensor with dtype 'float32'"):
        x.grad = nerve.zeros(2, 2, dtype=nerve.float64)


def test_a_tensor_cannot_be_its_own_grad() -> None:
    x = nerve.zeros(2, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match="its own grad"):
        x.grad = x


def test_a_refused_assignment_keeps_the_old_grad() -> None:
    x = nerve.zeros(2, 2, requires_grad=True)
    x.grad = old = nerve.ones(2, 2)
    with pytest.raises(RuntimeError):
        x.grad = nerve.zeros(3)
    assert x.grad is old


def test_del_grad_clears_it_as_in_torch() -> None:
    x = nerve.zeros(2, requires_grad=True)
    x.grad = nerve.ones(2)
    del x.grad
    assert x.grad is None


def test_the_optimizer_never_sees_a_broadcast_grad() -> None:
    """The reported bug: a (2, 1) grad was accepted and broadcast by SGD's update."""
    w = nerve.nn.Parameter(nerve.zeros(2, 2))
    optimizer = nerve.optim.SGD([w], lr=1.0)
    with pytest.raises(RuntimeError, match="size"):
        w.grad = nerve.ones(2, 1)
    optimizer.step()  # no grad: nothing changes
    assert w.detach().numpy().tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_backward_after_a_refused_number_still_works() -> None:
    """``a.grad = 0.`` used to be stored and to fail later inside backward."""
    a = nerve.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError):
        a.grad = 0.0
    (a * a).sum().backward()
    assert a.grad.tolist() == [2.0, 4.0]


@pytest.mark.gpu
@pytest.mark.skipif(not nerve.cuda.is_available(), reason="needs a CUDA device (CuPy)")
def test_wrong_device_names_both_devices() -> None:
    x = nerve.zeros(2, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match="device type 'cuda' to a tensor with device type 'cpu'"):
        x.grad = nerve.zeros(2, 2, device="cuda")
