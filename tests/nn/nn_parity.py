"""Helpers for comparing nerve modules and functions with torch's: the same parameters, the
same input, then the same output and the same gradients of the input and every parameter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

import nerve

# float64 must agree almost to the last bit; float32 within ~1e-5 (different summation orders).
# The absolute tolerance is relative to the largest expected magnitude (cancellation).
TOL = {np.float64: {"rtol": 1e-10, "atol": 1e-12}, np.float32: {"rtol": 1e-5, "atol": 1e-5}}
DTYPES = [np.float64, np.float32]
DTYPE_IDS = ["f64", "f32"]


def close(actual: Any, expected: Any, dtype: Any = np.float64, what: str = "") -> None:
    """Assert a nerve value equals a torch value (or arrays) within the dtype's tolerance."""
    a = np.asarray(actual.detach().numpy() if hasattr(actual, "detach") else actual)
    e = np.asarray(expected.detach().numpy() if hasattr(expected, "detach") else expected)
    assert a.shape == e.shape, f"{what}: shape {a.shape} != torch's {e.shape}"
    tol = dict(TOL[np.dtype(dtype).type])
    tol["atol"] *= max(1.0, float(np.max(np.abs(e), initial=0.0)))
    np.testing.assert_allclose(a, e, err_msg=what, **tol)


def to_torch(array: np.ndarray, requires_grad: bool = False) -> torch.Tensor:
    return torch.tensor(np.array(array), requires_grad=requires_grad)


def to_nerve(array: np.ndarray, requires_grad: bool = False) -> nerve.Tensor:
    return nerve.tensor(np.array(array), requires_grad=requires_grad)


def copy_parameters(ours: nerve.nn.Module, theirs: torch.nn.Module) -> None:
    """Give the torch module our parameter values (names and order must agree)."""
    mine = list(ours.named_parameters())
    names = [name for name, _ in theirs.named_parameters()]
    assert [name for name, _ in mine] == names
    with torch.no_grad():
        for (_, p), (_, q) in zip(mine, theirs.named_parameters()):
            q.copy_(torch.from_numpy(np.array(p.detach().numpy())))


def check_module(
    ours: nerve.nn.Module,
    theirs: torch.nn.Module,
    x: np.ndarray,
    dtype: Any = np.float64,
    input_grad: bool = True,
) -> tuple[nerve.Tensor, torch.Tensor]:
    """Forward and backward (with a random upstream gradient) through both modules."""
    ours.to(nerve.float64 if dtype == np.float64 else nerve.float32)
    theirs.to(torch.float64 if dtype == np.float64 else torch.float32)
    copy_parameters(ours, theirs)
    x = np.asarray(x, dtype=dtype)
    xn, xt = to_nerve(x, input_grad), to_torch(x, input_grad)
    out_n, out_t = ours(xn), theirs(xt)
    close(out_n, out_t, dtype, "output")
    assert out_n.dtype == getattr(nerve, str(out_t.dtype).removeprefix("torch."))
    upstream = np.random.default_rng(1).standard_normal(out_t.shape).astype(dtype)
    out_n.backward(to_nerve(upstream))
    out_t.backward(to_torch(upstream))
    if input_grad:
        close(xn.grad, xt.grad, dtype, "input gradient")
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        close(p.grad, q.grad, dtype, f"gradient of {name}")
    return out_n, out_t


def check_function(
    ours: Callable[..., nerve.Tensor],
    theirs: Callable[..., torch.Tensor],
    inputs: list[np.ndarray],
    dtype: Any = np.float64,
    grads: tuple[int, ...] = (0,),
    **kwargs: Any,
) -> None:
    """Call both functions on the same arrays; compare the value and the gradients of the
    inputs listed in ``grads`` (integer arrays are passed through unchanged)."""
    tn, tt = [], []
    for i, a in enumerate(inputs):
        a = np.asarray(a)
        a = a.astype(dtype) if a.dtype.kind == "f" else a
        tn.append(to_nerve(a, i in grads))
        tt.append(to_torch(a, i in grads))
    out_n, out_t = ours(*tn, **kwargs), theirs(*tt, **kwargs)
    close(out_n, out_t, dtype, "value")
    if not grads:
        return
    upstream = np.random.default_rng(2).standard_normal(out_t.shape).astype(dtype)
    out_n.backward(to_nerve(upstream))
    out_t.backward(to_torch(upstream))
    for i in grads:
        close(tn[i].grad, tt[i].grad, dtype, f"gradient of input {i}")
