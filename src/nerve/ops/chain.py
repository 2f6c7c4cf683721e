"""A run of layers as one op: Linear layers and elementwise activations applied in turn to a
2-D input, recorded as a single graph node.

The networks of the lecture are ``Sequential(Linear, ReLU, Linear, Sigmoid)``: four small ops
whose per-op bookkeeping (a node, a tensor, a step of the backward engine) costs more than
their arithmetic. :class:`LayerChain` runs the same four ops' own kernels, forward and
backward, without a node or a tensor in between, so its numbers are bit for bit those of layer
by layer; it holds no arithmetic of its own. It records the Linear layers' parameters as its
inputs, so gradients, version checks, hooks on the parameters and ``create_graph`` behave as
before; only the graph's shape differs (``out.grad_fn`` is a ``LayerChainBackward0``).

``nn.Sequential`` decides when to call it (``nerve.nn.fused``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..autograd.node import Node, apply
from ..tensor import Tensor
from .nn_ops import Linear
from .unary import Relu, Sigmoid, Tanh

ACTIVATIONS: tuple[type[Node], ...] = (Relu, Sigmoid, Tanh)
_new = object.__new__


class LayerChain(Node):
    """Inputs: the input, then each Linear's weight and bias (None without bias). Each layer is
    a node of its own op that is never recorded: it keeps its inputs' arrays (a Linear) or its
    output (an activation), as the op's backward reads them."""

    def forward(
        self, x: Any, *params: Any, ops: tuple[type[Node], ...], saves: tuple[int, ...]
    ) -> Any:
        """``saves``: the inputs that layer by layer would guard against in-place changes (the
        inputs and parameters of the Linear layers that would be recorded)."""
        self.ops, self.saves = ops, saves
        layers: list[Node] = []
        h, i = x, 0
        for op in ops:
            layer = _new(op)
            if op is Linear:
                weight, bias = params[i], params[i + 1]
                i += 2
                layer.inputs = (h, weight) if bias is None else (h, weight, bias)
                h = layer.forward(*layer.inputs)
            else:
                h = layer.out = layer.forward(h)
            layers.append(layer)
        self.layers = layers
        # The output itself is read by a last activation's backward: guard it like theirs.
        self.saves_output = ops[-1] is not Linear
        return h

    def backward(self, g: Any) -> tuple[Any, ...]:
        if isinstance(g, Tensor):  # create_graph: a gradient that is differentiable again
            return self._recorded_backward(g)
        need = self.needs_input_grad
        grads: list[Any] = [None] * len(need)
        index = len(need)  # the Linear layers' parameters, taken from the end
        lowest = 0 if need[0] else self._lowest_trainable()  # no gradient flows below it
        for position in range(len(self.layers) - 1, lowest - 1, -1):
            layer = self.layers[position]
            if type(layer) is not Linear:
                g = layer.backward(g)
                continue
            index -= 2
            has_bias = self.inputs[index + 1] is not None
            wanted = (position > lowest or need[0], need[index])
            layer.needs_input_grad = (*wanted, need[index + 1]) if has_bias else wanted
            g, grads[index], *bias = layer.backward(g)
            if has_bias:
                grads[index + 1] = bias[0]
        grads[0] = g if need[0] else None
        return tuple(grads)

    def _lowest_trainable(self) -> int:
        """The first Linear layer with a parameter that needs a gradient."""
        index = 1
        for position, op in enumerate(self.ops):
            if op is Linear:
                if self.needs_input_grad[index] or self.needs_input_grad[index + 1]:
                    return position
                index += 2
        return len(self.ops)

    def _recorded_backward(self, g: Tensor) -> tuple[Tensor | None, ...]:
        """The layers again as recorded ops, and their gradient by autograd, so that it can be
        differentiated once more."""
        from ..autograd.functional import composition_gradients

        def layers(x: Tensor, *params: Any) -> Tensor:
            return run_layers(self.ops, x, params)

        return composition_gradients(self.inputs, self.needs_input_grad, layers, [g])

    def release(self) -> None:
        super().release()
        self.layers = None


def run_layers(ops: Sequence[type[Node]], x: Tensor, params: Sequence[Any]) -> Tensor:
    """The layers as ops, one recorded node each: what the chain computes."""
    remaining = iter(params)
    for op in ops:
        if op is Linear:
            weight, bias = next(remaining), next(remaining)
            x = apply(Linear, x, weight) if bias is None else apply(Linear, x, weight, bias)
        else:
            x = apply(op, x)
    return x


def layer_chain(
    input: Tensor, params: Sequence[Any], ops: tuple[type[Node], ...], saves: tuple[int, ...]
) -> Tensor:
    """Run ``ops`` (``Linear`` or an activation in ``ACTIVATIONS``) in turn on a 2-D ``input``,
    taking each Linear's weight and bias from ``params``, as one recorded node.

    Example:
        >>> import nerve
        >>> from nerve.ops.chain import layer_chain
        >>> w, b = nerve.ones(3, 2, requires_grad=True), nerve.zeros(3, requires_grad=True)
        >>> out = layer_chain(nerve.ones(4, 2), [w, b], (Linear, Relu), saves=(1, 2))
        >>> out.shape, out.grad_fn.name()
        (nerve.Size([4, 3]), 'LayerChainBackward0')
    """
    return apply(LayerChain, input, *params, ops=ops, saves=saves)
