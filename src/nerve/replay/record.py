"""Recording a module's forward once, eagerly, into a :class:`Plan` that can be replayed.

While :func:`record` runs the module, ``nerve.autograd.node.tape`` is a :class:`Tape`: every op
the forward applies still runs exactly as in eager mode (the same kernel, the same graph node
when a gradient is needed), and the tape notes the op, its inputs and keyword parameters, and
the node. The eager result is what the caller gets, so a first call is eager by definition.

From the tape, :func:`plan_from` builds the plan: every array the forward reads is a *slot*
(the module's arguments, then the parameters the ops read, then constants, then one slot per
op output), each op lists the slots it reads, and the backward order is the eager engine's own
order of the recorded nodes (latest recorded first). A forward is replayable only when
everything it read can be named this way. Anything else (a tensor made outside an op, such as
Dropout's random mask; an in-place write; a view returned to the user) makes the plan
``None``, and that signature runs eagerly from then on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from threading import get_ident
from typing import Any

from ..autograd import node as node_module
from ..autograd.grad_mode import state
from ..autograd.node import Node, _init, _new, _record
from ..tensor import Tensor

# Python values an op may take as a constant operand (anything else makes the forward
# unreplayable: an array passed directly would be frozen into the plan).
_CONSTANTS = (int, float, bool, complex, str, type(None))


class Tape:
    """What the ops of one eager forward did: ``(op, inputs, params, node, result)`` each."""

    def __init__(self) -> None:
        self.entries: list[tuple[type[Node], tuple[Any, ...], dict[str, Any], Node, Tensor]] = []
        self.thread = get_ident()

    def apply(self, op: type[Node], inputs: tuple[Any, ...], params: dict[str, Any]) -> Tensor:
        """``nerve.autograd.node.apply``, step for step, noting the op and its node (only the
        recording thread's: the hook is global, another thread's ops just run)."""
        node = _new(op)
        out = node.forward(*[x._data if isinstance(x, Tensor) else x for x in inputs], **params)
        result = None
        if state.enabled:
            for x in inputs:
                if isinstance(x, Tensor) and x.requires_grad:
                    result = _record(node, inputs, out)
                    break
        if result is None:
            result = _new(Tensor)
            _init(result, out)
        if get_ident() == self.thread:
            self.entries.append((op, inputs, params, node, result))
        return result


def record(forward: Callable[[], Any]) -> tuple[Any, Tape]:
    """Run ``forward()`` eagerly with a tape on; its result and the tape."""
    if node_module.tape is not None:  # a compiled module inside another one: record once
        return forward(), Tape()
    tape = node_module.tape = Tape()
    try:
        return forward(), tape
    finally:
        node_module.tape = None


@dataclass
class Step:
    """One op of the plan: its class, the slots of its operands, its keyword parameters, where
    its output goes, and (when eager mode recorded it) what its backward needs."""

    op: type[Node]
    reads: tuple[int, ...]
    params: dict[str, Any]
    out: int
    needs: tuple[bool, ...] | None  # None: the op was not recorded (no gradient flows)
    # the outputs of earlier ops that no later op reads: dropped once this op has run, so that
    # the replay holds no more memory than eager mode, which frees an unsaved output then
    drops: tuple[int, ...] = ()


@dataclass
class Plan:
    """A replayable forward. Slots: ``n_inputs`` tensors (the arguments, then parameters),
    then ``constants``, then one per step. ``backward_order`` indexes ``steps``."""

    n_args: int
    params: list[Tensor]
    constants: list[Any]
    steps: list[Step]
    out: int
    backward_order: list[int]
    saves: tuple[int, ...]  # the Replay node's inputs that some recorded op reads in backward
    saves_output: bool
    frees: bool  # whether eager mode's backward frees some node's saved arrays

    @property
    def n_inputs(self) -> int:
        return self.n_args + len(self.params)


def plan_from(
    tape: Tape, args: Sequence[Tensor], owned: Sequence[Tensor], result: Any, versions: list[int]
) -> Plan | None:
    """The plan of a recorded forward, or None when it cannot be replayed. ``owned`` are the
    module's parameters and buffers; ``versions`` the arguments' and owned tensors' version
    counters before the forward (an in-place write during it makes it unreplayable)."""
    known = list(args) + list(owned)
    if [t._version for t in known] != versions or not isinstance(result, Tensor):
        return None
    # Where each tensor comes from, by id (the tape keeps them all alive, so ids are stable):
    # ("arg", i), ("param", j) for the j-th owned tensor the ops read, or ("op", k).
    source: dict[int, tuple[str, int]] = {id(t): ("arg", i) for i, t in enumerate(args)}
    used: list[Tensor] = []  # the owned tensors that the ops read, in order of first use
    owned_ids = {id(t) for t in owned}
    reads_of: list[list[tuple[str, int]]] = []
    constants: list[Any] = []
    for k, (op, inputs, _params, _node, out) in enumerate(tape.entries):
        if op.n_outputs != 1 or out._version != 0:  # changed in place later in the forward
            return None
        reads: list[tuple[str, int]] = []
        for x in inputs:
            if isinstance(x, Tensor):
                if id(x) not in source:
                    if id(x) not in owned_ids:
                        return None  # made outside an op (a random mask, a new tensor)
                    source[id(x)] = ("param", len(used))
                    used.append(x)
                reads.append(source[id(x)])
            elif type(x) in _CONSTANTS:
                reads.append(("const", len(constants)))
                constants.append(x)
            else:
                return None
        reads_of.append(reads)
        source[id(out)] = ("op", k)
    kind, out_step = source.get(id(result), ("none", -1))
    if kind != "op" or result._base is not None:
        return None  # the forward returned an argument, a parameter, a view or a new tensor
    n_args, n_used = len(args), len(used)
    first_step = n_args + n_used + len(constants)
    offsets = {"arg": 0, "param": n_args, "const": n_args + n_used, "op": first_step}

    steps: list[Step] = []
    node_index: dict[Node, int] = {}
    saves: set[int] = set()
    frees = False
    for k, ((op, _inputs, params, node, out), reads) in enumerate(zip(tape.entries, reads_of)):
        slots = tuple(offsets[kind] + index for kind, index in reads)
        recorded = out.grad_fn is node
        needs = node.needs_input_grad if recorded else None
        steps.append(Step(op, slots, params, first_step + k, needs))
        if recorded:
            node_index[node] = k
            frees = frees or node.keeps_inputs or bool(node.saves_output)
            read = range(len(slots)) if node.saves is None else node.saves
            saves.update(slots[i] for i in read if slots[i] < n_args + n_used)
    last_reader = {slot: k for k, step in enumerate(steps) for slot in step.reads}
    for slot, k in last_reader.items():
        if slot >= first_step and slot != first_step + out_step:
            steps[k].drops += (slot,)
    last = tape.entries[out_step][3]
    # The eager engine's own order, restricted to this forward's ops: latest recorded first
    # (see autograd/engine.py), so partial gradients are summed in the order eager mode sums
    # them and the sums are bit for bit the same. An op the output does not depend on gets no
    # gradient, and the replay skips it as the engine never reaches it.
    order = []
    if last in node_index:  # (ops recorded after the output cannot reach it)
        order = sorted((k for k in node_index.values() if k <= out_step), reverse=True)
    return Plan(
        n_args=n_args,
        params=used,
        constants=constants,
        steps=steps,
        out=first_step + out_step,
        backward_order=order,
        saves=tuple(sorted(saves)),
        saves_output=last in node_index and bool(last.saves_output),
        frees=frees,
    )
