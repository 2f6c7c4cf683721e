"""Finite-difference checks (nerve's own gradcheck and gradgradcheck, no torch involved) that
note the graph nodes they exercised in the coverage registry."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import nerve
from nerve.autograd import gradcheck as _gradcheck
from nerve.autograd import gradgradcheck as _gradgradcheck

from .coverage import record


def _record_graph(fn: Callable[..., Any], inputs: Sequence[Any], second_order: bool) -> None:
    """Run ``fn`` once more and note its graph (and, for second order, the graph its backward
    records), so that the registry holds what the finite differences differentiate."""
    outputs = fn(*inputs)
    record(outputs, "finite differences")
    if not second_order:
        return
    flat = [t for t in (outputs if isinstance(outputs, (tuple, list)) else [outputs])]
    flat = [t for t in flat if getattr(t, "requires_grad", False)]
    leaves = [x for x in inputs if isinstance(x, nerve.Tensor) and x.requires_grad]
    if not flat or not leaves:
        return
    ones = [nerve.ones_like(t) for t in flat]  # constants: they add no node of their own
    grads = nerve.autograd.grad(flat, leaves, ones, create_graph=True, allow_unused=True)
    record([g for g in grads if g is not None], "finite differences, second order")


def gradcheck(fn: Callable[..., Any], inputs: Sequence[Any], **options: Any) -> bool:
    """``nerve.autograd.gradcheck(fn, inputs, **options)``, noting ``fn``'s graph."""
    result = _gradcheck(fn, inputs, **options)
    if result:  # a failed check (raise_exception=False) covers nothing
        _record_graph(fn, inputs, second_order=False)
    return result


def gradgradcheck(fn: Callable[..., Any], inputs: Sequence[Any], **options: Any) -> bool:
    """``nerve.autograd.gradgradcheck(fn, inputs, **options)``, noting the graphs of ``fn``
    and of its backward."""
    result = _gradgradcheck(fn, inputs, **options)
    if result:
        _record_graph(fn, inputs, second_order=True)
    return result
