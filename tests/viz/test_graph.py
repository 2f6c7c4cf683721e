"""nerve.viz.graph: the structure drawn equals autograd's (checked against torch's graph of the
same computation), gradients appear after backward, hostile names stay text, files are written
whole, and wrong arguments get a clear error."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nerve
from nerve.viz.drawing import MAX_TEXT

graphviz = pytest.importorskip("graphviz", reason="nerve.viz needs the graphviz package")
viz = pytest.importorskip("nerve.viz")
torch = pytest.importorskip("torch", reason="torch is the oracle for the graph's structure")

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz's dot program is not installed"
)
SVG = "{http://www.w3.org/2000/svg}"


def _torch_structure(root: torch.Tensor) -> tuple[Counter[str], Counter[tuple[str, str]]]:
    """Names of the nodes and (input, consumer) name pairs of torch's graph, by walking
    next_functions as a user would."""
    names: Counter[str] = Counter()
    edges: Counter[tuple[str, str]] = Counter()
    seen, stack = set(), [root.grad_fn]
    seen.add(root.grad_fn)
    while stack:
        node = stack.pop()
        names[node.name().removeprefix("torch::autograd::")] += 1
        for child, _ in node.next_functions:
            if child is None:
                continue
            edges[(child.name().removeprefix("torch::autograd::"), node.name())] += 1
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return names, edges


def _structure(g: viz.Graph) -> tuple[Counter[str], Counter[tuple[str, str]]]:
    title = {n.id: ("AccumulateGrad" if n.kind == "leaf" else n.title) for n in g.nodes}
    return Counter(title.values()), Counter((title[a], title[b]) for a, b, _ in g.edges)


def _compute(lib, a_values, b_values):
    a = lib.tensor(a_values, requires_grad=True)
    b = lib.tensor(b_values, requires_grad=True)
    h = (a * b + a).tanh()
    loss = (h.exp() - b).pow(2).mean()
    return a, b, h, loss


A, B = [[0.5, -1.0], [2.0, 0.25]], [[1.5, 0.5], [-0.5, 1.0]]


def test_structure_matches_torchs_graph() -> None:
    _, _, _, loss = _compute(nerve, A, B)
    _, _, _, expected = _compute(torch, A, B)
    g = viz.graph(loss)
    assert _structure(g) == _torch_structure(expected)
    assert len(g.nodes) == 9  # 7 ops + 2 leaves
    assert [n.kind for n in g.nodes].count("root") == 1
    assert g.nodes[0].title == "MeanBackward0" and g.nodes[0].shape == ()
    leaves = [n for n in g.nodes if n.kind == "leaf"]
    assert [n.shape for n in leaves] == [(2, 2), (2, 2)]
    ids = {n.id for n in g.nodes}
    assert all(a in ids and b in ids for a, b, _ in g.edges)
    assert "more" not in {n.kind for n in g.nodes} and g.truncated == 0


def test_values_and_gradients_after_backward() -> None:
    a, b, h, loss = _compute(nerve, A, B)
    h.retain_grad()
    g = viz.graph(loss, params={"a": a, "b": b})
    before = g.source
    assert "\\ngrad " not in before
    assert f"{loss.item():.4g}" in before  # the loss value on the root's box
    loss.backward()
    after = g.source
    for name, leaf in (("a", a), ("b", b)):
        box = next(line for line in after.splitlines() if f'label="{name}\\n' in line)
        grads = leaf.grad.numpy().reshape(-1)
        assert "grad [" + ", ".join(f"{v:.4g}" for v in grads) + "]" in box
    tanh = next(n for n in g.nodes if n.title == "TanhBackward0")
    assert tanh.shape == (2, 2)
    tanh_box = next(line for line in after.splitlines() if line.strip().startswith(tanh.id + " "))
    assert "grad [" + ", ".join(f"{v:.4g}" for v in h.grad.numpy().reshape(-1)) in tanh_box
    # every op box carries the gradient of its output, recorded as backward ran
    op_ids = [n.id for n in g.nodes if n.kind in ("op", "root")]
    assert all("\\ngrad " in _box(after, i) for i in op_ids)
    assert "grad 1" in _box(after, g.nodes[0].id)  # d loss / d loss


def _box(source: str, node_id: str) -> str:
    return next(line for line in source.splitlines() if line.strip().startswith(node_id + " "))


def test_graph_drawn_after_backward_shows_leaf_gradients() -> None:
    w = nerve.tensor([3.0, -2.0], requires_grad=True)
    loss = (w * w).sum()
    loss.backward()
    g = viz.graph(loss, params={"w": w})
    assert "grad [6, -4]" in _box(g.source, next(n.id for n in g.nodes if n.title == "w"))


def test_module_parameters_are_named() -> None:
    nerve.manual_seed(0)
    model = nerve.nn.Sequential(nerve.nn.Linear(2, 3), nerve.nn.ReLU(), nerve.nn.Linear(3, 1))
    out = model(nerve.randn(5, 2)).sum()
    g = viz.graph(out, params=dict(model.named_parameters()))
    leaves = {n.title: n.shape for n in g.nodes if n.kind == "leaf"}
    assert leaves == {"0.weight": (3, 2), "0.bias": (3,), "2.weight": (1, 3), "2.bias": (1,)}


def _texts(svg: ET.Element) -> list[str]:
    # Graphviz's SVG writes a run of spaces as no-break spaces, which keeps them visible
    return [(t.text or "").replace("\xa0", " ") for t in svg.iter(f"{SVG}text")]


HOSTILE = [
    'a"]; evil [label="pwned',
    "back\\slash\\N\\G\\l",
    "<<b>html</b>>",
    "ends with backslash\\",
    'quote\\"escaped',
    "line\nbreak\r\x1b[31m",
]


@needs_dot
@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_stay_literal_text(name: str) -> None:
    w = nerve.tensor([1.0], requires_grad=True)
    g = viz.graph((w * 2).sum(), params={name: w})
    svg = ET.fromstring(g._repr_svg_())
    nodes = [e for e in svg.iter(f"{SVG}g") if e.get("class") == "node"]
    assert len(nodes) == 3  # the sum, the product, the leaf: nothing injected
    texts = _texts(svg)
    assert viz.clean_text(name) in texts  # drawn as written (control characters as spaces)
    assert "pwned" not in "".join(t for t in texts if t != viz.clean_text(name))


@needs_dot
@settings(max_examples=15, deadline=None)
@given(st.text(min_size=1, max_size=40))
def test_any_name_renders_as_itself(name: str) -> None:
    w = nerve.tensor([1.0], requires_grad=True)
    svg = ET.fromstring(viz.graph(w.sum(), params={name: w})._repr_svg_())
    texts = _texts(svg)
    expected = viz.clean_text(name).strip()
    assert len([e for e in svg.iter(f"{SVG}g") if e.get("class") == "node"]) == 2
    # Graphviz trims a label line's outer spaces; what is left must be there, unchanged
    assert any(t.strip() == expected for t in texts) or not expected


def test_long_names_are_cut() -> None:
    w = nerve.tensor([1.0], requires_grad=True)
    g = viz.graph(w.sum(), params={"x" * 500: w})
    assert max(len(n.title) for n in g.nodes) <= MAX_TEXT


def test_size_is_bounded_and_truncation_said() -> None:
    x = nerve.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(30):
        y = y * 1.5
    g = viz.graph(y.sum(), max_nodes=10)
    assert len(g.nodes) == 11 and g.truncated == 22  # 30 products + sum + leaf = 32 nodes
    more = g.nodes[-1]
    assert more.kind == "more"
    assert "22 more node(s) not drawn (max_nodes=10)" in _box(g.source, more.id)
    assert any(a == more.id for a, _, _ in g.edges)
    assert "22 not drawn" in repr(g)


def test_tensor_without_graph_and_lone_leaf() -> None:
    g = viz.graph(nerve.ones(3))
    assert [n.kind for n in g.nodes] == ["tensor"]
    assert "requires_grad=False" in g.source
    leaf = nerve.zeros(2, requires_grad=True)
    g = viz.graph(leaf, params={"leaf0": leaf})
    assert [(n.kind, n.title) for n in g.nodes] == [("leaf", "leaf0")] and g.edges == []


def test_several_roots_share_their_graph() -> None:
    a = nerve.tensor([1.0, 2.0], requires_grad=True)
    b = a.exp()
    g = viz.graph([b.sum(), b.mean()])
    titles = Counter(n.title for n in g.nodes)
    assert titles == Counter({"SumBackward0": 1, "MeanBackward0": 1, "ExpBackward0": 1, "leaf": 1})
    assert [n.kind for n in g.nodes].count("root") == 2


@needs_dot
def test_save_svg_png_dot(tmp_path: Path) -> None:
    w = nerve.tensor([1.0, 2.0], requires_grad=True)
    g = viz.graph((w.sigmoid() * w).sum(), params={"w": w})
    svg = Path(g.save(tmp_path / "g.svg"))
    assert ET.parse(svg).getroot().tag == f"{SVG}svg"
    png = Path(g.save(tmp_path / "g.PNG"))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    dot = Path(g.save(tmp_path / "g.dot"))
    assert dot.read_text().startswith("digraph autograd {")
    with pytest.raises(ValueError, match=r"\.svg, \.png or \.dot"):
        g.save(tmp_path / "g.jpg")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.PNG", "g.dot", "g.svg"]


def test_dot_missing_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    w = nerve.tensor([1.0], requires_grad=True)
    g = viz.graph(w.sum())

    def missing(*args: object, **kwargs: object) -> bytes:
        raise graphviz.ExecutableNotFound(("dot",))

    monkeypatch.setattr(graphviz.Digraph, "pipe", missing)
    with pytest.raises(RuntimeError, match="apt-get install graphviz"):
        g._repr_svg_()


@pytest.mark.parametrize(
    "value, expected",
    [
        ([1.0, 2.0], "got a list holding float"),
        (np.ones(3), "got numpy.ndarray"),
        (None, "got NoneType"),
        ([], "got list"),
        (torch.ones(2), "got torch.Tensor"),
    ],
)
def test_non_tensors_are_refused(value: object, expected: str) -> None:
    with pytest.raises(TypeError, match=f"expects a nerve.Tensor.*{expected}"):
        viz.graph(value)  # type: ignore[arg-type]


def test_bad_arguments_are_named() -> None:
    w = nerve.tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"params\['w'\] must be a nerve.Tensor, got list"):
        viz.graph(w.sum(), params={"w": [1.0]})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="between 1 and 5000, got 0"):
        viz.graph(w.sum(), max_nodes=0)
    with pytest.raises(TypeError, match="max_nodes must be an int, got float"):
        viz.graph(w.sum(), max_nodes=2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="format must be 'svg' or 'png'"):
        viz.graph(w.sum()).pipe("pdf")
