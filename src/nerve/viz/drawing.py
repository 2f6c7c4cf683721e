"""The autograd graph of a computation, drawn: ops, shapes, values and gradients.

``nerve.viz.graph(loss)`` walks the graph that autograd recorded while ``loss`` was computed
(the same ``grad_fn`` / ``next_functions`` a PyTorch user prints) and draws it with Graphviz:
leaves at the top, the ops below them in the order the forward pass ran, the result at the
bottom. Each box says what it is (a leaf's name, an op's ``...Backward0`` name), the shape of the
tensor it holds or produces, a summary of its values and, once ``backward()`` has run, of its
gradient. Layout is Graphviz's ``dot``; this module only says what the boxes and arrows are.

The gradient of an op's output is not kept by autograd (only leaves and tensors with
``retain_grad()`` keep one), so the graph registers a small hook on each op node, as
``grad_fn.register_prehook`` would in PyTorch, that writes down a summary of the gradient reaching
it in the next backward pass. Draw the graph before ``backward()`` to see every node's gradient;
drawn after, it shows the leaves' ``.grad`` and those of retained tensors.

Labels can hold user text (the names given in ``params``), so every label goes through
Graphviz's escaping, is stripped of control characters and is cut to a bounded length; the
number of boxes is bounded by ``max_nodes`` and a truncated graph says so in a box of its own.
"""

from __future__ import annotations

import os
import tempfile
import unicodedata
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..autograd.node import AccumulateGrad, Node
from ..tensor import Tensor

# Far more than a drawing can show legibly, far less than what would make dot run for minutes.
MAX_NODES_LIMIT = 5000
_COLORS = {"leaf": "#cfe2ff", "op": "#f8f9fa", "root": "#d1e7dd", "tensor": "#fff3cd"}


# A name longer than this is cut: a label is one line of a box, not a document.
MAX_TEXT = 60
# Tensors with at most this many elements are shown whole; larger ones as min / mean / max.
MAX_SHOWN = 4


def _number(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (complex, np.complexfloating)):
        return f"{complex(value):.4g}"
    return f"{float(value):.4g}"


def summarize(array: Any) -> str:
    """A tensor's values in one short line: all of them when there are at most four, else
    ``min .. mean .. max`` (``nan``/``inf`` shown as such).

    Example:
        >>> import numpy as np
        >>> summarize(np.array([2.0, -1.0]))
        '[2, -1]'
        >>> summarize(np.arange(10.0))
        'min 0  mean 4.5  max 9'
        >>> summarize(np.array(3.14159))
        '3.142'
    """
    array = np.asarray(array)
    if array.size == 0:
        return "empty"
    if array.ndim == 0:
        return _number(array.item())
    if array.size <= MAX_SHOWN:
        return "[" + ", ".join(_number(v) for v in array.reshape(-1).tolist()) + "]"
    if array.dtype.kind == "b":
        return f"{int(array.sum())} of {array.size} true"
    if array.dtype.kind == "c":
        return f"mean |z| {_number(np.abs(array).mean())}"
    values = array.astype(np.float64, copy=False)
    with np.errstate(invalid="ignore", over="ignore"):
        return (
            f"min {_number(values.min())}  mean {_number(values.mean())}  "
            f"max {_number(values.max())}"
        )


def clean_text(text: str, limit: int = MAX_TEXT) -> str:
    """User text made fit for one line of a label: control characters (newlines, escapes)
    become spaces, and text longer than ``limit`` is cut with an ellipsis.

    Escaping for the drawing language is the drawing's job; this only keeps a label readable.

    Example:
        >>> clean_text("fc1.weight\\n\\x1b[31m")
        'fc1.weight  [31m'
        >>> clean_text("x" * 70, limit=8)
        'xxxxxxx…'
    """
    # control and format characters, and every kind of space or line break: one plain space
    cleaned = "".join(
        " " if c.isspace() or unicodedata.category(c)[0] == "C" else c for c in str(text)
    )
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


@dataclass
class NodeInfo:
    """One box of the drawing: its DOT id, kind (``leaf``, ``op``, ``root``, ``tensor`` or
    ``more``), title (a leaf's name or an op's name) and the shape it holds, when known (an
    op's shape unknown before ``backward()`` is filled in by its gradient's).

    Example:
        >>> import nerve
        >>> from nerve.viz import graph
        >>> w = nerve.ones(3, requires_grad=True)
        >>> [(n.kind, n.title) for n in graph((w * 2).sum(), params={"w": w}).nodes]
        [('root', 'SumBackward0'), ('op', 'MulBackward0'), ('leaf', 'w')]
    """

    id: str
    kind: str
    title: str
    shape: tuple[int, ...] | None


class Graph:
    """The drawing of an autograd graph; made by :func:`graph`.

    ``nodes`` and ``edges`` (pairs of node ids, from an input to the op that reads it) describe
    the structure; ``source`` is the DOT text; ``_repr_svg_()`` shows it in Jupyter and
    ``save(path)`` writes ``.svg``, ``.png`` or ``.dot``. Gradients are read when the graph is
    drawn, so a graph made before ``backward()`` shows them once it has run.

    Example:
        >>> import nerve
        >>> from nerve.viz import graph
        >>> w = nerve.ones(3, requires_grad=True)
        >>> drawing = graph((w * 2).sum(), params={"w": w})
        >>> drawing.edges  # w -> MulBackward0 -> SumBackward0
        [('n1', 'n0', None), ('n2', 'n1', None)]
        >>> drawing.source.splitlines()[0]
        'digraph autograd {'
    """

    def __init__(self, roots: Sequence[Tensor], names: Mapping[int, str], max_nodes: int) -> None:
        self.max_nodes = max_nodes
        self.nodes: list[NodeInfo] = []
        self.edges: list[tuple[str, str, int | None]] = []
        self.truncated = 0
        self._values: dict[str, str] = {}
        self._grads: dict[str, str] = {}  # op outputs' gradients, written by the hooks
        self._leaves: dict[str, weakref.ref[Tensor]] = {}
        self._retained: dict[str, list[weakref.ref[Tensor]]] = {}
        self._build(roots, names)

    # -- structure ------------------------------------------------------------------------

    def _build(self, roots: Sequence[Tensor], names: Mapping[int, str]) -> None:
        ids: dict[Node, str] = {}
        known: dict[tuple[Node, int], Tensor] = {}  # op outputs whose tensor is at hand
        queue: list[Node] = []
        for root in roots:
            node = root.grad_fn if root.grad_fn is not None else None
            if node is None and root.requires_grad:
                node = _leaf_node(root)
            if node is None:  # nothing recorded: one box that says so
                key = self._add(NodeInfo(f"n{len(self.nodes)}", "tensor", "tensor", _shape(root)))
                self._values[key] = summarize(root.detach().numpy()) + "\\nno autograd graph"
                self._values[key] += " (requires_grad=False)"
                continue
            known[(node, root._output_nr)] = root
            if node not in ids:
                ids[node] = ""
                queue.append(node)
        roots_nodes = set(queue)
        # Breadth first, so that a truncated drawing keeps what is nearest to the result.
        index = 0
        while index < len(queue):
            node = queue[index]
            index += 1
            for position, edge in enumerate(node.next_edges):
                saved = _saved_input(node, position)
                if edge is None:
                    continue
                child, nr = edge
                if saved is not None:
                    known.setdefault((child, nr), saved)
                if child not in ids:
                    ids[child] = ""
                    queue.append(child)
        drawn, hidden = queue[: self.max_nodes], queue[self.max_nodes :]
        self.truncated = len(hidden)
        for node in drawn:
            ids[node] = self._describe(node, node in roots_nodes, names, known)
        more = None
        if hidden:
            more = self._add(NodeInfo(f"n{len(self.nodes)}", "more", "more", None))
            self._values[more] = (
                f"... {len(hidden)} more node(s) not drawn (max_nodes={self.max_nodes})"
            )
        drawn_set = set(drawn)
        for node in drawn:
            for edge in node.next_edges:
                if edge is None:
                    continue
                child, nr = edge
                label = nr if child.n_outputs > 1 else None
                if child in drawn_set:
                    self.edges.append((ids[child], ids[node], label))
                elif more is not None and (more, ids[node], None) not in self.edges:
                    self.edges.append((more, ids[node], None))

    def _add(self, info: NodeInfo) -> str:
        self.nodes.append(info)
        return info.id

    def _describe(
        self, node: Node, is_root: bool, names: Mapping[int, str], known: dict[Any, Tensor]
    ) -> str:
        key = f"n{len(self.nodes)}"
        if type(node) is AccumulateGrad:
            leaf = node.variable()
            name = names.get(id(leaf), "leaf") if leaf is not None else "leaf (freed)"
            self._add(NodeInfo(key, "leaf", clean_text(name), _shape(leaf)))
            if leaf is not None:
                self._leaves[key] = weakref.ref(leaf)
                self._values[key] = summarize(leaf.detach().numpy())
            return key
        output = known.get((node, 0))
        shape = _shape(output)
        if output is not None:
            self._values[key] = summarize(output.detach().numpy())
        elif node.saves_output and getattr(node, "out", None) is not None:
            kept = np.asarray(node.out)  # the forward's output, kept for its backward
            shape = tuple(kept.shape)
            self._values[key] = summarize(kept)
        kind = "root" if is_root else "op"
        self._add(NodeInfo(key, kind, clean_text(node.name()), shape))
        self._retained[key] = [ref for _, ref in node.retained or ()]
        self._watch(node, key)
        return key

    def _watch(self, node: Node, key: str) -> None:
        """Record a summary of the gradient that reaches ``node`` in a later backward pass."""
        me = weakref.ref(self)

        def hook(grad: Tensor) -> None:
            graph = me()
            if graph is not None:  # the drawing may be gone; the hook then does nothing
                graph._grads[key] = summarize(grad.detach().numpy())
                info = graph.nodes[int(key[1:])]
                if info.shape is None:  # a gradient has its tensor's shape
                    info.shape = tuple(grad.shape)

        if node.pre_hooks is None:
            node.pre_hooks = []
        node.pre_hooks.append((0, hook))

    # -- drawing --------------------------------------------------------------------------

    def _gradient(self, info: NodeInfo) -> str | None:
        leaf = self._leaves.get(info.id)
        if leaf is not None:
            tensor = leaf()
            grad = None if tensor is None else tensor.grad
            return None if grad is None else summarize(grad.detach().numpy())
        for ref in self._retained.get(info.id, ()):
            tensor = ref()
            if tensor is not None and tensor.grad is not None:
                return summarize(tensor.grad.detach().numpy())
        return self._grads.get(info.id)

    def to_dot(self) -> Any:
        """The drawing as a ``graphviz.Digraph`` (its ``.source`` is the DOT text)."""
        graphviz = _graphviz()
        dot = graphviz.Digraph("autograd", format="svg")
        dot.attr(rankdir="TB", nodesep="0.3", ranksep="0.35")
        dot.attr("node", shape="box", style="rounded,filled", fontname="Helvetica", fontsize="10")
        dot.attr("edge", fontname="Helvetica", fontsize="9", color="#555555")
        for info in self.nodes:
            # Every piece of text is escaped on its own; only our own \n joins them, so a name
            # cannot end a quoted string, start an attribute or be read as an HTML label.
            lines = [graphviz.escape(info.title)]
            if info.shape is not None:
                lines.append(graphviz.escape(f"shape {list(info.shape)}"))
            if info.id in self._values:
                lines.append(graphviz.escape(self._values[info.id]))
            grad = self._gradient(info)
            if grad is not None:
                lines.append(graphviz.escape(f"grad {grad}"))
            label = "\\n".join(lines)
            fill = _COLORS.get(info.kind, "#eeeeee")
            dot.node(info.id, graphviz.nohtml(label), fillcolor=fill)
        for tail, head, nr in self.edges:
            dot.edge(tail, head, label=None if nr is None else f"out {nr}")
        return dot

    @property
    def source(self) -> str:
        """The DOT text of the drawing (no Graphviz program needed to read it)."""
        return str(self.to_dot().source)

    def pipe(self, format: str = "svg") -> bytes:
        """The drawing rendered by Graphviz's ``dot`` as ``svg`` or ``png`` bytes."""
        if format not in ("svg", "png"):
            raise ValueError(f"Graph.pipe: format must be 'svg' or 'png', got {format!r}")
        graphviz = _graphviz()
        try:
            return bytes(self.to_dot().pipe(format=format))
        except graphviz.ExecutableNotFound as exc:
            raise RuntimeError(
                "nerve.viz.graph needs Graphviz's 'dot' program to draw (Debian: apt-get "
                "install graphviz); Graph.source gives the DOT text without it"
            ) from exc

    def _repr_svg_(self) -> str:
        return self.pipe("svg").decode("utf-8")

    def save(self, path: str | os.PathLike[str]) -> str:
        """Write the drawing to ``path``: ``.svg``, ``.png`` or ``.dot`` by its suffix.

        The file is written to a temporary name beside it and renamed, so a failed drawing
        never leaves half a file. Returns the path written.
        """
        path = os.fspath(path)
        suffix = os.path.splitext(path)[1].lower()
        if suffix == ".dot":
            data = self.source.encode("utf-8")
        elif suffix in (".svg", ".png"):
            data = self.pipe(suffix[1:])
        else:
            raise ValueError(
                f"Graph.save: cannot tell the format of {path!r}; expected a name ending in "
                ".svg, .png or .dot"
            )
        folder = os.path.dirname(os.path.abspath(path))
        handle, temporary = tempfile.mkstemp(prefix=".graph-", suffix=suffix, dir=folder)
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.replace(temporary, path)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise
        return path

    def __repr__(self) -> str:
        more = f", {self.truncated} not drawn" if self.truncated else ""
        return f"Graph({len(self.nodes)} nodes, {len(self.edges)} edges{more})"


def graph(
    tensor: Tensor | Sequence[Tensor],
    params: Mapping[str, Tensor] | None = None,
    max_nodes: int = 200,
) -> Graph:
    """Draw the autograd graph that produced ``tensor`` (or a list of tensors).

    ``params`` names leaves (``dict(model.named_parameters())``, say); unnamed leaves are drawn
    as ``leaf``. At most ``max_nodes`` boxes are drawn (up to 5000), those nearest to the result
    first; a box says how many more there were.

    Example:
        >>> import nerve, nerve.viz
        >>> w = nerve.tensor([2.0, -1.0], requires_grad=True)
        >>> loss = (w * w).sum()
        >>> g = nerve.viz.graph(loss, params={"w": w})
        >>> [(n.kind, n.title) for n in g.nodes]
        [('root', 'SumBackward0'), ('op', 'MulBackward0'), ('leaf', 'w')]
        >>> loss.backward()
        >>> box = [line for line in g.source.splitlines() if line.strip().startswith("n2 ")]
        >>> print(box[0].strip())  # the leaf's box, now with its gradient
        n2 [label="w\\nshape [2]\\n[2, -1]\\ngrad [4, -2]" fillcolor="#cfe2ff"]
        >>> g.edges  # from an input to the op that reads it: w goes into the product twice
        [('n1', 'n0', None), ('n2', 'n1', None), ('n2', 'n1', None)]
        >>> g.save("graph.svg")  # doctest: +SKIP
        'graph.svg'
    """
    if isinstance(tensor, Tensor):
        roots: list[Tensor] = [tensor]
    elif isinstance(tensor, (list, tuple)) and tensor:
        roots = list(tensor)
        if not all(isinstance(t, Tensor) for t in roots):
            kinds = sorted({_type_name(t) for t in roots if not isinstance(t, Tensor)})
            raise TypeError(
                "nerve.viz.graph expects a nerve.Tensor (the result of a computation) or a "
                f"non-empty list of them, got a {_type_name(tensor)} holding {', '.join(kinds)}"
            )
    else:
        raise TypeError(
            "nerve.viz.graph expects a nerve.Tensor (the result of a computation) or a "
            f"non-empty list of them, got {_type_name(tensor)}"
        )
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int):
        raise TypeError(f"nerve.viz.graph: max_nodes must be an int, got {_type_name(max_nodes)}")
    if not 1 <= max_nodes <= MAX_NODES_LIMIT:
        raise ValueError(
            f"nerve.viz.graph: max_nodes must be between 1 and {MAX_NODES_LIMIT}, got {max_nodes}"
        )
    names: dict[int, str] = {}
    for name, value in (params or {}).items():
        if not isinstance(value, Tensor):
            raise TypeError(
                f"nerve.viz.graph: params[{clean_text(str(name))!r}] must be a nerve.Tensor, "
                f"got {_type_name(value)}"
            )
        names[id(value)] = str(name)
    return Graph(roots, names, max_nodes)


def _leaf_node(leaf: Tensor) -> Node:
    from ..autograd.node import edge_of  # the leaf's accumulator, made as backward makes it

    return edge_of(leaf)[0]


def _saved_input(node: Node, position: int) -> Tensor | None:
    inputs = getattr(node, "inputs", None)
    if inputs is None or position >= len(inputs):
        return None
    value = inputs[position]
    return value if isinstance(value, Tensor) else None


def _shape(tensor: Tensor | None) -> tuple[int, ...] | None:
    return None if tensor is None else tuple(tensor.shape)


def _type_name(value: Any) -> str:
    kind = type(value)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"


def _graphviz() -> Any:
    try:
        import graphviz  # type: ignore[import-untyped]
    except ImportError as exc:  # the optional component, named with how to get it
        raise ImportError(
            "nerve.viz needs the 'graphviz' Python package: pip install 'nerve[viz]'"
        ) from exc
    return graphviz
