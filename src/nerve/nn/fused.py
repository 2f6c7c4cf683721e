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

Those checks cost more than the chain's arithmetic on the lecture's sizes, so when a whole
``Sequential`` is one fused run, the decision is kept (:class:`_Decision`) and reused while
what it depended on stands: no module changed anywhere (``nn.module_tree.EDITS``), no layer
class got a new forward, the parameters hold the same arrays and ``requires_grad``, and the
input has the same kind of array, dtype, width and ``requires_grad``.
"""

from __future__ import annotations

from typing import Any
from weakref import finalize

from ..autograd.node import Node
from ..ops import nn_ops, unary
from ..ops.chain import LayerChain, layer_chain
from ..tensor import Tensor
from . import channels_last
from .activation import ReLU, Sigmoid, Tanh
from .linear import Linear
from .module import Module
from .module_tree import EDITS, class_forwards, same_forwards

__all__ = ["LayerChain", "run_sequence"]

# The op each fusable layer runs (its forward is nothing but that op).
_OPS: dict[type, type[Node]] = {
    Linear: nn_ops.Linear,
    ReLU: unary.Relu,
    Sigmoid: unary.Sigmoid,
    Tanh: unary.Tanh,
}
_FORWARDS = {cls: cls.forward for cls in _OPS}  # to notice a replaced forward


def run_sequence(sequential: Module, input: Any) -> Any:
    """``Sequential.forward``: the modules in turn, runs of two or more plain Linear layers
    and activations as one :class:`LayerChain`."""
    out = kept_chain(sequential, input)
    if out is not None:
        return out
    modules = list(sequential._modules.values())
    run: list[tuple[type[Node], Module]] = []
    stretches: dict[int, int] = {}  # (nn/channels_last.py)
    if sequential.channels_last_convolutions:
        stretches = channels_last.stretches(sequential, modules)
    position = 0
    while position < len(modules):
        module = modules[position]
        kind = _OPS.get(type(module))
        if kind is not None and not _hooked(module) and not _patched(module):
            run.append((kind, module))
            position += 1
            continue
        input = _run(run, input)
        run = []
        end = stretches.get(position)
        if end is None or not channels_last.fits(input):
            input = module(input)
            position += 1
            continue
        input = channels_last.enter(input)
        for layer in modules[position:end]:
            input = layer(input)
        input = channels_last.leave(input)
        position = end
    whole = len(run) == len(modules)  # one run: the decision can be kept
    return _run(run, input, keep_for=sequential if whole else None)


def kept_chain(sequential: Module, input: Any) -> Tensor | None:
    """``Sequential.forward(input)`` as the one chain it was kept to run as, or None when that
    decision does not hold now (``nerve.compile`` applies it too: its plan of such a call is
    this very op)."""
    decision = _decisions.get(id(sequential))
    if decision is None or not decision.holds(input):
        return None
    return layer_chain(input, decision.params, decision.ops, decision.saves)


class _Decision:
    """That a whole Sequential runs as one chain (``ops``, ``params``, ``saves``), and what
    :func:`_chain_params` read to decide it (see the module's docstring)."""

    def __init__(
        self,
        run: list[tuple[type[Node], Module]],
        input: Tensor,
        ops: tuple[type[Node], ...],
        params: list[Any],
        saves: tuple[int, ...],
    ) -> None:
        self.edits = EDITS[0]
        self.forwards = class_forwards(module for _, module in run)
        self.ops, self.params, self.saves = ops, params, saves
        # (the arrays themselves, not their ids: a freed array's id can come back)
        self.arrays = [(p, p._data, p.requires_grad) for p in params if p is not None]
        self.input = _input_key(input)

    def holds(self, input: Any) -> bool:
        """Whether the same decision would be made for ``input`` now."""
        if EDITS[0] != self.edits or not isinstance(input, Tensor):
            return False
        if not same_forwards(self.forwards):
            return False
        for p, array, requires_grad in self.arrays:
            if p._data is not array or p.requires_grad != requires_grad:
                return False
        return _input_key(input) == self.input


def _input_key(input: Tensor) -> tuple[Any, ...]:
    """What the decision read of the input: its kind of array, dtype, shape but the batch
    size, and ``requires_grad``."""
    data = input._data
    return (type(data), data.dtype, data.shape[1:], input.requires_grad)


# By the Sequential's id, not the Sequential itself: a subclass may define ``__eq__`` and
# ``__hash__``, and two equal models must not share a decision. An entry goes with its model
# (its finalizer runs before the id can be reused).
_decisions: dict[int, _Decision] = {}


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


def _run(run: list[tuple[type[Node], Module]], input: Any, keep_for: Module | None = None) -> Any:
    """A run of layers: fused when it is worth it and the layers would accept the input;
    the decision to fuse kept for ``keep_for``, the Sequential the run is the whole of."""
    chain = _chain_params(run, input) if len(run) > 1 else None
    if chain is None:
        for _, module in run:
            input = module(input)
        return input
    params, saves = chain
    ops = tuple(op for op, _ in run)
    if keep_for is not None:
        key = id(keep_for)
        if key not in _decisions:
            finalize(keep_for, _decisions.pop, key, None)
        _decisions[key] = _Decision(run, input, ops, params, saves)
    return layer_chain(input, params, ops, saves)


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
