"""When ``nn.Sequential`` runs a stretch of its layers as one op.

The lecture's networks are ``Sequential(Linear, ReLU, Linear, Sigmoid)``. A run of two or more
plain Linear, ReLU, Sigmoid and Tanh layers is handed to the ``layer_chain`` op
(``nerve.ops.chain``), which runs the layers' own ops as one graph node, bit for bit the same
numbers. The intermediate activations are not tensors the user can reach (``Sequential.forward``
returns only the last), so nothing observable changes but the graph's shape: ``out.grad_fn`` is
a ``LayerChainBackward0``. Set ``nerve.nn.Sequential.fuse_layers = False`` to record layer by
layer.

A layer with forward hooks, a subclass of a layer, a replaced forward, or inputs that the layers
would reject (so that their own error messages are raised) run one by one, as usual.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..autograd.node import Node
from ..ops import nn_ops, unary
from ..ops.chain import LayerChain, layer_chain
from ..tensor import Tensor
from .activation import ReLU, Sigmoid, Tanh
from .linear import Linear
from .module import Module

__all__ = ["LayerChain", "run_sequence"]

# The op each fusable layer runs (its forward is nothing but that op).
_OPS: dict[type, type[Node]] = {
    Linear: nn_ops.Linear,
    ReLU: unary.Relu,
    Sigmoid: unary.Sigmoid,
    Tanh: unary.Tanh,
}
_FORWARDS = {cls: cls.forward for cls in _OPS}  # to notice a replaced forward


def run_sequence(modules: Iterable[Module], input: Any) -> Any:
    """``Sequential.forward``: the modules in turn, runs of two or more plain Linear layers
    and activations as one :class:`LayerChain`."""
    run: list[tuple[type[Node], Module]] = []
    for module in modules:
        kind = _OPS.get(type(module))
        if kind is None or _hooked(module) or _patched(module):
            input = _run(run, input)
            run = []
            input = module(input)
        else:
            run.append((kind, module))
    return _run(run, input)


def _hooked(module: Module) -> bool:
    """Any forward or backward hook: the layer runs on its own so that its hooks see it."""
    return bool(
        module._forward_hooks
        or module._forward_pre_hooks
        or module._backward_hooks
        or module._backward_pre_hooks
    )


def _patched(module: Module) -> bool:
    """Whether the layer's forward was replaced (on the instance or on its class)."""
    return "forward" in module.__dict__ or type(module).forward is not _FORWARDS[type(module)]


def _run(run: list[tuple[type[Node], Module]], input: Any) -> Any:
    """A run of layers: fused when it is worth it and the layers would accept the input."""
    chain = _chain_params(run, input) if len(run) > 1 else None
    if chain is None:
        for _, module in run:
            input = module(input)
        return input
    params, saves = chain
    return layer_chain(input, params, tuple(op for op, _ in run), saves)


def _chain_params(
    run: list[tuple[type[Node], Module]], input: Any
) -> tuple[list[Any], tuple[int, ...]] | None:
    """The Linear layers' weights and biases, and the inputs that layer by layer would guard
    against in-place changes; None when the run has no Linear layer or the input does not fit
    them (then the layers run one by one and raise their own errors)."""
    if not isinstance(input, Tensor):
        return None
    data = input._data
    if data.ndim != 2 or data.dtype.kind != "f":
        return None
    width, dtype, kind_of_array = data.shape[1], data.dtype, type(data)
    params: list[Any] = []
    saves: list[int] = []
    upstream = input.requires_grad  # whether a gradient flows into the current layer
    for position, (kind, module) in enumerate(run):
        if kind is not nn_ops.Linear:
            continue
        weight, bias = module.weight, module.bias
        w = weight._data
        if type(w) is not kind_of_array or w.dtype != dtype or w.ndim != 2 or w.shape[1] != width:
            return None
        if bias is not None:
            b = bias._data
            if type(b) is not kind_of_array or b.dtype != dtype or b.shape != (w.shape[0],):
                return None
        # A Linear is recorded (and checks its inputs) when any of them requires a gradient.
        recorded = upstream or weight.requires_grad or (bias is not None and bias.requires_grad)
        if recorded:
            saves += ([0] if position == 0 else []) + [len(params) + 1]
            saves += [len(params) + 2] if bias is not None else []
        upstream = recorded
        width = w.shape[0]
        params += (weight, bias)
    return (params, tuple(saves)) if params else None
