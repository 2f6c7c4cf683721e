"""The replay of a recorded forward as one graph node.

:class:`Replay` is an op like any other (``nerve.ops.chain.LayerChain`` is its hand-written
cousin for a run of layers): its inputs are the compiled module's arguments and the parameters
its ops read, its forward runs the recorded ops' own ``forward`` kernels in order over raw
arrays, and its backward runs the same ops' own ``backward`` formulas in the eager engine's
order, summing partial gradients as the engine does. No tensor and no graph node is made per
op, and there is no arithmetic here that is not an op's: the numbers are bit for bit eager's.

Because it is recorded like any node (edges to the parameters' accumulators, version counters
of what it reads), everything around it is the eager engine's business and behaves as before:
``.grad`` accumulation, hooks on parameters, the error for a tensor changed in place before
``backward``, ``retain_graph``, ``autograd.grad`` with respect to the parameters, and
``create_graph`` (then the ops run again as recorded nodes, so that the gradient can itself be
differentiated).
"""

from __future__ import annotations

from typing import Any

from ..autograd.node import Node, _new, apply
from ..tensor import Tensor
from .record import _CONSTANTS, Plan


class Replay(Node):
    """Inputs: the compiled module's arguments, then the parameters its ops read."""

    # Every input tensor is kept (the create_graph path runs the ops again on them); only those
    # that some recorded op reads in its backward are checked for in-place changes.
    saves = None

    def forward(self, *arrays: Any, plan: Plan) -> Any:
        self.plan = plan
        self.saves_output = plan.saves_output
        values = list(arrays)
        values += plan.constants
        nodes: list[Node | None] = []
        for step in plan.steps:
            node = _new(step.op)
            reads = [values[i] for i in step.reads]
            out = node.forward(*reads, **step.params)
            if step.needs is None:  # eager mode would not record it: nothing to keep
                nodes.append(None)
            else:  # what eager mode's recording keeps, as raw arrays (no inputs for an op
                # whose backward reads none: they would outlive the forward for nothing)
                node.inputs = tuple(reads) if node.keeps_inputs else None
                node.needs_input_grad = step.needs
                if node.saves_output:
                    node.out = out
                if node.keeps_shapes:
                    node.shapes = tuple(None if type(x) in _CONSTANTS else x.shape for x in reads)
                nodes.append(node)
            values.append(out)
            for slot in step.drops:
                values[slot] = None
        self.nodes = nodes
        return values[plan.out]

    def backward(self, g: Any) -> tuple[Any, ...]:
        if isinstance(g, Tensor):  # create_graph: a gradient that is differentiable again
            return self._recorded_backward(g)
        plan, nodes, steps = self.plan, self.nodes, self.plan.steps
        grads: list[Any] = [None] * (plan.out + 1)
        grads[plan.out] = g
        for k in plan.backward_order:
            step = steps[k]
            g = grads[step.out]
            if g is None:
                continue
            # every op reading this output ran its backward already (latest first): the sum is
            # final, and dropping it here lets its memory go as soon as eager mode's would
            grads[step.out] = None
            input_grads = nodes[k].backward(g)  # type: ignore[union-attr]
            if type(input_grads) is not tuple:
                input_grads = (input_grads,)
            for slot, need, grad in zip(step.reads, step.needs, input_grads):  # type: ignore[arg-type]
                if need and grad is not None:  # summed as the engine sums: existing + new
                    grads[slot] = grad if grads[slot] is None else grads[slot] + grad
        return tuple(grads[: plan.n_inputs])

    def _recorded_backward(self, g: Tensor) -> tuple[Tensor | None, ...]:
        """The recorded ops again as graph nodes, and their gradient by autograd, so that it can
        be differentiated once more (as ``LayerChain`` does)."""
        from ..autograd.functional import composition_gradients

        plan = self.plan

        def steps(*inputs: Tensor) -> Tensor:
            values: list[Any] = [*inputs, *plan.constants]
            for step in plan.steps:
                values.append(apply(step.op, *[values[i] for i in step.reads], **step.params))
            return values[plan.out]

        return composition_gradients(self.inputs, self.needs_input_grad, steps, [g])

    def check_versions(self) -> None:
        # the inputs that the ops' backward formulas read (eager mode checks those only)
        self.saves = self.plan.saves
        try:
            super().check_versions()
        finally:
            self.saves = None

    def release(self) -> None:
        """Free the ops' saved arrays after ``backward``, when eager mode would free some."""
        if not self.plan.frees:
            return
        self.inputs = self.out = self.nodes = None
        self.freed = True

    def name(self) -> str:
        return "ReplayBackward0"
