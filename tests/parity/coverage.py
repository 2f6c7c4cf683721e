"""Which graph-node classes the parity checks exercised, and which node classes nerve has.

Every check of this package that compares gradients (against torch, or against finite
differences) calls :func:`record` on the outputs it differentiates: the graph behind them is
walked through ``grad_fn.next_functions`` (torch's public view of the graph) and the class of
each node is noted with how it was checked. The registry lives for the whole pytest session.

:func:`node_classes` finds every graph-node class at run time: it imports each module of the
``nerve`` package and walks the subclasses of ``nerve.autograd.node.Node``, so node classes
that are renamed or moved are found where they now live.

``tests/test_node_coverage.py`` compares the two at the end of a full run.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable
from typing import Any

# node class -> how it was checked ("torch", "torch, second order", "finite differences", ...)
COVERED: dict[type, set[str]] = {}

# Node classes that no gradient check can cover, by class name, each with the reason. The
# meta-test also fails on an entry that names no node class (renamed or removed), so that
# this list cannot hide a class that is no longer what it says.
NOT_CHECKED: dict[str, str] = {
    "AccumulateGrad": (
        "the engine's leaf node: it stores the incoming gradient in leaf.grad and has no"
        " derivative of its own (every gradient check reads what it stored)"
    ),
    "Binary": (
        "the shared forward of the binary arithmetic ops (Add, Mul, Maximum...); it is never"
        " recorded itself, only its subclasses are"
    ),
    "ZeroGrad": (
        "the shared forward and zero gradient of Sign, Floor, Ceil, Round and Trunc; it is"
        " never recorded itself, only those subclasses are"
    ),
}


def record(
    outputs: Iterable[Any] | Any, how: str, into: dict[type, set[str]] | None = None
) -> None:
    """Note the class of every node in the graphs behind ``outputs`` (tensors, or nested
    tuples and lists of them) as checked by ``how``, in ``into`` (by default the session's
    registry, :data:`COVERED`)."""
    registry = COVERED if into is None else into
    stack = [node for node in _grad_fns(outputs)]
    seen: set[int] = set()  # ids of nodes visited; the graph keeps them alive meanwhile
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        registry.setdefault(type(node), set()).add(how)
        stack.extend(parent for parent, _ in node.next_functions if parent is not None)


def _grad_fns(outputs: Any) -> list[Any]:
    if isinstance(outputs, (tuple, list)):
        return [node for item in outputs for node in _grad_fns(item)]
    node = getattr(outputs, "grad_fn", None)
    return [] if node is None else [node]


def import_nerve() -> list[str]:
    """Import every module of the ``nerve`` package (so that every node class is defined);
    return ``"module: error"`` for each module that could not be imported."""
    import nerve

    failures: list[str] = []

    def failed(name: str) -> None:  # a package whose __init__ raised
        failures.append(f"{name}: could not import the package")

    for info in pkgutil.walk_packages(nerve.__path__, "nerve.", onerror=failed):
        if info.name.rsplit(".", 1)[-1] == "__main__":  # runs a program when imported
            continue
        try:
            importlib.import_module(info.name)
        except Exception as error:  # noqa: BLE001 - reported by the meta-test, not hidden
            failures.append(f"{info.name}: {type(error).__name__}: {error}")
    return failures


def node_classes() -> list[type]:
    """Every subclass of ``nerve.autograd.node.Node`` defined in the ``nerve`` package, after
    :func:`import_nerve` (sorted by module and name)."""
    from nerve.autograd.node import Node

    found: set[type] = set()
    stack = [Node]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                stack.append(sub)
    ours = [cls for cls in found if cls.__module__.split(".")[0] == "nerve"]
    return sorted(ours, key=lambda cls: (cls.__module__, cls.__qualname__))


def qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"
