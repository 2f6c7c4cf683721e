"""The playground's images mode: the session learns the digits, every message is checked before
it runs, and the WebSocket at /ws/images keeps the main page's rules."""

from __future__ import annotations

import json
import warnings
from typing import Any

import numpy as np
import pytest

import nerve

pytest.importorskip("sklearn", reason="the 8x8 digits come from scikit-learn")
pytest.importorskip(
    "starlette", reason="the playground server needs: pip install nerve[playground]"
)
pytest.importorskip("httpx", reason="Starlette's TestClient needs httpx")

with warnings.catch_warnings():
    # Starlette 1.x suggests httpx2 for its TestClient; httpx still works.
    warnings.filterwarnings("ignore", message=".*httpx2")
    from starlette.testclient import TestClient  # noqa: E402
from starlette.websockets import WebSocketDisconnect  # noqa: E402

from nerve.playground import images, server  # noqa: E402
from nerve.playground.images import ImagesError, ImagesSession, parse_message  # noqa: E402


@pytest.fixture(scope="module")
def session() -> ImagesSession:
    return ImagesSession(seed=0)


def test_training_improves_accuracy_within_a_few_steps(session: ImagesSession) -> None:
    session.reset(0)
    start = session.history[-1]["test_accuracy"]
    assert start < 0.3  # an untrained network guesses
    for _ in range(3):
        session.handle({"type": "train", "steps": 20})
    end = session.history[-1]
    assert end["step"] == 60 and np.isfinite(end["loss"])
    assert end["test_accuracy"] > 0.7 and end["test_accuracy"] > start + 0.4
    view = session.view()
    assert sum(map(sum, view["confusion"])) == view["test_size"] == len(session.test_idx)
    diagonal = sum(view["confusion"][i][i] for i in range(10))
    assert diagonal == round(end["test_accuracy"] * view["test_size"])
    for wrong in view["misclassified"]:
        assert wrong["label"] != wrong["predicted"]
        assert np.asarray(wrong["pixels"]).shape == (8, 8)


def test_feature_map_shapes_and_probabilities(session: ImagesSession) -> None:
    session.handle({"type": "digit", "index": 3})
    view = session.view()
    assert view["chosen"]["index"] == 3
    assert view["chosen"]["label"] == int(session.labels[session.test_idx[3]])
    shapes = [(layer["name"], layer["shape"]) for layer in view["chosen"]["layers"]]
    assert shapes == [
        ("0: Conv2d", [8, 8, 8]),
        ("1: ReLU", [8, 8, 8]),
        ("2: MaxPool2d", [8, 4, 4]),
        ("3: Conv2d", [16, 4, 4]),
        ("4: ReLU", [16, 4, 4]),
        ("5: MaxPool2d", [16, 2, 2]),
        ("7: Linear", [10]),
    ]
    for layer in view["chosen"]["layers"]:
        assert np.asarray(layer["values"]).shape == tuple(layer["shape"])
    assert min(np.asarray(view["chosen"]["layers"][1]["values"]).ravel()) >= 0  # after ReLU
    assert sum(view["chosen"]["probabilities"]) == pytest.approx(1, abs=1e-2)
    assert view["filters"]["shape"] == [8, 3, 3]


def test_a_drawn_digit_is_predicted_with_its_maps(session: ImagesSession) -> None:
    session.reset(0)
    session.handle({"type": "train", "steps": 60})
    index = int(session.test_idx[0])
    pixels = session.images[index, 0].tolist()  # a real digit, as 8 rows of 8
    message = parse_message(json.dumps({"type": "predict", "pixels": pixels}))
    (reply,) = session.handle(message)
    assert reply["type"] == "prediction"
    assert reply["predicted"] == int(np.argmax(reply["probabilities"]))
    assert [layer["shape"] for layer in reply["layers"]][0] == [8, 8, 8]
    # the same image through the model directly gives the same answer
    session.model.eval()
    with nerve.no_grad():
        logits = session.model(nerve.from_numpy(session.images[index : index + 1]))
    assert reply["predicted"] == int(logits.argmax())


@pytest.mark.parametrize(
    "pixels, expected",
    [
        ([0.5] * 63, "list of 64 numbers"),
        ([0.5] * 65, "list of 64 numbers"),
        ("0" * 64, "got str"),
        (None, "got NoneType"),
        ([0.5] * 63 + [True], "pixel 63 is bool"),
        ([0.5] * 63 + ["1"], "pixel 63 is str"),
        ([0.5] * 63 + [[1]], "pixel 63 is list"),
        ([1.01] + [0] * 63, "from 0 to 1; pixel 0 is 1.01"),
        ([0] * 10 + [-0.1] + [0] * 53, "pixel 10 is -0.1"),
        ([[0.5] * 8] * 7 + [[0.5] * 7], "list of 64 numbers"),
    ],
)
def test_drawn_digit_input_is_validated(pixels: Any, expected: str) -> None:
    with pytest.raises(ImagesError, match=expected):
        parse_message(json.dumps({"type": "predict", "pixels": pixels}))


def test_non_finite_pixels_are_refused() -> None:
    for bad in ("NaN", "Infinity", "-Infinity"):
        raw = '{"type": "predict", "pixels": [' + ", ".join(["0"] * 63 + [bad]) + "]}"
        with pytest.raises(ImagesError, match="pixel 63"):
            parse_message(raw)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("x" * (images.MAX_MESSAGE + 1), "message too long"),
        ("{not json", "not valid JSON"),
        ("[" * 5000, "message too long"),
        ("[" * 2000, "not valid JSON"),
        ('"train"', "JSON object"),
        ('{"type": "fly"}', "unknown message type 'fly'"),
        ('{"type": "train", "steps": 0}', "'steps' must be an integer from 1 to 100"),
        ('{"type": "train", "steps": 101}', "from 1 to 100"),
        ('{"type": "train", "steps": true}', "from 1 to 100"),
        ('{"type": "train", "steps": 2.5}', "from 1 to 100"),
        ('{"type": "digit", "index": 24}', "'index' must be an integer from 0 to 23"),
        ('{"type": "reset", "seed": -1}', "'seed' must be an integer"),
        (b"\xff\xfe", "not valid JSON"),
    ],
    ids=lambda value: repr(value)[:30],
)
def test_bad_messages_are_refused(raw: str | bytes, expected: str) -> None:
    with pytest.raises(ImagesError, match=expected):
        parse_message(raw)


def test_reset_is_reproducible_and_leaves_the_global_generator(session: ImagesSession) -> None:
    nerve.manual_seed(123)
    before = nerve.rand(3)
    nerve.manual_seed(123)
    session.reset(7)
    session.train(5)
    first = [p.detach().numpy().copy() for p in session.model.parameters()]
    session.reset(7)
    session.train(5)
    again = [p.detach().numpy() for p in session.model.parameters()]
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert np.array_equal(nerve.rand(3).numpy(), before.numpy())  # generator untouched


def _client() -> TestClient:
    return TestClient(server.create_app(), base_url="http://localhost")


def test_websocket_round_trip() -> None:
    with _client() as client, client.websocket_connect("ws://localhost/ws/images") as ws:
        hello = ws.receive_json()
        assert hello["type"] == "hello" and len(hello["gallery"]) == images.LIMITS["gallery"]
        first = ws.receive_json()
        assert first["type"] == "images" and first["step"] == 0
        assert first["history"][0]["loss"] is None  # no step yet: null, not NaN
        ws.send_text(json.dumps({"type": "train", "steps": 5}))
        assert ws.receive_json()["step"] == 5
        ws.send_text('{"type": "train", "steps": 1000}')
        error = ws.receive_json()
        assert error["type"] == "error" and "from 1 to 100" in error["message"]
        ws.send_text(json.dumps({"type": "predict", "pixels": [0.0] * 64}))
        assert ws.receive_json()["type"] == "prediction"
        ws.send_text(json.dumps({"type": "train", "steps": 1}))
        assert ws.receive_json()["step"] == 6  # the error changed nothing


def test_websocket_refuses_foreign_pages() -> None:
    origin = {"origin": "http://evil.example"}
    with (
        _client() as client,
        pytest.raises(WebSocketDisconnect),
        client.websocket_connect("ws://localhost/ws/images", headers=origin) as ws,
    ):
        assert ws.receive_json() == {"type": "error", "message": "foreign origin"}
        ws.receive_json()


def test_page_and_script_are_served() -> None:
    with _client() as client:
        page = client.get("/static/images.html")
        assert page.status_code == 200 and "/static/js/images.js" in page.text
        assert client.get("/static/js/images.js").status_code == 200
        assert client.get("/static/images.css").status_code == 200
        assert "/static/images.html" in client.get("/").text  # reachable from the main page
