"""``nerve.compile`` (package ``nerve.replay``): replay a recorded forward while a step repeats.

A training step on a small network spends most of its time on Python's bookkeeping, not on
arithmetic: module calls, a tensor and a graph node per op, checks that an input fits a layer.
When the step repeats with the same structure, all of that gives the same answer every time.
``nerve.compile(model)`` (torch's name and use) returns a module that

1. on the first call with a new signature runs ``model`` eagerly, as usual, with the ops it
   applies noted on a tape (``record.py``): which op, which operands, which options;
2. turns the tape into a *plan* (operands as numbered slots, the backward in the eager
   engine's own order), or into "not replayable" when the forward read something the tape
   cannot name (a tensor made outside an op, such as Dropout's random mask; an in-place write);
3. on later calls with the same signature checks its guards (``module.py``) and *replays*:
   one graph node (``node.py``) whose forward runs the recorded ops' own forward kernels
   over raw arrays, and whose backward runs the same ops' own backward formulas, with no
   tensor and no node made per op. A plan of a single op (``nn.Sequential``'s fused chain of
   Linear layers and activations, say) applies that op itself: the very node eager mode makes.
   A ``Sequential`` that eager mode keeps running as one chain (``nn.fused.kept_chain``), with
   its own ``forward`` and no hook of its own, gets that chain before the guards below are
   checked: its kept decision is the cheaper check.

There is no second copy of any formula: every kernel and derivative is the op's own, so the
numbers (outputs, ``.grad``, parameters after any number of optimizer steps) are bit for bit
those of eager mode. What the user can see of autograd stays the same: ``.grad`` is set by the
eager engine from the replay node's edges to the parameters, so parameter hooks, ``retain_grad``
on the output, ``autograd.grad``, ``retain_graph``, ``create_graph`` and the error for a tensor
changed in place before ``backward`` behave as before; only ``out.grad_fn`` is a
``ReplayBackward0`` node, as ``nn.Sequential``'s fused chain gives a ``LayerChainBackward0``.

When it falls back to eager mode (each call checked; nothing is ever replayed on a guess):
``no_grad`` or inference (no graph to save, eager is as fast), anomaly mode, keyword or
non-tensor arguments, a new shape, dtype or ``requires_grad`` of an argument or parameter, a
changed module tree (a replaced layer or parameter, ``train()``/``eval()``, a changed option, a
hook registered on a module, a replaced ``forward``), a module type outside
``nerve.replay.REPLAYABLE`` (a user-written ``forward`` may branch on values), and a
forward found unreplayable when recorded (Dropout in training: it then draws its random numbers
exactly as eager mode does).

What it does not do: the loss and the optimizer step run eagerly (the loss node and the
parameters' accumulators are ordinary nodes, visited by the eager engine); the backward
formulas return new arrays rather than writing into preallocated ones (that would take a second,
``out=`` copy of each derivative); the first call of each signature pays for the recording.
"""

from __future__ import annotations

from typing import Any

from ..nn.module import Module
from .module import REPLAYABLE, CompiledModule, Structure
from .node import Replay
from .record import Plan, Tape, plan_from, record

__all__ = [
    "REPLAYABLE",
    "CompiledModule",
    "Plan",
    "Replay",
    "Structure",
    "Tape",
    "compile",
    "plan_from",
    "record",
]


def compile(  # noqa: A001 - torch's name
    model: Module,
    *,
    fullgraph: bool = False,
    dynamic: bool | None = None,
    backend: Any = "replay",
    mode: str | None = None,
    options: dict[str, Any] | None = None,
    disable: bool = False,
) -> Module:
    """A module that replays ``model``'s recorded forward while its structure repeats
    (torch.compile's signature; the options that pick a compiler backend in torch are
    accepted and change nothing, there is one way to replay here).

    ``disable=True`` returns ``model`` itself, as torch does.

    Example:
        >>> import nerve
        >>> from nerve import nn
        >>> model = nerve.compile(nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1)))
        >>> x = nerve.ones(4, 2)
        >>> first = model(x)   # eager, recorded
        >>> again = model(x)   # replayed
        >>> model.replays, bool((first == again).all())
        (1, True)
    """
    if not isinstance(model, Module):
        raise TypeError(
            f"nerve.compile expects an nn.Module (a model), got {type(model).__name__}; "
            "compiling a plain function is not supported: call it directly"
        )
    if disable:
        return model
    return CompiledModule(model)
