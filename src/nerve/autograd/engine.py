"""The backward engine: reverse-mode differentiation over the recorded graph.

The chain rule, applied once per node: the partial gradients that reach a node are summed
before its ``backward`` runs, and leaves accumulate into ``.grad``. Gradients are raw arrays
unless the backward is recorded (``create_graph``), when they are tensors.

The order needs no search of the graph. Every recorded node has a sequence number, and a node
is recorded after all the nodes it reads from. So a node's consumers all have higher numbers,
and taking waiting nodes highest number first (a heap, as torch's engine orders its ready
queue) runs each node only after every gradient that reaches it has arrived. The leaves are
accumulated last, in the order their first gradient arrived (torch accumulates a leaf as soon
as its last gradient is in; the sums are the same, only a hook that reads another leaf's
``.grad`` mid-pass can tell).

When the nodes form a path, each sending gradients to at most one other node that is not a
leaf (a training step's ``loss -> model``, a plain ``nn.Sequential``), they simply run in turn,
in that same order, with no queue and no table of partial gradients. Only ``autograd.grad`` and
``backward(inputs=...)`` walk the graph first (iteratively, so a chain of 100,000 ops needs no
recursion), to skip the nodes that lead to none of the tensors asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from heapq import heappop, heappush
from typing import Any

import numpy as np

from ..tensor import Tensor, _init
from .grad_mode import state
from .node import AccumulateGrad, Node, edge_of

_new = object.__new__

_FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)


def topological_order(roots: Sequence[Node]) -> list[Node]:
    """Nodes reachable from ``roots``, each after every node that sends it a gradient."""
    order: list[Node] = []
    seen: set[Node] = set()
    for root in roots:
        if root in seen:
            continue
        seen.add(root)
        stack = [(root, iter(root.next_edges))]
        while stack:
            node, children = stack[-1]
            for edge in children:
                if edge is not None and edge[0] not in seen:
                    child = edge[0]
                    seen.add(child)
                    stack.append((child, iter(child.next_edges)))
                    break
            else:
                stack.pop()
                order.append(node)
    order.reverse()
    return order


def run_backward(
    outputs: Sequence[Tensor],
    grad_outputs: Sequence[Tensor],
    retain_graph: bool,
    create_graph: bool,
    capture: Sequence[Tensor] | None = None,
    accumulate: bool = True,
) -> list[Tensor | None] | None:
    """Backpropagate ``grad_outputs`` from ``outputs``.

    With ``accumulate`` the gradients of leaves go into their ``.grad`` (``Tensor.backward``);
    ``capture`` lists tensors whose gradients are returned instead (``autograd.grad``), or
    restricts accumulation to them (``backward(inputs=...)``). A plain ``backward()`` of one
    output whose graph is a path takes :func:`_run_path`; everything else the general
    :class:`_Pass`.
    """
    if not create_graph and capture is None and not state.anomaly and len(outputs) == 1:
        node, nr = edge_of(outputs[0])
        path = _path_from(node)
        if path is not None:  # loss.backward() on a chain of nodes: no queue needed
            _run_path(path, nr, grad_outputs[0]._data, retain_graph)
            return None
    if capture is not None and not capture:  # torch's error, for grad() and backward() alike
        caller = "backward" if accumulate else "grad"
        raise RuntimeError(f"`inputs` argument to `{caller}()` cannot be empty.")
    return _run_pass(outputs, grad_outputs, retain_graph, create_graph, capture, accumulate)


def _run_pass(
    outputs: Sequence[Tensor],
    grad_outputs: Sequence[Tensor],
    retain_graph: bool,
    create_graph: bool,
    capture: Sequence[Tensor] | None,
    accumulate: bool,
) -> list[Tensor | None] | None:
    """The general pass (:class:`_Pass`) over any graph, with run_backward's arguments."""
    backward = _Pass(outputs, grad_outputs, create_graph, capture, accumulate)
    previous_mode = state.enabled
    state.enabled = create_graph  # what the backward formulas compute is recorded, or not
    try:
        grads, waiting = backward.grads, backward.waiting
        while waiting:  # the waiting node recorded last: all its gradients are in
            node = heappop(waiting)[1]
            backward.visit(node, grads.pop(node), retain_graph)
        for leaf in backward.leaves:
            backward.visit_leaf(leaf, grads.pop(leaf)[0])
    finally:
        state.enabled = previous_mode
    return backward.captured_grads()


def backward_from_scalar(output: Tensor, retain_graph: bool) -> bool:
    """``loss.backward()`` with nothing else asked, for a 0-d loss on a graph (the training
    loop's call): seeded with a one, then run by :func:`_run_path` when the graph is a path,
    else by the general pass (the path is looked for once). False, with nothing done, for any
    other case (a tensor of more than one value, a leaf, anomaly mode), which
    :func:`run_backward` then takes."""
    data, node = output._data, output.grad_fn
    if node is None or state.anomaly or type(data) is not np.ndarray or data.ndim:
        return False
    seed = np.array(1, data.dtype)
    path = _path_from(node)
    if path is None:
        _run_pass([output], [Tensor._make(seed)], retain_graph, False, None, True)
    else:  # the seed is the engine's own array, which no caller keeps: nothing is claimed yet
        _run_path(path, output._output_nr, seed, retain_graph, set())
    return True


def _path_from(node: Node | None) -> list[Node] | None:
    """The nodes from ``node`` down when they form a path: each sends gradients to at most one
    other node that is not a leaf (``loss -> model``, the usual training step, is one). None
    for any other graph, and for a leaf.

    On a path every node has one node above it, so it runs right after that one, with the one
    gradient it gets; there is nothing to order or to wait for."""
    if type(node) is AccumulateGrad:
        return None  # (the nodes below one are never leaves: those edges are skipped)
    path: list[Node] = []
    while node is not None:
        path.append(node)
        below = None
        for edge in node.next_edges:
            if edge is not None and type(edge[0]) is not AccumulateGrad:
                if below is None:
                    below = edge[0]
                elif edge[0] is not below:
                    return None  # two nodes below: they may meet again further down
        node = below
    return path


def _run_path(
    path: list[Node], nr: int, seed: Any, retain_graph: bool, claimed: set[int] | None = None
) -> None:
    """Backpropagate ``seed`` (the gradient of output ``nr`` of the first node) down a
    :func:`_path_from`, as the general pass would: the same steps at each node, leaves summed
    in the order their gradients come and accumulated last, in the order of their first.
    ``claimed``: as :func:`_claimed_by_caller` (by default, of the seed)."""
    slot: list[Any] = [None] * path[0].n_outputs
    slot[nr] = seed
    if claimed is None:
        claimed = _claimed_by_caller([seed])
    leaf_grads: dict[AccumulateGrad, Any] = {}
    previous_mode = state.enabled
    state.enabled = False
    try:
        for index, node in enumerate(path):
            if node.pre_hooks or node.retained:
                _before_formula(node, slot, raw=True)
            input_grads = _formula(node, slot, anomaly=False)
            flows = False  # whether the node below gets a gradient
            if index + 1 < len(path):
                slot = [None] * path[index + 1].n_outputs
            for edge, grad in zip(node.next_edges, input_grads):
                if edge is None or grad is None:
                    continue
                target, target_nr = edge
                if type(target) is AccumulateGrad:
                    summed = leaf_grads.get(target)
                    leaf_grads[target] = grad if summed is None else summed + grad
                else:  # the node below
                    claimed.add(id(grad))  # read later: a leaf given it too must copy
                    summed = slot[target_nr]
                    slot[target_nr] = grad if summed is None else summed + grad
                    flows = True
            if not retain_graph:
                node.release()
            if not flows:
                break
        for accumulator, grad in leaf_grads.items():
            leaf = accumulator.variable()
            if leaf is None:  # the tensor is gone: nobody can see its gradient
                continue
            if leaf._grad is None and _fresh(grad, leaf, claimed):
                # the usual step after zero_grad(): the new array becomes .grad as it is
                # (what _accumulate does here, without its calls: 1-2 us of a small step)
                claimed.add(id(grad))
                result = _new(Tensor)
                _init(result, grad)
                leaf._grad = result
            else:
                _into_grad(leaf, grad, False, claimed)
    finally:
        state.enabled = previous_mode


def _fresh(grad: Any, leaf: Tensor, claimed: set[int]) -> bool:
    """Whether ``grad`` can become ``leaf.grad`` as it is, with no hook to run: a NumPy array
    of the leaf's dtype that is no view and no other gradient (see :func:`_owned`)."""
    return (
        type(grad) is np.ndarray
        and grad.base is None
        and grad.dtype is leaf._data.dtype
        and not leaf._hooks
        and not leaf._post_accumulate_hooks
        and id(grad) not in claimed
        and grad.flags.writeable
    )


def _before_formula(node: Node, slot: list[Any], raw: bool) -> None:
    """A node's hooks (which may replace its gradients) and its ``retain_grad`` tensors."""
    if node.pre_hooks:
        for nr in range(len(slot)):
            slot[nr] = _run_hooks(node.pre_hooks, nr, slot[nr], raw)
    if node.retained:
        _retain(node, slot, not raw)


def _formula(node: Node, slot: list[Any], anomaly: bool) -> tuple[Any, ...]:
    """The chain rule's step at ``node``: its backward on the gradients of its outputs, one
    gradient (or None) per input."""
    if node.freed:
        raise RuntimeError(_FREED_MESSAGE)
    node.check_versions()
    input_grads = node.backward(slot[0]) if node.n_outputs == 1 else node.backward(*slot)
    if type(input_grads) is not tuple:
        input_grads = (input_grads,)
    if anomaly:
        _check_finite(node, input_grads)
    return input_grads


class _Pass:
    """One backward pass over any graph: the nodes waiting for their turn, the gradients summed
    for each so far, and what is captured for ``autograd.grad``.

    Without create_graph nothing in the backward is recorded, so gradients flow as raw arrays
    (``raw``): each node's backward formula runs on arrays and no tensor is made per op."""

    def __init__(
        self,
        outputs: Sequence[Tensor],
        grad_outputs: Sequence[Tensor],
        create_graph: bool,
        capture: Sequence[Tensor] | None,
        accumulate: bool,
    ) -> None:
        self.raw = raw = not create_graph
        self.create_graph, self.capture, self.accumulate = create_graph, capture, accumulate
        self.anomaly = state.anomaly
        # the partial gradients that reached each node so far, one slot per output
        self.grads: dict[Node, list[Any]] = {}
        # the nodes with a gradient whose backward has not run, as (-sequence_nr, node): a heap
        self.waiting: list[tuple[int, Node]] = []
        self.leaves: list[AccumulateGrad] = []  # in the order their first gradient came
        self.targets: dict[tuple[Node, int], int] = {}
        self.captured: list[Any] = []
        self.useful: set[Node] | None = None
        edges = [edge_of(output) for output in outputs]
        if capture is not None:
            for index, tensor in enumerate(capture):
                self.targets[edge_of(tensor)] = index
            self.captured = [None] * len(capture)
            order = topological_order([node for node, _ in edges])
            self.useful = _useful(order, {node for node, _ in self.targets})
        for (node, nr), grad in zip(edges, grad_outputs):
            self.send(node, nr, grad._data if raw else grad)
        # Arrays already given to a leaf's .grad: a second leaf receiving the same buffer gets
        # a copy, so an in-place change of one .grad (clip_grad_norm_, say) leaves the other.
        self.claimed = _claimed_by_caller([g._data for g in grad_outputs])

    def send(self, node: Node, nr: int, grad: Any) -> None:
        """Add ``grad`` to what output ``nr`` of ``node`` has received (the first gradient to
        reach a node puts it in line; one that leads to no wanted tensor is dropped)."""
        slot = self.grads.get(node)
        if slot is None:
            useful = self.useful
            if useful is not None and node not in useful:
                return
            slot = self.grads[node] = [None] * node.n_outputs
            if type(node) is AccumulateGrad:
                self.leaves.append(node)
            elif node.sequence_nr < 0:  # its place in the order is unknown: say so, loudly
                raise RuntimeError(f"{node.name()} was never recorded: it has no sequence_nr")
            else:
                heappush(self.waiting, (-node.sequence_nr, node))
        slot[nr] = grad if slot[nr] is None else slot[nr] + grad

    def visit(self, node: Node, slot: list[Any], retain_graph: bool) -> None:
        """The chain rule at ``node`` (not a leaf): hooks, captures, then its backward's input
        gradients sent along its edges."""
        raw, targets = self.raw, self.targets
        if node.pre_hooks or node.retained:
            _before_formula(node, slot, raw)
        if targets:
            for nr in range(len(slot)):
                if (node, nr) in targets:
                    self.captured[targets[(node, nr)]] = slot[nr]
        useful = self.useful
        if useful is not None and not any(
            e is not None and e[0] in useful for e in node.next_edges
        ):
            return  # a captured tensor's own history is not needed
        input_grads = _formula(node, slot, self.anomaly)
        send, claimed = self.send, self.claimed
        for edge, grad in zip(node.next_edges, input_grads):
            if edge is not None and grad is not None:
                target = edge[0]
                if raw and type(target) is not AccumulateGrad:
                    claimed.add(id(grad))  # read later: a leaf given it too must copy
                send(target, edge[1], grad)
        if not retain_graph:
            node.release()

    def visit_leaf(self, node: AccumulateGrad, grad: Any) -> None:
        """A leaf: its hooks (which also see what grad() returns), a capture, and the sum into
        its ``.grad``."""
        leaf = node.variable()
        if leaf is None:  # the tensor is gone: nobody can see its gradient
            return
        if self.capture is None:  # backward(): the sum goes into .grad
            _into_grad(leaf, grad, self.create_graph, self.claimed)
            return
        if leaf._hooks:
            grad = _run_leaf_hooks(leaf, grad, self.raw)
        targets = self.targets
        if (node, 0) in targets:
            self.captured[targets[(node, 0)]] = grad
            if self.accumulate:
                _accumulate(leaf, grad, self.create_graph, self.claimed)

    def captured_grads(self) -> list[Tensor | None] | None:
        if self.capture is None:
            return None
        return [
            _as_dtype(_tensor(g), tensor) if g is not None else None
            for g, tensor in zip(self.captured, self.capture)
        ]


def _tensor(grad: Any) -> Any:
    """A raw gradient array as a tensor (tensors and None pass through)."""
    return grad if grad is None or isinstance(grad, Tensor) else Tensor._make(grad)


def _useful(order: list[Node], wanted: set[Node]) -> set[Node]:
    """The nodes from which a wanted node can be reached: the only ones autograd.grad runs."""
    useful: set[Node] = set()
    for node in reversed(order):
        if node in wanted or any(e is not None and e[0] in useful for e in node.next_edges):
            useful.add(node)
    return useful


def _for_user(grad: Any) -> Any:
    """A gradient handed to user code (a hook, ``retain_grad``): a tensor the user may change
    in place, so never a read-only or broadcast view."""
    grad = _tensor(grad)
    if grad is not None and not getattr(grad._data.flags, "writeable", True):
        grad = Tensor._make(grad._data.copy())
    return grad


def _run_hooks(hooks: list[tuple[int, Any]], nr: int, grad: Any, raw: bool) -> Any:
    grad = _for_user(grad)
    for hook_nr, hook in hooks:
        if hook_nr == nr:
            result = hook(grad)
            if result is not None:
                grad = result
    return grad._data if raw and grad is not None else grad


def _retain(node: Node, slot: list[Any], create_graph: bool) -> None:
    for nr, ref in node.retained or ():
        tensor = ref()
        if tensor is None or slot[nr] is None:
            continue
        # its own copy: the array flows on to other nodes (and maybe into a leaf's .grad)
        grad = _as_dtype(_tensor(slot[nr]), tensor).clone()
        grad = grad if create_graph else grad.detach()
        # _grad: the engine made this gradient, so the user-facing setter's checks are not needed
        tensor._grad = grad if tensor._grad is None else tensor._grad + grad


def _run_leaf_hooks(leaf: Tensor, grad: Any, raw: bool) -> Any:
    grad = _for_user(grad)
    for hook in leaf._hooks:
        result = hook(grad)
        if result is not None:
            grad = result
    return grad._data if raw else grad


def _claimed_by_caller(seeds: list[Any]) -> set[int]:
    """The ids of the gradients the caller passed to ``backward`` (and of the arrays they view):
    arrays the caller keeps, so that a leaf's ``.grad`` gets a copy, never one of them."""
    claimed = set()
    for seed in seeds:
        claimed.add(id(seed))
        base = getattr(seed, "base", None)
        if base is not None:
            claimed.add(id(base))
    return claimed


def _into_grad(leaf: Tensor, grad: Any, create_graph: bool, claimed: set[int]) -> None:
    """``backward()``'s end at a leaf: its hooks (which may replace the gradient), then the sum
    into its ``.grad``."""
    if leaf._hooks:
        grad = _run_leaf_hooks(leaf, grad, not create_graph)
    _accumulate(leaf, grad, create_graph, claimed)


def _accumulate(leaf: Tensor, grad: Any, create_graph: bool, claimed: set[int]) -> None:
    # ``_grad``, the slot behind ``.grad``: the gradient made here needs none of the checks
    # that a user's assignment gets (as torch's engine bypasses its own setter)
    current = leaf._grad
    if create_graph:
        grad = _as_dtype(grad, leaf)
        # a copy, as torch makes: the same gradient may reach other leaves or be read again
        leaf._grad = grad.clone() if current is None else current + grad
    else:
        array = grad._data if isinstance(grad, Tensor) else grad
        dtype = leaf._data.dtype
        if array.dtype is not dtype and array.dtype != dtype:  # mixed precision: the leaf's own
            array = array.astype(dtype)
        if current is None:
            leaf._grad = Tensor._make(_owned(array, claimed))
        elif current.requires_grad:
            leaf._grad = current + Tensor._make(array)
        else:
            current._data += array
    for hook in leaf._post_accumulate_hooks or ():
        hook(leaf)


def _owned(array: Any, claimed: set[int]) -> Any:
    """``array``, or a copy of it, that a leaf's ``.grad`` can own: later backward calls add
    into it in place, so it must be neither another leaf's gradient nor a read-only or
    broadcast view (an expanded gradient, as ``w.sum() * 2`` gives ``w``)."""
    base = getattr(array, "base", None)
    shared = id(array) in claimed or not getattr(array.flags, "writeable", True)
    if base is not None and not shared:  # a view: of a claimed array, or a broadcast one
        strides = array.strides
        shared = id(base) in claimed or (
            0 in strides and any(s == 0 for s, n in zip(strides, array.shape) if n > 1)
        )
    if shared:
        array, base = array.copy(), None
    claimed.add(id(array))
    if base is not None:
        claimed.add(id(base))
    return array


def _as_dtype(grad: Tensor, like: Tensor) -> Tensor:
    """Gradients take the dtype of the tensor they belong to (mixed-precision graphs)."""
    return grad if grad.dtype is like.dtype else grad.to(like.dtype)


def _check_finite(node: Node, input_grads: tuple[Any, ...]) -> None:
    for index, grad in enumerate(input_grads):
        if grad is None:
            continue
        grad = _tensor(grad)
        xp = grad.device.xp
        data = grad._data
        if data.dtype.kind == "f" and not bool(xp.isfinite(data).all()):
            kind = "nan" if bool(xp.isnan(data).any()) else "inf"
            where = (
                f"\nThe op was created at (most recent call last):\n{node.trace}"
                if node.trace
                else ""
            )
            raise RuntimeError(
                f"Function '{node.name()}' returned {kind} values in its {index}th output.{where}"
            )
