"""``CompiledModule``: a module whose forward is replayed while its structure repeats, with the
guards that decide when it may be.

A call is replayed only when all of these hold, and runs eagerly otherwise:

* grad mode is on, anomaly mode is off, no keyword arguments, every argument a tensor, and
  no other module is being recorded;
* the module tree is unchanged since the plan was recorded: the same module objects of the same
  types, the same parameters, buffers and children, the same simple attributes (``training``,
  a layer's options such as ``negative_slope``, whether a hook is registered) and
  ``nn.Sequential.fuse_layers``;
* every module in the tree is of a type whose forward is known to be a fixed sequence of ops
  (:data:`REPLAYABLE`), with no hook and no replaced ``forward``: a forward written in Python
  may branch on values or on state that a recorded plan cannot see;
* the arguments and parameters have the shapes, dtypes, array types and ``requires_grad`` of
  the recording, and the recording itself was replayable (see ``record.py``).

Plans are kept per signature (a last, smaller batch gets its own), at most :data:`MAX_PLANS`.
"""

from __future__ import annotations

from operator import is_
from typing import Any

from ..autograd import node as node_module
from ..autograd.grad_mode import state
from ..autograd.node import apply
from ..nn import (
    CELU,
    ELU,
    GELU,
    SELU,
    AdaptiveAvgPool2d,
    AvgPool2d,
    Conv1d,
    Conv2d,
    Dropout,
    Flatten,
    Hardsigmoid,
    Hardtanh,
    Identity,
    LeakyReLU,
    Linear,
    LogSigmoid,
    MaxPool2d,
    Mish,
    ReLU,
    Sequential,
    Sigmoid,
    SiLU,
    Softmax2d,
    Softmin,
    Softplus,
    Softsign,
    Tanh,
    Tanhshrink,
)
from ..nn.fused import kept_chain
from ..nn.module import Module
from ..nn.module_tree import EDITS, class_forwards, same_forwards
from ..tensor import Tensor
from .node import Replay
from .record import Plan, plan_from, record

# Layer types whose forward is a fixed sequence of ops on the input and the layer's own
# parameters (their options are guarded as attributes). Dropout is listed because in
# evaluation it is the identity; in training its random mask is made outside an op, so the
# recording finds it unreplayable and it runs eagerly, drawing the same random numbers.
# (Hardswish, Threshold and the shrinks compare values, and a comparison's result is made
# outside an op: a plan of them would be found unreplayable, so they are not listed.)
# AdaptiveAvgPool2d is a mean or an average pool for windows that tile the input (its shape is
# in the plan's signature); uneven windows use averaging matrices made outside an op, so such a
# forward is found unreplayable in the same way.
REPLAYABLE: tuple[type[Module], ...] = (
    Sequential,
    Linear,
    ReLU,
    Sigmoid,
    Tanh,
    LeakyReLU,
    ELU,
    GELU,
    SiLU,
    Softplus,
    Hardtanh,
    SELU,
    CELU,
    Hardsigmoid,
    Mish,
    Softsign,
    LogSigmoid,
    Tanhshrink,
    Softmin,
    Softmax2d,
    Identity,
    Flatten,
    Conv1d,
    Conv2d,
    MaxPool2d,
    AvgPool2d,
    AdaptiveAvgPool2d,
    Dropout,
)
_FORWARDS = {cls: cls.forward for cls in REPLAYABLE}  # to notice a replaced forward
MAX_PLANS = 16
_SIMPLE = (bool, int, float, str, tuple, type(None))
_MISSING = object()


def _known_forward(module: Module) -> bool:
    """Whether calling ``module`` runs its type's own forward, one of :data:`REPLAYABLE`'s,
    with no hook around it (not replaced on the instance or on the class)."""
    kind = type(module)
    return (
        _FORWARDS.get(kind) is kind.forward
        and "forward" not in module.__dict__
        and not module._hooked
    )


class Structure:
    """A snapshot of a module tree: what a plan depends on besides its arguments.

    A module's parameters, buffers and children are mirrored into its instance dict (see
    ``nn.module._Registry``), as are ``training``, the layer's options and the flag that says
    whether a hook is registered: so the snapshot is each module's instance dict and the order
    of its children, and the check compares the identity of each value (no tensor math). That
    check runs only after some module somewhere changed (``nn.module_tree.EDITS`` moved; making
    a new module counts too): in a training loop nothing does, and the check is one comparison,
    and one per layer type for a ``forward`` replaced on the class."""

    def __init__(self, root: Module) -> None:
        self.edits = EDITS[0]
        owned: dict[int, Tensor] = {}
        fingerprint: list[Any] = []
        self.modules: list[tuple[Module, tuple[Any, ...]]] = []
        self.supported = True
        for module in root.modules():
            attrs, kind = module.__dict__, type(module)
            # the children's order too: the instance dict mirrors them, but not their order
            self.modules.append((module, (*attrs.values(), *module._modules)))
            # simple options by value (an equal value found again finds the same plans),
            # everything else (parameters, children, registries) by identity
            fingerprint.append(
                (kind, id(module), *module._modules)
                + tuple((k, v if type(v) in _SIMPLE else id(v)) for k, v in attrs.items())
            )
            if not _known_forward(module):
                self.supported = False
            for registry in (module._parameters, module._buffers):
                for tensor in registry.values():
                    if tensor is not None:
                        owned.setdefault(id(tensor), tensor)
        self.owned = list(owned.values())
        self.forwards = class_forwards(root.modules())
        self.fingerprint = tuple(fingerprint)
        self.code = -1
        try:
            hash(self.fingerprint)
        except TypeError:  # an option holding a list in a tuple: not a snapshot to trust
            self.supported = False

    def unchanged(self) -> bool:
        """Whether every module still has the attributes, parameters and children it had."""
        if not same_forwards(self.forwards):
            return False
        edits = EDITS[0]
        if edits == self.edits:
            return True  # no module anywhere changed since the last check
        for module, values in self.modules:
            now = (*module.__dict__.values(), *module._modules)
            if len(now) != len(values) or not all(map(is_, now, values)):
                return False
        self.edits = edits  # changes elsewhere only: this tree is as recorded
        return True


class CompiledModule(Module):
    """What :func:`nerve.compile` returns: calls ``module`` with recorded plans replayed (as
    torch's ``OptimizedModule``, the original is ``_orig_mod``, and its parameters are this
    module's under the prefix ``_orig_mod.``)."""

    def __init__(self, module: Module) -> None:
        super().__init__()
        self._orig_mod = module
        object.__setattr__(self, "_plans", {})
        object.__setattr__(self, "_codes", {})  # a small number per module-tree snapshot
        object.__setattr__(self, "_structure", None)
        # how many calls were replayed (the rest ran eagerly): for tests and the curious
        object.__setattr__(self, "replays", 0)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        module = self._orig_mod
        if kwargs or not state.enabled or state.anomaly or node_module.tape is not None:
            return module(*args, **kwargs)
        if type(module) is Sequential and module.fuse_layers and _known_forward(module):
            # (the kept decision reads its layers' forwards and hooks, not the Sequential's)
            # a plan of a call that runs as the Sequential's kept one-op chain would be that op:
            # the kept decision is checked for less than this module's guards
            out = kept_chain(module, args[0]) if len(args) == 1 else None
            if out is not None:
                object.__setattr__(self, "replays", self.replays + 1)
                return out
        structure = self._structure
        if structure is None or not structure.unchanged():
            structure = Structure(module)
            if structure.supported:  # the same snapshot again (eval, then train) finds its plans
                structure.code = self._codes.setdefault(structure.fingerprint, len(self._codes))
            object.__setattr__(self, "_structure", structure)
        if not structure.supported:
            return module(*args)
        key = _signature(args, structure)
        if key is None:
            return module(*args)
        plan = self._plans.get(key, _MISSING)
        if plan is _MISSING:
            return self._record(args, key, structure)
        if plan is None:
            return module(*args)
        object.__setattr__(self, "replays", self.replays + 1)
        if len(plan.steps) == 1:
            # One op (nn.Sequential's fused chain, say): that op itself, on the same tensors,
            # is the very node eager mode records; a Replay node around it would only add work.
            step, values = plan.steps[0], (*args, *plan.params, *plan.constants)
            return apply(step.op, *[values[i] for i in step.reads], **step.params)
        return apply(Replay, *args, *plan.params, plan=plan)

    def __getstate__(self) -> dict[str, Any]:
        # Plans and the snapshot describe this object's module tree (the snapshot holds its
        # modules' instance dicts): a copy, deep or unpickled, records plans of its own.
        state = dict(self.__dict__)
        state.update(_plans={}, _codes={}, _structure=None, replays=0)
        return state

    def _record(self, args: tuple[Tensor, ...], key: tuple[Any, ...], structure: Structure) -> Any:
        """The call, eagerly, with its ops recorded into a plan for the calls to come."""
        owned = structure.owned
        versions = [t._version for t in (*args, *owned)]
        result, tape = record(lambda: self._orig_mod(*args))
        plans: dict[Any, Plan | None] = self._plans
        if len(plans) >= MAX_PLANS:
            plans.clear()  # shapes that keep changing: keep the memory bounded
            self._codes.clear()
            structure.code = self._codes.setdefault(structure.fingerprint, 0)
            key = _signature(args, structure) or key  # under the snapshot's new number
        plans[key] = plan_from(tape, args, owned, result, versions)
        return result

    def plan_for(self, *args: Any) -> Plan | None:
        """The plan that a call with ``args`` would replay now (None: it would run eagerly)."""
        structure = self._structure
        if structure is None or not structure.unchanged():
            return None
        key = _signature(args, structure)
        return None if key is None else self._plans.get(key)


def _signature(args: tuple[Any, ...], structure: Structure) -> tuple[Any, ...] | None:
    """What a plan depends on: the module tree's snapshot, ``Sequential.fuse_layers``, and the
    array type, shape, dtype and ``requires_grad`` of each argument and parameter."""
    key: list[Any] = [structure.code, Sequential.fuse_layers]
    for x in args:
        if not isinstance(x, Tensor):
            return None
        data = x._data
        key.append((type(data), data.shape, data.dtype, x.requires_grad))
    for p in structure.owned:
        data = p._data
        key.append((type(data), data.shape, data.dtype, p.requires_grad))
    return tuple(key)
