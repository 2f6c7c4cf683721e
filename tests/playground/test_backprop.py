"""Step through backprop (nerve.playground.backprop): the numbers a learner reads are right.

The trace's gradients are checked three ways: against central finite differences of the loss
in float64, against the chain rule worked by hand (NumPy) for a 2-2-1 network, and against
PyTorch's autograd on the same weights. The session's message is checked for what it refuses.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import nerve
from nerve import nn
from nerve.playground.backprop import _round_sig, trace
from nerve.playground.network import SoftmaxMSELoss, target_tensor
from nerve.playground.protocol import (
    ProtocolError,
    check_settings,
    default_settings,
    merge_settings,
    parse_message,
)
from nerve.playground.session import Session

ACTS = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid, "linear": nn.Identity}


def make_net(task: str, hidden: list[int], act: str, n_out: int, seed: int) -> nn.Sequential:
    nerve.manual_seed(seed)
    layers: list[nn.Module] = []
    width = 2
    for size in hidden:
        layers += [nn.Linear(width, size), ACTS[act]()]
        width = size
    layers.append(nn.Linear(width, n_out))
    if task == "binary":
        layers.append(nn.Sigmoid())
    return nn.Sequential(*layers)


def arr(t) -> np.ndarray:
    return t.detach().numpy().astype(np.float64)


def total_loss(net: nn.Module, crit, x, y, task, l1=0.0, l2=0.0) -> float:
    """The loss the trace differentiates, computed afresh (float64, no autograd)."""
    with nerve.no_grad():
        out = net(nerve.from_numpy(x))
        target = target_tensor(y, task)
        value = float(crit(out, target if task == "multiclass" else target.double()).item())
        for m in net:
            if isinstance(m, nn.Linear):
                w = m.weight.detach().numpy()
                value += l1 * np.abs(w).sum() + 0.5 * l2 * (w * w).sum()
    return value


CASES = [
    # task, loss module, hidden, activation, outputs, batch, l1, l2, weight decay
    ("binary", nn.BCELoss(), [3], "tanh", 1, 1, 0.0, 0.0, 0.0),
    ("binary", nn.MSELoss(), [3, 2], "sigmoid", 1, 4, 0.0, 0.01, 0.0),
    ("multiclass", nn.CrossEntropyLoss(), [4], "relu", 3, 5, 0.0, 0.0, 0.01),
    ("multiclass", SoftmaxMSELoss(3), [2, 2], "tanh", 3, 3, 0.003, 0.0, 0.0),
    ("regression", nn.MSELoss(), [3], "linear", 1, 6, 0.0, 0.0, 0.0),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{type(c[1]).__name__}" for c in CASES])
def test_gradients_match_finite_differences(case) -> None:
    task, crit, hidden, act, n_out, batch, l1, l2, wd = case
    rng = np.random.default_rng(len(hidden) + batch)
    net = make_net(task, hidden, act, n_out, seed=batch).double()
    x = rng.normal(size=(batch, 2))
    y = rng.integers(0, n_out if task == "multiclass" else 2, size=batch).astype(np.float64)
    if task == "regression":
        y = rng.normal(size=batch)
    t = trace(net, crit, x, y, task, lr=0.1, weight_decay=wd, l1=l1, l2=l2)
    assert t["total"] == pytest.approx(total_loss(net, crit, x, y, task, l1, l2), rel=1e-12)
    eps = 1e-6
    lin = [m for m in net if isinstance(m, nn.Linear)]
    for k, layer in enumerate(lin):
        for name, key in (("weight", "gw"), ("bias", "gb")):
            param = getattr(layer, name)
            grad = np.asarray(t["params"][k][key])
            flat = param.detach().numpy().reshape(-1)  # a view: edits reach the net
            numeric = np.empty_like(flat)
            for i in range(flat.size):
                keep = flat[i]
                flat[i] = keep + eps
                up = total_loss(net, crit, x, y, task, l1, l2)
                flat[i] = keep - eps
                down = total_loss(net, crit, x, y, task, l1, l2)
                flat[i] = keep
                numeric[i] = (up - down) / (2 * eps)
            np.testing.assert_allclose(grad.reshape(-1), numeric, rtol=1e-5, atol=1e-8)
    # The update is one SGD step (with torch's weight-decay term), and the new loss is the
    # loss of the updated weights on the same examples.
    for k, p in enumerate(t["params"]):
        w, g = np.asarray(p["w"]), np.asarray(p["gw"])
        np.testing.assert_allclose(p["w_new"], w - 0.1 * (g + wd * w), rtol=1e-12, atol=1e-15)
        with nerve.no_grad():
            lin[k].weight.copy_(nerve.from_numpy(np.asarray(p["w_new"])))
            lin[k].bias.copy_(nerve.from_numpy(np.asarray(p["b_new"])))
    assert t["new_total"] == pytest.approx(total_loss(net, crit, x, y, task, l1, l2), rel=1e-12)


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{type(c[1]).__name__}" for c in CASES])
def test_the_chain_rule_reads_off_the_trace(case) -> None:
    """What the page writes out: dL/dw = sum_n dL/dz_j * a_i (+ penalty), dL/dz = dL/da f'(z),
    and a hidden layer's dL/da = sum_k w_kj dL/dz_k of the layer above."""
    task, crit, hidden, act, n_out, batch, l1, l2, wd = case
    rng = np.random.default_rng(7)
    net = make_net(task, hidden, act, n_out, seed=3)
    x = rng.normal(size=(batch, 2))
    y = rng.integers(0, n_out if task == "multiclass" else 2, size=batch).astype(np.float64)
    t = trace(net, crit, x, y, task, lr=0.5, l1=l1, l2=l2)
    layers, params = t["layers"], t["params"]
    for lnum in range(1, len(layers)):
        cur, below, p = layers[lnum], layers[lnum - 1], params[lnum - 1]
        chain = np.asarray(cur["dz"]).T @ np.asarray(below["a"])
        penalty = np.asarray(p["gw_penalty"]) if p["gw_penalty"] is not None else 0.0
        np.testing.assert_allclose(p["gw"], chain + penalty, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(p["gb"], np.sum(cur["dz"], axis=0), rtol=1e-10, atol=1e-14)
        if cur["da"] is not None:
            dz = np.asarray(cur["da"]) * np.asarray(cur["fprime"])
            np.testing.assert_allclose(cur["dz"], dz, rtol=1e-10, atol=1e-14)
        if lnum + 1 < len(layers):
            above = np.asarray(layers[lnum + 1]["dz"]) @ np.asarray(params[lnum]["w"])
            np.testing.assert_allclose(cur["da"], above, rtol=1e-10, atol=1e-14)
    if task == "multiclass" and isinstance(crit, nn.CrossEntropyLoss):
        onehot = np.eye(n_out)[y.astype(int)]
        expected = (np.asarray(layers[-1]["p"]) - onehot) / batch
        np.testing.assert_allclose(layers[-1]["dz"], expected, rtol=1e-10, atol=1e-14)


def test_a_2_2_1_network_by_hand() -> None:
    """The lecture's worked example: every number of the trace, computed with NumPy."""
    net = nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 1), nn.Sigmoid())
    W1, b1 = np.array([[0.5, -0.4], [0.3, 0.8]]), np.array([0.1, -0.2])
    W2, b2 = np.array([[1.2, -0.7]]), np.array([0.05])
    with nerve.no_grad():
        for layer, (w, b) in zip([net[0], net[2]], [(W1, b1), (W2, b2)]):
            layer.weight.copy_(nerve.tensor(w, dtype=nerve.float32))
            layer.bias.copy_(nerve.tensor(b, dtype=nerve.float32))
    W1, b1, W2, b2 = (arr(p) for p in (net[0].weight, net[0].bias, net[2].weight, net[2].bias))
    x, y, lr = np.array([0.6, -1.0]), 1.0, 0.3
    z1 = W1 @ x + b1
    a1 = np.tanh(z1)
    z2 = W2 @ a1 + b2
    p = 1 / (1 + np.exp(-z2))
    loss = -np.log(p[0])
    dp = -1 / p  # dL/dp for y = 1
    dz2 = dp * p * (1 - p)  # = p - 1
    da1 = W2[0] * dz2[0]
    dz1 = da1 * (1 - a1**2)
    t = trace(net, nn.BCELoss(), x[None, :], np.array([y]), "binary", lr=lr)
    first, out = t["layers"][1], t["layers"][2]
    np.testing.assert_allclose(first["z"][0], z1, rtol=1e-12)
    np.testing.assert_allclose(first["a"][0], a1, rtol=1e-12)
    np.testing.assert_allclose(out["z"][0], z2, rtol=1e-12)
    np.testing.assert_allclose(out["a"][0], p, rtol=1e-12)
    assert t["loss"] == pytest.approx(loss, rel=1e-12)
    np.testing.assert_allclose(out["da"][0], dp, rtol=1e-12)
    np.testing.assert_allclose(out["fprime"][0], p * (1 - p), rtol=1e-12)
    np.testing.assert_allclose(out["dz"][0], p - 1, rtol=1e-12)
    np.testing.assert_allclose(first["da"][0], da1, rtol=1e-12)
    np.testing.assert_allclose(first["fprime"][0], 1 - a1**2, rtol=1e-12)
    np.testing.assert_allclose(first["dz"][0], dz1, rtol=1e-12)
    np.testing.assert_allclose(t["params"][0]["gw"], np.outer(dz1, x), rtol=1e-12)
    np.testing.assert_allclose(t["params"][1]["gw"], np.outer(dz2, a1), rtol=1e-12)
    W1n, b1n = W1 - lr * np.outer(dz1, x), b1 - lr * dz1
    W2n, b2n = W2 - lr * np.outer(dz2, a1), b2 - lr * dz2
    np.testing.assert_allclose(t["params"][0]["w_new"], W1n, rtol=1e-12)
    p_new = 1 / (1 + np.exp(-(W2n @ np.tanh(W1n @ x + b1n) + b2n)))
    assert t["new_loss"] == pytest.approx(-np.log(p_new[0]), rel=1e-12)
    assert t["new_loss"] < t["loss"]  # one step downhill on this example
    # The trace is a look, not a step: the network keeps its weights.
    np.testing.assert_array_equal(arr(net[0].weight), W1)


def test_gradients_match_pytorch() -> None:
    torch = pytest.importorskip("torch", reason="the PyTorch oracle needs torch")
    net = make_net("multiclass", [4, 3], "tanh", 3, seed=11)
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(6, 2)), rng.integers(0, 3, size=6)
    t = trace(net, nn.CrossEntropyLoss(), x, y, "multiclass", lr=0.1, l2=0.01)
    lin = [m for m in net if isinstance(m, nn.Linear)]
    params = []
    for m in lin:
        params += [
            torch.tensor(m.weight.detach().numpy().astype(np.float64), requires_grad=True),
            torch.tensor(m.bias.detach().numpy().astype(np.float64), requires_grad=True),
        ]
    h = torch.tensor(x)
    for k in range(len(lin)):
        h = h @ params[2 * k].T + params[2 * k + 1]
        if k < len(lin) - 1:
            h = torch.tanh(h)
    loss = torch.nn.functional.cross_entropy(h, torch.tensor(y))
    loss = loss + 0.5 * 0.01 * sum((w * w).sum() for w in params[::2])
    loss.backward()
    assert t["total"] == pytest.approx(loss.item(), rel=1e-12)
    for k in range(len(lin)):
        np.testing.assert_allclose(t["params"][k]["gw"], params[2 * k].grad.numpy(), rtol=1e-10)
        np.testing.assert_allclose(t["params"][k]["gb"], params[2 * k + 1].grad.numpy(), rtol=1e-10)


# ---------------------------------------------------------------- the session's message


def ask(session: Session, **fields) -> dict:
    (reply,) = session.handle(parse_message(json.dumps({"type": "backprop", **fields})))
    return reply


def test_the_session_trace_is_read_only_and_names_its_examples() -> None:
    session = Session({"hidden": [3], "activations": ["relu"], "batch_size": 7})
    before = [p.detach().numpy().copy() for p in session.model.parameters()]
    one = ask(session, example=4)
    assert one["examples"] == [4] and one["batch"] is False
    assert len(one["layers"][0]["a"]) == 1 and one["sizes"] == [2, 3, 1]
    n = one["n_train"]
    wrapped = ask(session, example=n - 2, batch=True)
    assert wrapped["examples"] == [n - 2, n - 1, 0, 1, 2, 3, 4]  # a batch wraps around
    assert wrapped["names"][1] == session.unit_names()[1]
    after = [p.detach().numpy() for p in session.model.parameters()]
    for a, b in zip(before, after):
        np.testing.assert_array_equal(a, b)
    # The session's learning rate and its regularisation are the trace's.
    session.apply_settings({"lr": 0.03, "regularization": "l2", "reg_rate": 0.01})
    again = ask(session, example=0)
    assert again["lr"] == pytest.approx(0.03) and again["l2"] == pytest.approx(0.01)
    assert again["params"][0]["gw_penalty"] is not None
    assert json.dumps(again, allow_nan=False)  # JSON as the page receives it


def test_one_neuron_and_k_classes_trace_too() -> None:
    neuron = ask(Session({"hidden": [], "activations": []}))
    assert neuron["sizes"] == [2, 1] and len(neuron["params"]) == 1
    blobs = ask(Session({"dataset": "blobs", "classes": 3}), batch=True)
    out = blobs["layers"][-1]
    assert out["da"] is None and out["fprime"] is None  # softmax lives inside the loss
    assert np.allclose(np.sum(out["p"], axis=1), 1.0)
    assert blobs["names"][-1] == ["z[blob 0]", "z[blob 1]", "z[blob 2]"]


def test_the_page_is_told_when_the_step_differs_from_plain_gradient_descent() -> None:
    session = Session({"optimizer": "adam", "dropout": 0.2})
    notes = " ".join(ask(session)["notes"])
    assert "Adam" in notes and "w ← w − lr·g" in notes and "Dropout is switched off" in notes


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"example": -1}, "example must be between 0"),
        ({"example": "3"}, "example must be an integer"),
        ({"example": 2.5}, "example must be an integer"),
        ({"example": 10**9}, "example must be between 0"),
        ({"batch": 1}, "batch must be true or false"),
        ({"layer": 1}, "unknown field(s) layer"),
    ],
)
def test_bad_requests_are_refused_by_the_protocol(fields, expected) -> None:
    with pytest.raises(ProtocolError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        parse_message(json.dumps({"type": "backprop", **fields}))


def test_what_the_trace_cannot_show_is_refused_with_a_reason() -> None:
    session = Session({"n_points": 20, "train_ratio": 50})
    n = len(session.training_labels())
    with pytest.raises(ProtocolError, match=f"0 to {n - 1}; got {n}"):
        ask(session, example=n)
    session.apply_settings({"batch_norm": True})
    with pytest.raises(ProtocolError, match="not batch normalization"):
        ask(session)
    session.apply_settings({"batch_norm": False})
    with nerve.no_grad():
        session.model[0].weight[0, 0] = float("nan")
    with pytest.raises(ProtocolError, match="no longer numbers"):
        ask(session)


# ---------------------------------------------------------------- the lessons

LESSONS = Path(nerve.playground.__file__).parent / "static" / "lessons.json"


def test_every_lesson_sets_up_a_valid_playground_in_the_lectures_order() -> None:
    lessons = json.loads(LESSONS.read_text(encoding="utf-8"))["lessons"]
    assert [lesson["title"] for lesson in lessons] == [
        "A neuron",
        "An activation",
        "A loss",
        "Gradient descent and the learning rate",
        "Backpropagation",
        "Overfitting and regularization",
        "The baseline",
    ]
    for lesson in lessons:
        # Strictly valid, not merely mended by the link reader: a lesson says what it sets.
        merge_settings(default_settings(), check_settings(lesson["setup"]))
        assert {"seed", "init_seed", "dataset"} <= set(lesson["setup"]), lesson["id"]
        assert lesson["text"] and lesson["try"] and all(isinstance(t, str) for t in lesson["try"])
    session = Session(lessons[0]["setup"])
    assert session.layer_sizes() == [2, 1]  # "a neuron" is one neuron


def test_numbers_go_to_the_page_rounded_to_seven_significant_digits() -> None:
    rng = np.random.default_rng(0)
    values = rng.normal(size=400) * 10.0 ** rng.integers(-12, 12, size=400)
    values[:3] = [0.0, -1.0, 1e-310]
    rounded = _round_sig(values)
    expected = [float(f"{v:.7g}") for v in values]
    np.testing.assert_allclose(rounded[3:], expected[3:], rtol=1e-15)
    assert rounded[0] == 0.0 and rounded[1] == -1.0 and np.isfinite(rounded[2])
    # JSON writes the shortest repr: at most seven significant digits each.
    mantissas = (repr(float(v)).split("e")[0].replace("-", "").replace(".", "") for v in rounded)
    assert max(len(m.strip("0")) for m in mantissas) <= 7
