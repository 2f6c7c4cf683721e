"""Graph nodes: the autograd level of the lecture's three levels of a framework.

Every differentiable op is a small :class:`Node` subclass with

* ``forward(self, *arrays, **params)`` over raw NumPy/CuPy arrays (Python scalars pass through),
  returning the output array, and
* ``backward(self, grad)``, the op's derivative written once, returning one gradient per input
  (``None`` where an input needs none).

The one backward runs on two kinds of values. When the backward pass is not recorded (the usual
``loss.backward()``), ``grad``, :meth:`Node.input` and :meth:`Node.output` are raw arrays, so a
step of the chain rule costs only its arithmetic. Under ``create_graph=True`` they are tensors,
so the same formula records a graph of its own and higher-order gradients come for free.
Python's operators work on both; a backward that needs another op calls :func:`run` (and
``nerve.ops.dual`` holds the few helpers spelled differently for arrays and tensors).

:func:`apply` runs ``forward`` and, only when grad mode is on and some input requires a
gradient, records the node as the output's ``grad_fn``. The engine (``engine.py``) walks the
recorded nodes latest first (by :attr:`Node.sequence_nr`) and sums the partial gradients of
each node once.
"""

from __future__ import annotations

import weakref
from itertools import count
from typing import Any

from ..tensor import Tensor, _init
from .anomaly import creation_trace
from .grad_mode import state

Edge = tuple["Node", int]

# Every recorded node gets the next number: a node's inputs were all recorded before it, so
# nodes taken in decreasing number come after every node that sends them a gradient. The engine
# runs them in that order (as torch's engine orders its ready nodes by sequence number).
_sequence = count()


class Node:
    """A recorded op. Subclasses set ``saves`` (which inputs backward reads) and
    ``saves_output`` (whether backward reads the forward's output)."""

    # Indices of the inputs that backward reads, checked against in-place changes; None: all.
    saves: tuple[int, ...] | None = None
    # Whether backward reads the output (then ``self.output()`` returns it as a tensor).
    saves_output = False
    n_outputs = 1
    # Whether the engine needs the inputs' shapes (``self.shapes``, None for Python scalars):
    # set only when the op is recorded, so that unrecorded ops do no work for it.
    keeps_shapes = False

    inputs: tuple[Any, ...] | None
    next_edges: tuple[Edge | None, ...]
    needs_input_grad: tuple[bool, ...]

    def forward(self, *args: Any, **params: Any) -> Any:
        raise NotImplementedError

    def backward(self, grad: Any) -> Any:
        raise NotImplementedError(f"{self.name()} is not differentiable")

    # -- what backward reads: arrays, or tensors when the backward is recorded ------------

    def input(self, index: int) -> Any:
        """Input ``index`` as the backward formula sees it: its array, or under
        ``create_graph`` the tensor itself (Python scalars and None pass through)."""
        x = self.inputs[index]
        return x._data if not state.enabled and isinstance(x, Tensor) else x

    def output(self) -> Any:
        """The forward's output (for ops with ``saves_output``): its array, or under
        ``create_graph`` a tensor that is part of the graph (it depends on the inputs)."""
        if not state.enabled:
            return self.out
        out = Tensor._make(self.out)
        out.requires_grad = True
        out.grad_fn = self
        return out

    def name(self) -> str:
        return f"{type(self).__name__}Backward0"

    def _sequence_nr(self) -> int:
        """When the node was recorded, as a number that grows with each recorded op (torch's
        ``grad_fn._sequence_nr()``)."""
        return self.sequence_nr

    def __repr__(self) -> str:
        return f"<{self.name()} object at {id(self):#x}>"

    @property
    def next_functions(self) -> tuple[tuple[Node | None, int], ...]:
        """torch's view of the graph: the nodes this one sends gradients to."""
        return tuple(edge if edge is not None else (None, 0) for edge in self.next_edges)

    # -- bookkeeping used by the engine ---------------------------------------------------

    freed = False
    sequence_nr = -1  # set when recorded (see _sequence)
    trace: str | None = None
    retained: list[tuple[int, Any]] | None = None  # (output index, weakref to a retain_grad tensor)
    pre_hooks: list[tuple[int, Any]] | None = None  # (output index, hook) from register_hook

    def check_versions(self) -> None:
        """Raise torch's error when a tensor that backward needs was changed in place."""
        inputs = self.inputs
        if inputs is not None:
            versions = self.saved_versions
            for index in range(len(inputs)) if self.saves is None else self.saves:
                saved = versions[index]
                if saved is None:  # a Python scalar
                    continue
                # A tensor without a counter was never changed in place (the common case).
                counter = inputs[index]._vc
                if counter is not None and counter[0] != saved:
                    _raise_version_error(inputs[index], saved, self)
        if self.saves_output and self.out_counter[0] != self.out_version:
            _raise_version_error(None, self.out_version, self, self.out_counter[0])

    @property
    def keeps_inputs(self) -> bool:
        """Whether recording keeps the inputs: backward reads some (``saves``)."""
        return self.saves is None or bool(self.saves)

    def release(self) -> None:
        """Free what backward read, so that memory goes back after ``backward()``."""
        # (keeps_inputs or saves_output, written out on this path the engine runs per node)
        if self.saves is None or self.saves or self.saves_output:
            self.inputs = None
            self.out = None
            self.freed = True


class AccumulateGrad(Node):
    """The node of a leaf tensor: accumulates the incoming gradient into ``leaf.grad``."""

    saves = ()
    next_edges = ()

    def __init__(self, leaf: Tensor) -> None:
        # A weak reference: the leaf owns this node, not the other way round, so no cycle.
        self.variable = weakref.ref(leaf)
        self.needs_input_grad = ()

    def name(self) -> str:
        return "AccumulateGrad"


def edge_of(tensor: Tensor) -> Edge:
    """Where the gradient of ``tensor`` must go: its grad_fn, or its leaf accumulator."""
    node = tensor.grad_fn
    if node is not None:
        return (node, tensor._output_nr)
    accumulator = tensor._accumulator
    if accumulator is None:
        accumulator = tensor._accumulator = AccumulateGrad(tensor)
    return (accumulator, 0)


# Set only while ``nerve.compile`` records the ops of a module's forward (nerve/replay/
# record.py): it then runs each op itself, as below, and notes what ran. None otherwise.
tape: Any = None


def apply(op: type[Node], *inputs: Any, **params: Any) -> Tensor:
    """Run ``op`` on ``inputs`` (tensors or Python scalars) and record it when needed."""
    if tape is not None:
        return tape.apply(op, inputs, params)
    node = _new(op)
    out = node.forward(*[x._data if isinstance(x, Tensor) else x for x in inputs], **params)
    if state.enabled:
        for x in inputs:
            if isinstance(x, Tensor) and x.requires_grad:
                return _record(node, inputs, out)
    result = _new(Tensor)
    _init(result, out)
    return result


_new = object.__new__


def apply_outputs(op: type[Node], *inputs: Any, **params: Any) -> tuple[Tensor, ...]:
    """Run ``op``, whose forward returns a tuple of arrays, as one node with that many outputs
    (tensor ``i`` is its output number ``i``; the backward gets one gradient per output, None
    for those that received none). The op keeps no output (``saves_output`` is not honoured),
    and ``nerve.compile`` does not record it (a forward that uses it runs eagerly)."""
    node = _new(op)
    outs = node.forward(*[x._data if isinstance(x, Tensor) else x for x in inputs], **params)
    node.n_outputs = len(outs)
    if state.enabled:
        for x in inputs:
            if isinstance(x, Tensor) and x.requires_grad:
                results = [_record(node, inputs, outs[0])]
                for nr in range(1, len(outs)):
                    result = _new(Tensor)
                    _init(result, outs[nr], node)
                    result._output_nr = nr
                    results.append(result)
                return tuple(results)
    return tuple(Tensor._make(out) for out in outs)


def run(op: type[Node], *inputs: Any, **params: Any) -> Any:
    """Another op inside a formula: on arrays its forward kernel (nothing recorded, no tensor
    made), on tensors the op itself, recorded as usual. A backward written with it runs on
    arrays, and under ``create_graph`` on tensors, so the gradient is differentiated in turn.
    Example, the gradient of ``tril``: ``run(Triangle, g, diagonal=k, lower=True)``."""
    for x in inputs:
        if isinstance(x, Tensor):
            return apply(op, *inputs, **params)
    return _new(op).forward(*inputs, **params)


def _record(node: Node, inputs: tuple[Any, ...], out: Any) -> Tensor:
    # One pass over the inputs (this runs for every recorded op, so it avoids generators).
    edges, needs, versions = [], [], []
    for x in inputs:
        if isinstance(x, Tensor):
            if x.requires_grad:
                fn = x.grad_fn
                edges.append(edge_of(x) if fn is None else (fn, x._output_nr))
                needs.append(True)
            else:
                edges.append(None)
                needs.append(False)
            counter = x._vc
            versions.append(0 if counter is None else counter[0])
        else:  # a Python scalar operand
            edges.append(None)
            needs.append(False)
            versions.append(None)
    node.next_edges = tuple(edges)
    node.needs_input_grad = tuple(needs)
    node.sequence_nr = next(_sequence)
    if node.keeps_shapes:
        node.shapes = tuple(x._data.shape if isinstance(x, Tensor) else None for x in inputs)
    if node.saves is None or node.saves:  # (keeps_inputs, written out on this hot path)
        node.inputs = inputs
        node.saved_versions = tuple(versions)
    else:
        node.inputs = None
    result = _new(Tensor)
    _init(result, out, node)
    if node.saves_output:
        node.out = result._data
        node.out_counter = result._counter()
        node.out_version = node.out_counter[0]
    if state.anomaly:
        node.trace = creation_trace()
    return result


def _raise_version_error(
    tensor: Tensor | None, expected: int, node: Node, current: int = -1
) -> None:
    what = "the output" if tensor is None else f"a tensor of shape {list(tensor.shape)}"
    now = current if tensor is None else tensor._version
    raise RuntimeError(
        "one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: {what}, saved by {node.name()}, is at version {now}; expected "
        f"version {expected} instead. Hint: replace the in-place op (such as add_ or x[...] = v) "
        "by its out-of-place form, or clone the tensor before changing it."
    )
