"""Layers, losses and functionals against torch's: the same parameters and the same input,
then the same output and the same gradients of the input and of every parameter; and second
derivatives (double backward) of a function against torch's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

import nerve

from .coverage import record
from .tolerance import close

DTYPES = [np.float64, np.float32]
DTYPE_IDS = ["f64", "f32"]


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
    record(out_n, "torch")
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
    record(out_n, "torch")
    out_n.backward(to_nerve(upstream))
    out_t.backward(to_torch(upstream))
    for i in grads:
        close(tn[i].grad, tt[i].grad, dtype, f"gradient of input {i}")


def check_second_order(
    fn: Callable[[Any, Any], Any], x: np.ndarray, v: np.ndarray, dtype: Any = np.float64
) -> None:
    """d/dx of sum((dL/dx)^2 * v), ``v`` fixed, for ``L = fn(lib, x)`` in nerve and in torch:
    compares the first derivative (the backward, recorded with ``create_graph``) and then the
    second (the backward of that backward)."""
    results = []
    for lib in (nerve, torch):
        leaf = lib.tensor(np.asarray(x, dtype=dtype), requires_grad=True)
        loss = fn(lib, leaf)
        (g,) = lib.autograd.grad(loss, leaf, create_graph=True)
        if lib is nerve:
            record(loss, "torch")
            record(g, "torch, second order")  # the nodes the backward itself recorded
        first = g.detach()
        ((g * g) * lib.tensor(np.asarray(v, dtype=dtype))).sum().backward()
        results.append((first, leaf.grad))
    close(results[0][0], results[1][0], dtype, "first derivative")
    close(results[0][1], results[1][1], dtype, "second derivative")
