"""nerve.nn.utils against torch.nn.utils: gradient clipping and parameters as one vector."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nerve  # noqa: E402
from nerve import nn  # noqa: E402
from parity import DTYPE_IDS, DTYPES, close  # noqa: E402


def _pair(dtype, scale=1.0):
    """Parameters with the same gradients in nerve and torch."""
    rng = np.random.default_rng(0)
    shapes = [(3, 4), (4,), (2, 2, 2)]
    ours, theirs = [], []
    for shape in shapes:
        value = rng.standard_normal(shape).astype(dtype)
        grad = (rng.standard_normal(shape) * scale).astype(dtype)
        p, q = nn.Parameter(nerve.tensor(value)), torch.nn.Parameter(torch.tensor(value))
        p.grad, q.grad = nerve.tensor(grad), torch.tensor(grad)
        ours.append(p)
        theirs.append(q)
    return ours, theirs


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf, 3])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm(norm_type, max_norm, dtype):
    ours, theirs = _pair(dtype)
    total = nn.utils.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    close(total, expected, dtype, "total norm")
    assert total.dtype == getattr(nerve, str(expected.dtype).removeprefix("torch."))
    for p, q in zip(ours, theirs):
        close(p.grad, q.grad, dtype, "clipped gradient")


def test_clip_grad_norm_accepts_one_tensor_and_skips_missing_grads():
    ours, theirs = _pair(np.float64, scale=10)
    ours[1].grad, theirs[1].grad = None, None
    close(nn.utils.clip_grad_norm_(ours, 1.0), torch.nn.utils.clip_grad_norm_(theirs, 1.0))
    for p, q in zip(ours, theirs):
        assert (p.grad is None) == (q.grad is None)
        if p.grad is not None:
            close(p.grad, q.grad)
    close(nn.utils.clip_grad_norm_(ours[0], 0.1), torch.nn.utils.clip_grad_norm_(theirs[0], 0.1))
    close(ours[0].grad, theirs[0].grad)
    assert float(nn.utils.clip_grad_norm_([nn.Parameter(nerve.ones(2))], 1.0)) == 0.0


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # inf * 0, as in torch
def test_clip_grad_norm_non_finite():
    p = nn.Parameter(nerve.ones(2))
    p.grad = nerve.tensor([float("inf"), 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    assert math.isinf(float(nn.utils.clip_grad_norm_([p], 1.0)))


@pytest.mark.parametrize("clip_value", [0.3, 1.0, 10.0])
def test_clip_grad_value(clip_value):
    ours, theirs = _pair(np.float64, scale=2)
    assert nn.utils.clip_grad_value_(ours, clip_value) is None
    torch.nn.utils.clip_grad_value_(theirs, clip_value)
    for p, q in zip(ours, theirs):
        close(p.grad, q.grad)


def test_parameters_to_vector_and_back():
    ours, theirs = _pair(np.float64)
    vec = nn.utils.parameters_to_vector(ours)
    close(vec, torch.nn.utils.parameters_to_vector(theirs))
    new = np.arange(vec.numel(), dtype=np.float64)
    nn.utils.vector_to_parameters(nerve.tensor(new), ours)
    torch.nn.utils.vector_to_parameters(torch.tensor(new), theirs)
    for p, q in zip(ours, theirs):
        close(p, q)
    assert all(p.is_leaf and p.requires_grad for p in ours)


def test_parameters_to_vector_is_differentiable():
    layer = nn.Linear(3, 2)
    (nn.utils.parameters_to_vector(layer.parameters()) ** 2).sum().backward()
    close(layer.weight.grad, 2 * layer.weight.detach().numpy(), np.float32)


def test_vector_to_parameters_errors():
    params = [nn.Parameter(nerve.zeros(2, 2))]
    with pytest.raises(TypeError, match="Tensor"):
        nn.utils.vector_to_parameters([1.0] * 4, params)
    with pytest.raises(RuntimeError, match="4 elements"):
        nn.utils.vector_to_parameters(nerve.zeros(5), params)
