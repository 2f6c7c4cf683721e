"""What learners and teachers tripped on (issue 13's "Fix" list), checked on the session.

Each test names the item it covers. The browser's side of the same items is in
test_browser_classroom.py.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import nerve
from nerve.playground.links import read_link
from nerve.playground.network import linear_layers
from nerve.playground.protocol import LIMITS, ProtocolError, default_settings, parse_message
from nerve.playground.report import binomial_tail
from nerve.playground.session import Session
from nerve.playground.views import NEURON_GRID


def _do(session: Session, kind: str, **fields: object) -> list[dict]:
    return session.handle(parse_message(json.dumps({"type": kind, **fields})))


def _csv(rows: list[tuple[float, float, object]], header: str | None = "a,b,label") -> str:
    lines = [header] if header else []
    return "\n".join(lines + [f"{x},{y},{label}" for x, y, label in rows]) + "\n"


def _grid_csv(n: int, shift: float = 0.0) -> str:
    rows = [((i % 10) / 5 - 1 + shift, (i // 10) / 5 - 1, int(i % 10 < 5)) for i in range(n)]
    return _csv(rows)


def test_1_a_second_upload_replaces_the_data() -> None:
    session = Session()
    _do(session, "upload_csv", text=_grid_csv(60), name="first.csv")
    assert session.points.name == "first" and len(session.points.y) == 60
    replies = _do(session, "upload_csv", text=_grid_csv(80, shift=5.0), name="second.csv")
    assert replies[0]["type"] == "data" and replies[0]["name"] == "second"
    assert session.points.name == "second" and len(session.points.y) == 80
    assert session.points.X[:, 0].min() >= 4.0  # the new points, not the old ones
    assert session.state()["csv"] == "second"


def test_2_a_link_keeps_every_valid_key_and_names_the_bad_one() -> None:
    raw = {"dataset": "spiral", "hidden": [8, 8, 8], "optimizer": "adam", "noise": 90}
    patch, notes = read_link(default_settings(), raw)
    assert patch == {"dataset": "spiral", "hidden": [8, 8, 8], "optimizer": "adam", "noise": 80}
    assert len(notes) == 1 and "noise=90" in notes[0] and "used 80" in notes[0]
    # TensorFlow Playground's links go up to noise 50 of its own scale; ours accept 80.
    assert read_link(default_settings(), {"noise": 60}) == ({"noise": 60}, [])
    session = Session()
    replies = _do(session, "open_link", settings={**raw, "lr": "fast", "colour": "red"})
    s = session.settings
    assert (s["dataset"], s["hidden"], s["optimizer"], s["noise"]) == (
        "spiral",
        [8] * 3,
        "adam",
        80,
    )
    assert s["lr"] == default_settings()["lr"]  # dropped, not guessed
    notes = replies[-1]["notes"]
    assert replies[-1]["type"] == "link" and len(notes) == 3
    assert any("lr" in n for n in notes) and any("colour" in n for n in notes)


@pytest.mark.parametrize(
    ("raw", "expected", "fragment"),
    [
        ({"hidden": [40, 4, 0]}, {"hidden": [32, 4, 1]}, "used 32,4,1"),
        ({"hidden": [4] * 12}, {"hidden": [4] * 10}, "cut to 10 entries"),
        ({"features": ["x1", "x9", "x2"]}, {"features": ["x1", "x2"]}, "used x1,x2"),
        ({"batch_size": 2.6}, {"batch_size": 3}, "whole number"),
        ({"dataset": "mnist", "lr": 0.03}, {"lr": 0.03}, "dataset must be one of"),
        ({"dataset": "csv"}, {}, "does not fit the rest"),  # no CSV uploaded
        ({"dataset": "plane", "loss": "cross_entropy"}, {"dataset": "plane"}, "loss="),
        ({"normalize": None}, {}, "normalize must be true or false"),
    ],
)
def test_2_link_values_are_clamped_or_dropped(raw: dict, expected: dict, fragment: str) -> None:
    patch, notes = read_link(default_settings(), raw)
    assert patch == expected
    assert any(fragment in note for note in notes), notes


def test_2_a_link_with_many_bad_keys_gets_a_bounded_list() -> None:
    _, notes = read_link(default_settings(), {f"k{i}": i for i in range(100)})
    assert len(notes) == 13 and notes[-1] == "... and 88 more"


def test_4_better_than_the_baseline_needs_a_real_margin() -> None:
    # The one-sided binomial test, against values scipy's binom.sf gives.
    assert binomial_tail(55, 100, 0.5) == pytest.approx(0.18410080866, rel=1e-9)
    assert binomial_tail(65, 100, 0.5) == pytest.approx(0.00175882086, rel=1e-9)
    assert binomial_tail(190, 200, 0.9) == pytest.approx(0.00807124996, rel=1e-9)
    assert binomial_tail(0, 10, 0.3) == 1.0 and binomial_tail(5, 10, 0.0) == 0.0
    # An untrained network is "not yet" better, whatever its lucky accuracy; trained, it is.
    for seed in range(6):
        metrics = Session({"dataset": "xor", "init_seed": seed}).frame()["metrics"]
        assert metrics["better_than_baseline"] is False or metrics["p_value"] < 0.05
    session = Session({"dataset": "gaussian", "optimizer": "adam", "lr": 0.03})
    assert session.frame()["metrics"]["p_value"] > 0.001
    session.train(math.inf, epochs=20)
    metrics = session.frame()["metrics"]
    assert metrics["better_than_baseline"] and metrics["p_value"] < 0.001
    regression = Session({"dataset": "plane", "optimizer": "adam", "lr": 0.03})
    assert regression.frame()["metrics"]["better_than_baseline"] is False
    regression.train(math.inf, epochs=20)
    assert regression.frame()["metrics"]["better_than_baseline"] is True


def test_5_multiclass_outputs_show_their_own_class() -> None:
    session = Session({"dataset": "blobs", "classes": 3, "hidden": [4]})
    session.train(math.inf, epochs=3)
    frame = session.frame()
    assert len(frame["outputs"]) == 3
    maps = np.stack([np.frombuffer(m, dtype=np.uint8) / 255 for m in frame["outputs"]])
    assert maps.shape == (3, NEURON_GRID**2)
    assert np.allclose(maps.sum(axis=0), 1.0, atol=3 / 255)  # one probability per class
    # The card of output neuron 2: its logit, P(class 2) and dP(class 2)/dz_2 = p(1 - p).
    x, y = 0.3, -0.2
    for neuron in range(3):
        card = _do(session, "explain", layer=2, neuron=neuron, x=x, y=y)[0]
        with nerve.no_grad():
            row = nerve.from_numpy(session.inputs(np.array([[x, y]])))
            logits = session.model(row).numpy()[0].astype(np.float64)
        p = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
        assert card["value_label"].startswith("logit")
        assert card["value"] == pytest.approx(float(logits[neuron]), abs=1e-5)
        assert card["output_label"] == f"P(class {neuron})"
        assert card["output"] == pytest.approx(float(p[neuron]), abs=1e-5)
        assert card["gradient"] == pytest.approx(float(p[neuron] * (1 - p[neuron])), abs=1e-5)
    hidden = _do(session, "explain", layer=1, neuron=0, x=x, y=y)[0]
    assert hidden["value_label"] == "value (tanh)"


def _diverge(session: Session) -> str:
    _do(session, "play")
    session.train(20.0)
    assert session.status() == "diverged"
    return session.halt["message"]


def test_7_divergence_advice_names_the_right_cause() -> None:
    rows = [((i % 10) / 5 - 1, (i // 10) / 5 - 1, (i % 10) / 10) for i in range(60)]
    rows.append((0.5, 0.5, 1e6))  # one absurd target
    session = Session({"optimizer": "sgd", "lr": 0.01})
    _do(session, "upload_csv", text=_csv(rows), name="outlier.csv")
    message = _diverge(session)
    assert "far from the others" in message and "target=1e+06" in message
    assert "is too large" not in message  # the learning rate is not blamed
    # A learning rate too large, with Adam already on: no advice to use Adam.
    session = Session({"dataset": "plane", "optimizer": "adam", "lr": 10.0})
    message = _diverge(session)
    assert "learning rate 10 is too large" in message and "Adam" not in message
    # The loss grew but every weight is a number: nothing says they are not.
    session = Session({"dataset": "xor", "lr": 10.0})
    session.train(5.0, epochs=20)
    assert "the loss grew to" in session.halt["message"]
    weights = [layer.weight.detach().numpy() for layer in linear_layers(session.model)]
    assert all(np.isfinite(w).all() for w in weights)
    assert "no longer numbers" not in session.halt["message"]
    with pytest.raises(ProtocolError) as info:
        _do(session, "play")
    assert "no longer numbers" not in str(info.value) and "the loss grew" in str(info.value)


def test_9_relative_neuron_and_layer_changes_are_never_lost() -> None:
    session = Session({"hidden": [4, 4]})
    for _ in range(10):
        _do(session, "add_neurons", layer=0, delta=-1)
        _do(session, "add_neurons", layer=0, delta=1)
    assert session.settings["hidden"] == [4, 4]
    for _ in range(6):
        _do(session, "add_neurons", layer=1, delta=-1)
    assert session.settings["hidden"] == [4, 1]  # never below one neuron
    _do(session, "add_neurons", layer=1, delta=LIMITS["neurons"])
    assert session.settings["hidden"] == [4, LIMITS["neurons"]]
    for _ in range(12):
        _do(session, "add_layers", delta=1)
    assert len(session.settings["hidden"]) == LIMITS["hidden_layers"]
    assert session.settings["hidden"][2:] == [4] * (LIMITS["hidden_layers"] - 2)
    _do(session, "add_layers", delta=-9)
    assert session.settings["hidden"] == [4]
    with pytest.raises(ProtocolError, match="there is no hidden layer 4"):
        _do(session, "add_neurons", layer=3, delta=1)


def test_10_a_csv_without_a_header_keeps_its_first_row() -> None:
    rows = [(0.1 * i, -0.1 * i, i % 2) for i in range(20)]
    session = Session()
    _do(session, "upload_csv", text=_csv(rows, header=None), name="plain.csv")
    assert len(session.points.y) == 20
    assert [0.0, -0.0] in session.points.X.tolist()  # the first row is a point
    _do(session, "upload_csv", text=_csv(rows), name="headed.csv")
    assert len(session.points.y) == 20


def test_11_the_same_link_gives_the_same_run() -> None:
    settings = {"dataset": "spiral", "seed": 5, "init_seed": 9, "hidden": [6], "batch_size": 7}
    runs = []
    for _ in range(2):
        session = Session(settings)
        session.train(math.inf, epochs=3)
        runs.append(
            [layer.weight.detach().numpy().copy() for layer in linear_layers(session.model)]
        )
    assert all(np.array_equal(a, b) for a, b in zip(*runs))
    other = Session({**settings, "init_seed": 9, "seed": 6})
    other.train(math.inf, epochs=3)
    assert not np.array_equal(linear_layers(other.model)[0].weight.detach().numpy(), runs[0][0])


@pytest.mark.parametrize("activation", ["leaky_relu", "elu", "gelu", "silu"])
def test_more_activations_train(activation: str) -> None:
    session = Session({"dataset": "circle", "activation": activation, "hidden": [6]})
    assert session.settings["activations"] == [activation]
    before = session.frame()["loss"]["train"]
    session.train(math.inf, epochs=5)
    assert session.frame()["loss"]["train"] < before


def test_the_largest_network_trains_and_draws() -> None:
    hidden = [LIMITS["neurons"]] * LIMITS["hidden_layers"]
    session = Session({"hidden": hidden, "activation": "relu", "n_points": 100})
    session.train(math.inf, epochs=1)
    frame = session.frame()
    assert [len(layer) for layer in frame["neurons"]] == [2, *hidden]


def test_2_a_link_whose_data_cannot_be_built_keeps_the_session(monkeypatch) -> None:
    import nerve.playground.session as session_mod

    session = Session()

    def refuse(settings: dict, csv_data: object = None) -> None:
        raise ProtocolError("cannot split the data: too few points")

    monkeypatch.setattr(session_mod, "realize", refuse)
    replies = _do(session, "open_link", settings={"noise": 30})
    assert [m["type"] for m in replies] == ["state", "link"]
    assert "too few points" in replies[-1]["notes"][-1] and session.settings["noise"] == 0


def test_one_blas_thread_restores_the_pool_when_the_last_user_leaves() -> None:
    from threadpoolctl import threadpool_info

    from nerve.playground.training import one_blas_thread

    def sizes() -> list[int]:  # NumPy's BLAS (others, e.g. torch's, nerve does not use)
        info = threadpool_info()
        return [i["num_threads"] for i in info if "numpy" in i["filepath"]]

    before = sizes()
    assert before  # NumPy's BLAS was found
    with one_blas_thread():
        with one_blas_thread():
            assert sizes() == [1]
        assert sizes() == [1]  # the inner exit does not lift the outer limit
    assert sizes() == before


def test_12_thumbnails_are_the_data_at_the_current_settings() -> None:
    session = Session({"dataset": "blobs", "classes": 5, "noise": 10})
    previews = session.points.to_message()["thumbnails"]
    assert set(previews) == {"circle", "xor", "gaussian", "spiral", "moons", "blobs"}
    assert sorted(set(previews["blobs"]["y"])) == [0, 1, 2, 3, 4]  # 5 clusters, as chosen
    xy = np.frombuffer(previews["circle"]["xy"], dtype=np.int8).reshape(-1, 2) / 100
    assert xy.shape == (200, 2) and np.abs(xy).max() <= 1.27
    _do(session, "set", settings={"noise": 40})
    noisier = session.points.to_message()["thumbnails"]
    assert noisier["circle"]["xy"] != previews["circle"]["xy"]
    _do(session, "set", settings={"dataset": "sine"})
    regression = session.points.to_message()["thumbnails"]
    assert set(regression) == {"plane", "multi-gaussian", "sine"}
    assert regression["sine"]["task"] == "regression"


def test_wire_rejects_references_outside_the_payload() -> None:
    from nerve.playground.wire import decode, encode

    frame = encode({"type": "frame", "maps": [b"\x01\x02", b"\x03"], "n": 1.5})
    assert isinstance(frame, bytes) and decode(frame)["maps"] == [b"\x01\x02", b"\x03"]
    assert encode({"type": "state", "epoch": 3}) == '{"type":"state","epoch":3}'
    broken = frame[:-1]  # the payload lost its last byte
    with pytest.raises(ValueError, match="outside the payload"):
        decode(broken)
    with pytest.raises(ValueError, match="4-byte header"):
        decode(b"\x01")


def test_the_loss_advice_fits_the_task() -> None:
    assert Session({"dataset": "spiral"}).state()["loss_advice"].startswith("CE with softmax")
    advice = Session({"dataset": "sine", "loss": "mse"}).state()["loss_advice"]
    assert advice.startswith("MSE") and "classes" in advice
