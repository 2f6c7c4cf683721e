"""Runs of Linear layers and activations inside a ``Sequential``, as one graph node.

The networks of the lecture are ``Sequential(Linear, ReLU, Linear, Sigmoid)``: four small ops
whose per-op bookkeeping (a module call, a node, a tensor, a step of the backward engine) costs
more than their arithmetic. A run of such layers becomes one node, :class:`LayerChain`, that
does exactly the same arithmetic on arrays, forward and backward, and records the same
parameters as inputs, so gradients, version checks, hooks on the parameters and
``create_graph`` behave as before. The intermediate activations are not tensors the user can
reach (``Sequential.forward`` returns only the last), so nothing observable changes but the
graph's shape: ``out.grad_fn`` is a ``LayerChainBackward0``. Set
``nerve.nn.Sequential.fuse_layers = False`` to record layer by layer.

A layer with forward hooks, a subclass of a layer, or inputs that the layers would reject
(so that their own error messages are raised) are run one by one, as usual.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..autograd.grad_mode import enable_grad
from ..autograd.node import Node, apply
from ..backend.device import xp_of
from ..ops.nn_ops import linear
from ..ops.unary import relu, sigmoid, sigmoid_array, tanh
from ..tensor import Tensor
from .activation import ReLU, Sigmoid, Tanh
from .linear import Linear
from .module import Module

LINEAR, RELU, SIGMOID, TANH = "linear", "relu", "sigmoid", "tanh"
_KINDS: dict[type, str] = {Linear: LINEAR, ReLU: RELU, Sigmoid: SIGMOID, Tanh: TANH}
_ACTIVATIONS = {RELU: relu, SIGMOID: sigmoid, TANH: tanh}
_FORWARDS = {cls: cls.forward for cls in _KINDS}  # to notice a replaced forward


class LayerChain(Node):
    """Linear layers (x W^T + b) and elementwise activations applied in turn to a 2-D input.

    Inputs: the input, then each Linear's weight and bias (None without bias). Every layer's
    forward and backward is the arithmetic of its own op (``Linear``, ``Relu``, ``Sigmoid``,
    ``Tanh`` in ``nerve.ops``), so the numbers are the same as layer by layer.
    """

    def forward(self, x: Any, *params: Any, kinds: tuple[str, ...], saves: tuple[int, ...]) -> Any:
        """``saves``: the inputs that layer by layer would guard against in-place changes (the
        inputs and parameters of the Linear layers that would be recorded)."""
        xp = xp_of(x)
        self.kinds, self.saves = kinds, saves
        saved = []  # per layer, what its backward reads: a Linear's input, an activation's output
        h, i = x, 0
        for kind in kinds:
            if kind == LINEAR:
                weight, bias = params[i], params[i + 1]
                i += 2
                saved.append(h)
                h = h.dot(weight.T)
                if bias is not None:
                    h += bias
                continue
            if kind == RELU:
                h = xp.maximum(h, 0)
            elif kind == SIGMOID:
                h = sigmoid_array(h)
            else:
                h = xp.tanh(h)
            saved.append(h)
        self.saved = saved
        # The output itself is read by a last activation's backward: guard it like theirs.
        self.saves_output = kinds[-1] != LINEAR
        return h

    def backward_array(self, g: Any) -> tuple[Any, ...]:
        inputs, need = self.inputs, self.needs_input_grad
        grads: list[Any] = [None] * len(need)
        index = len(need)  # the Linear layers' parameters, taken from the end
        lowest = 0 if need[0] else self._lowest_trainable()  # no gradient flows below it
        for layer in range(len(self.kinds) - 1, lowest - 1, -1):
            kind, a = self.kinds[layer], self.saved[layer]
            if kind == RELU:
                g = g * (a > 0)
            elif kind == SIGMOID:
                g = g * a * (1 - a)
            elif kind == TANH:
                g = g * (1 - a * a)
            else:
                index -= 2
                if need[index]:
                    grads[index] = g.T.dot(a)
                if inputs[index + 1] is not None and need[index + 1]:
                    grads[index + 1] = g.sum(axis=0)
                if layer == lowest and not need[0]:
                    return tuple(grads)
                g = g.dot(inputs[index]._data)
        grads[0] = g if need[0] else None
        return tuple(grads)

    def _lowest_trainable(self) -> int:
        """The first Linear layer with a parameter that needs a gradient."""
        index = 1
        for layer, kind in enumerate(self.kinds):
            if kind == LINEAR:
                if self.needs_input_grad[index] or self.needs_input_grad[index + 1]:
                    return layer
                index += 2
        return len(self.kinds)

    def backward(self, g: Tensor) -> tuple[Tensor | None, ...]:
        """The differentiable form (``create_graph``): the layers again with tensor ops, and
        their gradient by autograd, so that it can be differentiated once more. The layers run
        on aliases of the inputs, where that gradient stops: the inputs' own hooks and
        ``retain_grad`` are the outer backward's business, and an input used twice gets one
        gradient per use."""
        from ..autograd.functional import grad

        need = self.needs_input_grad
        with enable_grad():
            aliases = [t.view_as(t) if n else t for t, n in zip(self.inputs, need)]
            out = run_layers(self.kinds, aliases[0], aliases[1:])
            wanted = [a for a, n in zip(aliases, need) if n]
            found = iter(grad([out], wanted, [g], create_graph=True, allow_unused=True))
        return tuple(next(found) if n else None for n in need)

    def release(self) -> None:
        super().release()
        self.saved = None


def run_layers(kinds: tuple[str, ...], x: Tensor, params: Iterable[Any]) -> Tensor:
    """The layers with nerve's ops, one node each (what the chain computes)."""
    remaining = iter(params)
    for kind in kinds:
        if kind == LINEAR:
            x = linear(x, next(remaining), next(remaining))
        else:
            x = _ACTIVATIONS[kind](x)
    return x


def run_sequence(modules: Iterable[Module], input: Any) -> Any:
    """``Sequential.forward``: the modules in turn, runs of two or more plain Linear layers
    and activations as one :class:`LayerChain`."""
    run: list[tuple[str, Module]] = []
    for module in modules:
        kind = _KINDS.get(type(module))
        if kind is None or module._forward_hooks or module._forward_pre_hooks or _patched(module):
            input = _run(run, input)
            run = []
            input = module(input)
        else:
            run.append((kind, module))
    return _run(run, input)


def _patched(module: Module) -> bool:
    """Whether the layer's forward was replaced (on the instance or on its class)."""
    return "forward" in module.__dict__ or type(module).forward is not _FORWARDS[type(module)]


def _run(run: list[tuple[str, Module]], input: Any) -> Any:
    """A run of layers: fused when it is worth it and the layers would accept the input."""
    chain = _chain_params(run, input) if len(run) > 1 else None
    if chain is None:
        for _, module in run:
            input = module(input)
        return input
    params, saves = chain
    kinds = tuple(kind for kind, _ in run)
    return apply(LayerChain, input, *params, kinds=kinds, saves=saves)


def _chain_params(
    run: list[tuple[str, Module]], input: Any
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
        if kind != LINEAR:
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
