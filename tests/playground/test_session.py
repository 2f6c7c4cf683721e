"""A playground session without a browser: training, views, limits, editing, resets."""

from __future__ import annotations

import base64
import io
import json
import math

import numpy as np
import pytest

import nerve
from nerve import nn
from nerve.playground.dataset import TEST, TRAIN, VAL
from nerve.playground.network import linear_layers
from nerve.playground.protocol import LIMITS, ProtocolError, parse_message
from nerve.playground.session import Session
from nerve.playground.views import GRID, LINE_SAMPLES, N_LINES
from nerve.playground.wire import decode, encode


def _do(session: Session, kind: str, **fields: object) -> list[dict]:
    return session.handle(parse_message(json.dumps({"type": kind, **fields})))


def _weights(session: Session) -> list[np.ndarray]:
    return [p.detach().numpy().copy() for p in session.model.parameters()]


def _same(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


def test_default_session_trains_xor_to_090() -> None:
    session = Session({"dataset": "xor"})  # the defaults: SGD 0.1, two tanh layers of 4
    for _ in range(150):
        session.train(math.inf, epochs=1)
        if session.frame()["metrics"]["model"]["accuracy"] >= 0.95:
            break
    metrics = session.frame()["metrics"]
    assert metrics["on"] == "test"
    assert metrics["model"]["accuracy"] >= 0.9
    assert metrics["better_than_baseline"] is True
    assert metrics["baseline"]["accuracy"] == pytest.approx(0.5, abs=0.05)


def test_frame_is_one_batched_forward_pass() -> None:
    session = Session({"hidden": [4, 3], "features": ["x1", "x2", "x1x2"]})
    calls: list[int] = []
    handles = [
        layer.register_forward_hook(lambda m, args, out: calls.append(args[0].shape[0]))
        for layer in linear_layers(session.model)
    ]
    frame = session.frame()
    for h in handles:
        h.remove()
    n_rows = GRID * GRID + 2 * N_LINES * LINE_SAMPLES + len(session.points.y)
    assert calls == [n_rows] * 3  # each of the 3 Linear layers ran once, on everything
    # The same pass gave the surface and every neuron's heatmap.
    values = np.frombuffer(frame["surface"]["values"], dtype=np.uint8)  # P(class 1) * 255
    assert values.shape == (GRID * GRID,) and len(set(values.tolist())) > 10
    assert [len(layer) for layer in frame["neurons"]] == [3, 4, 3]
    assert len(frame["neurons"][1][0]) == 25 * 25 and len(frame["outputs"]) == 1
    assert decode(encode(frame)) == frame  # bytes travel in one binary frame


def _strict_json(message: dict) -> None:
    """JSON without NaN or infinity, the pictures (bytes) aside: they travel as a payload."""

    def no_bytes(value: object) -> object:
        if isinstance(value, bytes):
            return None
        if isinstance(value, dict):
            return {k: no_bytes(v) for k, v in value.items()}
        if isinstance(value, list):
            return [no_bytes(v) for v in value]
        return value

    json.dumps(no_bytes(message), allow_nan=False)


def test_divergence_is_detected_and_explained() -> None:
    session = Session({"dataset": "plane", "lr": 10.0})
    _do(session, "play")
    session.train(5.0)
    assert session.status() == "diverged" and not session.running
    state = session.state()
    assert "diverged" in state["message"] and "learning rate 10" in state["message"]
    assert "try 1 or smaller" in state["message"]
    _strict_json(session.frame())  # NaN weights still give a valid frame
    with pytest.raises(ProtocolError, match="reset"):
        _do(session, "play")
    _do(session, "set", settings={"lr": 0.01})
    _do(session, "reset", keep_weights=True)
    assert session.status() == "paused" and session.epoch == 0


def test_saturating_classifier_counts_as_diverged() -> None:
    # A sigmoid pinned at the wrong class never produces NaN; the loss growth gives it away.
    session = Session({"dataset": "xor", "lr": 10.0})
    session.train(5.0, epochs=20)
    assert session.status() == "diverged"
    assert "the loss grew to" in session.halt["message"]


def test_a_normal_run_is_not_flagged() -> None:
    session = Session({"dataset": "circle", "optimizer": "adam", "lr": 0.03})
    session.train(math.inf, epochs=30)
    assert session.halt is None and session.epoch == 30


def test_step_trains_one_epoch_and_pauses() -> None:
    session = Session()
    replies = _do(session, "step")
    assert [r["type"] for r in replies] == ["state", "frame"]
    assert session.epoch == 1 and replies[1]["epoch"] == 1 and not session.running


def test_hyperparameters_change_without_a_reset() -> None:
    session = Session()
    session.train(math.inf, epochs=3)
    before = _weights(session)
    for patch in (
        {"lr": 0.03},
        {"optimizer": "adam"},
        {"optimizer": "momentum"},
        {"batch_size": 25},
        {"regularization": "l2", "reg_rate": 0.01},
        {"weight_decay": 0.001},
        {"schedule": "cosine"},
        {"loss": "mse"},
        {"speed": 5},
        {"early_stopping": True, "patience": 5},
    ):
        _do(session, "set", settings=patch)
        assert session.epoch == 3, patch
        assert _same(_weights(session), before), patch
    session.train(math.inf, epochs=1)
    assert session.epoch == 4


def test_shape_keeping_changes_carry_the_weights() -> None:
    session = Session({"hidden": [4, 4]})
    session.train(math.inf, epochs=2)
    linear = [layer.weight.detach().numpy().copy() for layer in linear_layers(session.model)]
    for patch in ({"activations": ["relu", "tanh"]}, {"dropout": 0.2}, {"batch_norm": True}):
        _do(session, "set", settings=patch)
        now = [layer.weight.detach().numpy() for layer in linear_layers(session.model)]
        assert all(np.array_equal(a, b) for a, b in zip(linear, now)), patch
        assert session.epoch == 2
    kinds = [type(m) for m in session.model]
    assert nn.Dropout in kinds and nn.BatchNorm1d in kinds and nn.ReLU in kinds
    session.train(math.inf, epochs=1)  # and it still trains
    assert session.epoch == 3


def test_architecture_changes_restart() -> None:
    session = Session()
    session.train(math.inf, epochs=2)
    _do(session, "set", settings={"hidden": [4, 4, 2]})
    assert session.epoch == 0 and session.layer_sizes() == [2, 4, 4, 2, 1]
    _do(session, "set", settings={"features": ["x1", "x2", "x1sq", "sin_x2"]})
    assert session.layer_sizes()[0] == 4
    with pytest.raises(ProtocolError):
        _do(session, "set", settings={"hidden": [4] * (LIMITS["hidden_layers"] + 1)})


def test_reset_with_and_without_the_same_initial_weights() -> None:
    session = Session()
    initial = _weights(session)
    session.train(math.inf, epochs=3)
    assert not _same(_weights(session), initial)
    _do(session, "reset", keep_weights=True)
    assert _same(_weights(session), initial) and session.epoch == 0
    assert [row[0] for row in session.history] == [0]  # the frame after the reset
    seed = session.settings["init_seed"]
    _do(session, "reset", keep_weights=False)
    assert session.settings["init_seed"] != seed
    assert not _same(_weights(session), initial)


def test_init_schemes_and_seed_are_reproducible() -> None:
    for scheme in ("default", "xavier", "he"):
        a = Session({"init": scheme, "init_seed": 7})
        b = Session({"init": scheme, "init_seed": 7})
        assert _same(_weights(a), _weights(b))
    xavier = Session({"init": "xavier"})
    assert all(not layer.bias.detach().numpy().any() for layer in linear_layers(xavier.model))


def test_edit_weights_and_biases() -> None:
    session = Session({"hidden": [3]})
    frame = _do(session, "set_weight", layer=1, row=2, col=1, value=-1.5)[0]
    w = np.frombuffer(frame["weights"][0]["w"], dtype="<f4").reshape(frame["weights"][0]["shape"])
    assert w.shape == (3, 2) and w[2, 1] == -1.5
    frame = _do(session, "set_bias", layer=2, neuron=0, value=0.75)[0]
    assert np.frombuffer(frame["weights"][1]["b"], dtype="<f4").tolist() == [0.75]  # output
    # Edited before training: a reset to the same initial weights keeps the edit.
    session.train(math.inf, epochs=1)
    _do(session, "reset", keep_weights=True)
    assert linear_layers(session.model)[0].weight.detach().numpy()[2, 1] == -1.5
    for bad in (
        {"layer": 0, "row": 0, "col": 0},
        {"layer": 3, "row": 0, "col": 0},
        {"layer": 1, "row": 3, "col": 0},
        {"layer": 1, "row": 0, "col": 2},
    ):
        with pytest.raises(ProtocolError, match="set_weight"):
            _do(session, "set_weight", value=1.0, **bad)
    with pytest.raises(ProtocolError, match="no neuron 1 in layer 2"):
        _do(session, "set_bias", layer=2, neuron=1, value=1.0)


def test_explain_gives_formula_value_and_autograd_gradient() -> None:
    session = Session({"hidden": [3], "activations": ["tanh"]})
    session.train(math.inf, epochs=2)
    x, y = 0.3, -0.4
    hidden = _do(session, "explain", layer=1, neuron=1, x=x, y=y)[0]
    w1, b1 = (
        t.detach().numpy().astype(np.float64)
        for t in (session.model[0].weight, session.model[0].bias)
    )
    w2, b2 = (
        t.detach().numpy().astype(np.float64)
        for t in (session.model[2].weight, session.model[2].bias)
    )
    h = np.tanh(w1 @ [x, y] + b1)
    p = 1 / (1 + np.exp(-(w2 @ h + b2)[0]))
    assert hidden["formula"].startswith("h1.2 = tanh(") and "x1" in hidden["formula"]
    assert hidden["value"] == pytest.approx(h[1], abs=1e-5)
    assert hidden["output"] == pytest.approx(p, abs=1e-5)
    # d p / d h_j = p (1 - p) w2_j: the chain rule, checked against nerve's autograd.
    assert hidden["gradient"] == pytest.approx(p * (1 - p) * w2[0, 1], rel=1e-3, abs=1e-7)
    out = _do(session, "explain", layer=2, neuron=0, x=x, y=y)[0]
    assert out["formula"].startswith("ŷ = sigmoid(") and out["gradient"] == pytest.approx(1.0)
    feature = _do(session, "explain", layer=0, neuron=0, x=x, y=y)[0]
    eps = 1e-3
    up = 1 / (1 + np.exp(-(w2 @ np.tanh(w1 @ [x + eps, y] + b1) + b2)[0]))
    down = 1 / (1 + np.exp(-(w2 @ np.tanh(w1 @ [x - eps, y] + b1) + b2)[0]))
    assert feature["gradient"] == pytest.approx((up - down) / (2 * eps), rel=1e-2, abs=1e-6)
    with pytest.raises(ProtocolError, match="no neuron 3 in layer 1"):
        _do(session, "explain", layer=1, neuron=3, x=x, y=y)


def test_multiclass_data_softmax_and_both_losses() -> None:
    session = Session({"dataset": "blobs", "optimizer": "adam", "lr": 0.03})
    assert session.points.task == "multiclass" and session.layer_sizes()[-1] == 3
    session.train(math.inf, epochs=10)
    frame = session.frame()
    assert frame["surface"]["kind"] == "multiclass"
    assert np.array(frame["metrics"]["confusion"]).shape == (3, 3)
    assert frame["metrics"]["model"]["accuracy"] >= 0.9
    explained = _do(session, "explain", layer=2, neuron=0, x=0.0, y=0.6)[0]
    assert explained["output_label"].startswith("P(class ")
    _do(session, "set", settings={"loss": "mse"})  # softmax + squared error, same network
    session.train(math.inf, epochs=3)
    assert session.halt is None
    spiral = Session({"dataset": "spiral", "classes": 3})
    assert spiral.points.n_classes == 3 and spiral.layer_sizes()[-1] == 3


def test_regression_with_metrics_against_the_mean() -> None:
    session = Session({"dataset": "plane", "optimizer": "adam", "lr": 0.03})
    session.train(math.inf, epochs=15)
    metrics = session.frame()["metrics"]
    assert metrics["task"] == "regression" and metrics["model"]["r2"] > 0.9
    assert metrics["better_than_baseline"] is True
    assert session.frame()["surface"]["kind"] == "regression"
    _do(session, "add_point", x=0.2, y=0.2, label=0.7)  # a target value, not a class


def test_early_stopping_restores_the_best_weights() -> None:
    session = Session(
        {"dataset": "xor", "noise": 50, "hidden": [8, 8], "optimizer": "adam", "lr": 0.3},
    )
    _do(session, "set", settings={"early_stopping": True, "patience": 3, "max_epochs": 400})
    session.running = True
    while session.running:
        session.train(math.inf, epochs=10)
    assert session.halt["kind"] == "early_stop"
    assert "test loss has not improved for 3 epochs" in session.halt["message"]
    best_loss = session._best[0]
    idx = session.points.indices(TEST)
    restored = session._loss_on(session.inputs(session.points.X[idx]), session.points.y[idx])
    assert restored == pytest.approx(best_loss, rel=1e-5)


def test_early_stopping_watches_validation_when_there_is_one() -> None:
    session = Session({"val_ratio": 20, "early_stopping": True})
    assert "early stopping watches the validation loss" in session.notes()
    assert session.frame()["loss"]["val"] is not None


def test_max_epochs() -> None:
    session = Session({"max_epochs": 3})
    session.running = True
    session.train(math.inf, epochs=10)
    assert session.epoch == 3 and session.status() == "max_epochs"


def test_schedules_follow_the_epochs() -> None:
    step = Session({"schedule": "step", "schedule_epochs": 2, "lr": 0.1})
    step.train(math.inf, epochs=4)
    assert step.frame()["lr"] == pytest.approx(0.025)
    cosine = Session({"schedule": "cosine", "schedule_epochs": 4, "lr": 0.1})
    cosine.train(math.inf, epochs=2)
    assert cosine.frame()["lr"] == pytest.approx(0.05)
    _do(cosine, "set", settings={"lr": 0.2})  # a new rate restarts the curve from there
    assert cosine.frame()["lr"] == pytest.approx(0.1)


def test_data_controls_split_noise_ratio_imbalance_normalize() -> None:
    session = Session({"train_ratio": 70, "val_ratio": 20, "n_points": 500})
    counts = session.points.to_message()["counts"]
    assert counts == {"train": 280, "val": 70, "test": 150}
    imbalanced = Session({"dataset": "gaussian", "imbalance": 20, "class_weights": True})
    y = imbalanced.points.y
    assert np.bincount(y).tolist() == [200, 40]
    assert imbalanced.frame()["metrics"]["baseline"]["accuracy"] > 0.8
    assert imbalanced.criterion.w1 > imbalanced.criterion.w0  # the minority class counts more
    normalized = Session({"normalize": True, "features": ["x1", "x1sq"]})
    train = normalized._train_x
    assert np.allclose(train.mean(axis=0), 0, atol=1e-5) and np.allclose(train.std(axis=0), 1)
    noisy = Session({"noise": 50})
    assert not np.array_equal(noisy.points.X, Session({"noise": 0}).points.X)


def test_regenerate_draws_new_points() -> None:
    session = Session()
    before = session.points.X.copy()
    replies = _do(session, "regenerate")
    assert [r["type"] for r in replies] == ["data", "state", "frame"]
    assert not np.array_equal(before, session.points.X)


def test_add_and_remove_points_with_limits() -> None:
    session = Session({"n_points": 100})
    n = len(session.points.y)
    data = _do(session, "add_point", x=0.9, y=0.9, label=0)[0]
    assert data["type"] == "data" and len(data["x"]) == n + 1 and data["part"][-1] == TRAIN
    _do(session, "remove_point", x=0.9, y=0.9)
    assert len(session.points.y) == n
    with pytest.raises(ProtocolError, match="label must be a class 0..1"):
        _do(session, "add_point", x=0.0, y=0.0, label=2)
    with pytest.raises(ProtocolError, match="label must be a class"):
        _do(session, "add_point", x=0.0, y=0.0, label=0.5)
    with pytest.raises(ProtocolError, match="no point there"):
        _do(session, "remove_point", x=50.0, y=50.0)
    full = Session({"n_points": LIMITS["points"]})
    with pytest.raises(ProtocolError, match="full"):
        _do(full, "add_point", x=0.0, y=0.0, label=1)


def _csv(n: int, bad: str = "") -> str:
    rng = np.random.default_rng(0)
    rows = ["a,b,kind"]
    for _ in range(n):
        a, b = rng.uniform(-3, 3, 2)
        rows.append(f"{a:.3f},{b:.3f},{'yes' if a * b > 0 else 'no'}")
    if bad:
        rows.insert(3, bad)
    return "\n".join(rows) + "\n"


def test_upload_csv() -> None:
    session = Session()
    replies = _do(session, "upload_csv", text=_csv(120), name="mine.csv")
    assert session.settings["dataset"] == "csv" and session.points.name == "mine"
    data = next(r for r in replies if r["type"] == "data")
    assert data["class_names"] == ["no", "yes"] and data["domain"][0] < -2.9
    session.train(math.inf, epochs=2)
    # Back to generated data and again to the uploaded set.
    _do(session, "set", settings={"dataset": "circle"})
    _do(session, "set", settings={"dataset": "csv"})
    assert session.points.name == "mine"
    regression = Session()
    _do(regression, "upload_csv", text="x,y,t\n0,0,0.5\n1,1,1.5\n2,0,2.25\n1,2,0.1\n0,1,3.3\n")
    assert regression.settings["problem"] == "regression"
    assert regression.settings["loss"] == "mse"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a,b\n1,2\n", "header with 3 columns"),
        ("", "header with 3 columns"),
        (_csv(10, bad="1.0,,yes"), "line 4, column 'b': missing value"),
        (_csv(10, bad="1.0,2.0"), "line 4: expected 3 cells"),
        (_csv(10, bad="1.0,inf,no"), "line 4, column 'b': 'inf' is not a finite number"),
        (_csv(10, bad="red,2.0,no"), "line 4, column 'a': 'red' is text"),
        ("a,b,c\nu,1,0\nv,2,1\n", "the two feature columns must be numeric"),
        ("a,b,c\n1,2,x\n3,4,x\n", "single class"),
        (_csv(LIMITS["upload_rows"] + 1), "at most 1000"),
    ],
    ids=lambda v: v[:24] if isinstance(v, str) else None,
)
def test_csv_errors_name_the_row_and_change_nothing(text: str, expected: str) -> None:
    session = Session()
    before = session.points.X.copy()
    with pytest.raises(ProtocolError) as info:
        _do(session, "upload_csv", text=text)
    assert expected in str(info.value)
    assert session.settings["dataset"] == "xor" and np.array_equal(before, session.points.X)
    assert session.csv_data is None


def test_hidden_space_view() -> None:
    session = Session({"hidden": [5, 2]})
    view = session.frame()["hidden_view"]
    assert view["layer"] == 2 and view["axes"] == ["h2.1", "h2.2"]
    lo, hi = np.array(view["lo"]), np.array(view["hi"])

    def coords(raw: bytes) -> np.ndarray:  # uint16 steps of [lo - span/2, hi + span/2]
        q = np.frombuffer(raw, dtype="<u2").reshape(-1, 2) / 65535
        return lo - (hi - lo) / 2 + q * 2 * (hi - lo)

    assert coords(view["lines"]).shape == (2 * N_LINES * LINE_SAMPLES, 2)
    points = coords(view["points"])
    with nerve.no_grad():
        inputs = nerve.from_numpy(session.inputs(session.points.X))
        acts = session.model[:4](inputs).numpy()  # the second hidden layer, after tanh
    assert np.allclose(points, acts, atol=2 * (hi - lo).max() / 65535 + 1e-6)
    _do(session, "set", settings={"view_layer": 1})
    assert session.frame()["hidden_view"]["axes"][0].startswith("PC1 (")
    _do(session, "set", settings={"view": "neurons", "view_neurons": [4, 2]})
    assert session.frame()["hidden_view"]["axes"] == ["h1.5", "h1.3"]
    _do(session, "set", settings={"hidden": []})
    assert session.frame()["hidden_view"] is None
    assert any("linear model" in note for note in session.notes())


def test_safetensors_export_loads_back() -> None:
    session = Session()
    session.train(math.inf, epochs=1)
    message = _do(session, "export", format="safetensors")[0]
    assert message["filename"].endswith(".safetensors")
    state = nerve.load(io.BytesIO(base64.b64decode(message["base64"])))
    for key, value in session.model.state_dict().items():
        assert np.array_equal(state[key].numpy(), value.numpy())


def test_messages_are_strict_json_in_every_state() -> None:
    session = Session({"val_ratio": 20, "batch_norm": True, "dropout": 0.2, "n_points": 100})
    for message in (session.state(), session.points.to_message(), session.frame()):
        _strict_json(message)
    assert session.points.indices(VAL).size > 0
