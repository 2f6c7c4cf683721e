"""The playground's web server without a browser: files, WebSocket protocol, limits, CLI."""

from __future__ import annotations

import argparse
import json
import re
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import pytest

pytest.importorskip(
    "starlette", reason="the playground server needs: pip install nerve[playground]"
)
pytest.importorskip("httpx", reason="Starlette's TestClient needs httpx")

with warnings.catch_warnings():
    # Starlette 1.x suggests httpx2 for its TestClient; httpx still works.
    warnings.filterwarnings("ignore", message=".*httpx2")
    from starlette.testclient import TestClient  # noqa: E402
from starlette.websockets import WebSocketDisconnect  # noqa: E402

from nerve.playground import cli, server  # noqa: E402
from nerve.playground.protocol import LIMITS  # noqa: E402
from nerve.playground.session import Session  # noqa: E402
from nerve.playground.wire import decode  # noqa: E402


class LocalClient(TestClient):
    """A TestClient that addresses the server as ``localhost`` (Starlette's default name,
    ``testserver``, is refused by the Host check), for pages and WebSockets alike."""

    def __init__(self, app: Any) -> None:
        super().__init__(app, base_url="http://localhost")

    def websocket_connect(self, url: str, *args: Any, **kwargs: Any) -> Any:
        return super().websocket_connect(f"ws://localhost{url}", *args, **kwargs)


@pytest.fixture
def client() -> TestClient:
    return LocalClient(server.create_app())


def _receive(ws: Any) -> dict:
    """One message: JSON text, or a binary frame carrying the pictures as bytes (wire.py)."""
    message = ws.receive()
    if message["type"] == "websocket.close":
        raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
    if message.get("text") is not None:
        return json.loads(message["text"])
    return decode(message["bytes"])


def _open(ws: Any) -> dict[str, dict]:
    """Read the four greeting messages; return them by type."""
    messages = {}
    for _ in range(4):
        message = _receive(ws)
        messages[message["type"]] = message
    assert set(messages) == {"hello", "state", "data", "frame"}
    return messages


def _until(ws: Any, kind: str, limit: int = 200) -> dict:
    for _ in range(limit):
        message = _receive(ws)
        if message["type"] == kind:
            return message
    raise AssertionError(f"no {kind} message")


def test_index_and_static_files_with_a_strict_policy(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "nerve playground" in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "default-src 'none'" in policy
    for path, kind in (("/static/js/app.js", "javascript"), ("/static/style.css", "css")):
        response = client.get(path)
        assert response.status_code == 200 and kind in response.headers["content-type"]


def test_no_network_at_run_time() -> None:
    """The page loads nothing from elsewhere: no CDN, no remote fonts, no remote scripts."""
    for path in server.STATIC_DIR.rglob("*"):
        if path.is_file():
            text = path.read_text()
            assert not re.search(r"(src|href)=[\"']?(https?:)?//", text), path
            assert not re.search(r"(import|from)\s*\(?\s*[\"']https?:", text), path
            # same-origin fetches ("/static/...") are fine; another host's are not
            assert not re.search(r"fetch\(\s*[\"'`](https?:)?//", text), path
            assert "@import" not in text, path


def _raw_get(url: str, path: str) -> tuple[int, bytes]:
    host, port = url.split("//")[1].rstrip("/").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    status = int(data.split(b" ", 2)[1])
    return status, data


@pytest.mark.parametrize(
    "path",
    [
        "/static/../server.py",
        "/static/../../playground/server.py",
        "/static/js/../../server.py",
        "/static/%2e%2e/server.py",
        "/static/..%2fserver.py",
        "/static/%2e%2e%2fsession.py",
        "/static//etc/passwd",
        "/server.py",
        "/static/../__init__.py",
    ],
)
def test_only_the_packaged_static_files_are_served(path: str) -> None:
    # Raw requests through uvicorn: an HTTP client would clean up the '..' before sending.
    with server.running_server() as url:
        assert _raw_get(url, "/static/js/app.js")[0] == 200  # the same route does serve files
        status, body = _raw_get(url, path)
    assert status in (400, 404), (path, status)
    assert b"import" not in body and b"root:" not in body


def test_websocket_greeting_and_a_setting_change(client: TestClient) -> None:
    with client.websocket_connect("/ws") as ws:
        first = _open(ws)
        assert first["hello"]["limits"] == LIMITS and "lr" in first["hello"]["spec"]
        assert first["frame"]["surface"]["n"] == 100
        ws.send_json({"type": "set", "settings": {"dataset": "circle", "lr": 0.03}})
        assert _receive(ws)["type"] == "data"  # the points before the state using them
        state = _receive(ws)
        assert state["type"] == "state" and state["settings"]["dataset"] == "circle"
        assert _receive(ws)["type"] == "frame"


def test_a_bad_message_gets_an_error_and_changes_nothing(client: TestClient) -> None:
    with client.websocket_connect("/ws") as ws:
        before = _open(ws)["state"]["settings"]
        for bad in (
            "nonsense",
            json.dumps({"type": "set", "settings": {"lr": 100}}),
            json.dumps({"type": "set", "settings": {"dataset": "plane", "loss": "cross_entropy"}}),
            json.dumps({"type": "set_weight", "layer": 1, "row": 7, "col": 0, "value": 1}),
            json.dumps({"type": "upload_csv", "text": "a,b\n1,2\n"}),
            json.dumps({"type": "upload_csv", "text": "x" * (LIMITS["message_bytes"] + 10)}),
        ):
            ws.send_text(bad)
            reply = _receive(ws)
            assert reply["type"] == "error" and reply["message"], bad
        ws.send_json({"type": "pause"})
        assert _receive(ws)["settings"] == before


def test_play_sends_frames_and_pause_stops(client: TestClient) -> None:
    with client.websocket_connect("/ws") as ws:
        _open(ws)
        ws.send_json({"type": "set", "settings": {"speed": 0}})
        _until(ws, "frame")
        ws.send_json({"type": "play"})
        assert _receive(ws)["status"] == "running"
        epochs = [_until(ws, "frame")["epoch"] for _ in range(3)]
        assert epochs == sorted(epochs) and epochs[-1] > 0
        ws.send_json({"type": "pause"})
        assert _until(ws, "state")["status"] == "paused"


def test_speed_sets_epochs_per_second(client: TestClient) -> None:
    with client.websocket_connect("/ws") as ws:
        _open(ws)
        ws.send_json({"type": "set", "settings": {"speed": 4}})
        _until(ws, "frame")
        ws.send_json({"type": "play"})
        started = time.perf_counter()
        epoch = 0
        while time.perf_counter() - started < 1.5:
            epoch = _until(ws, "frame")["epoch"]
        ws.send_json({"type": "pause"})
        # About 4 epochs per second: 6 in 1.5 s, give or take a frame; at full speed, hundreds.
        # Only the ceiling is asserted: a loaded machine may train fewer, never more.
        assert 1 <= epoch <= 9


def test_explain_and_export_over_the_socket(client: TestClient) -> None:
    with client.websocket_connect("/ws") as ws:
        _open(ws)
        ws.send_json({"type": "explain", "layer": 1, "neuron": 0, "x": 0.5, "y": 0.5})
        explained = _receive(ws)
        assert explained["type"] == "explain" and explained["formula"].startswith("h1.1 = ")
        ws.send_json({"type": "export", "format": "torch"})
        exported = _receive(ws)
        assert exported["filename"].endswith("_torch.py") and "import torch" in exported["text"]


def test_divergence_reaches_the_page(client: TestClient) -> None:
    with client.websocket_connect("/ws") as ws:
        _open(ws)
        ws.send_json({"type": "set", "settings": {"dataset": "plane", "lr": 10}})
        _until(ws, "frame")
        ws.send_json({"type": "play"})
        for _ in range(50):
            state = _until(ws, "state")
            if state["status"] == "diverged":
                break
        assert "learning rate 10" in state["message"]


def test_extra_connections_are_turned_away(client: TestClient) -> None:
    with ExitStack() as stack:
        for _ in range(LIMITS["sessions"]):
            _open(stack.enter_context(client.websocket_connect("/ws")))
        with client.websocket_connect("/ws") as extra:
            reply = _receive(extra)
            assert reply["type"] == "error" and "at most 8" in reply["message"]
            with pytest.raises(WebSocketDisconnect) as info:
                _receive(extra)
            assert info.value.code == 1013
    # Everyone left: there is room again.
    with client.websocket_connect("/ws") as ws:
        _open(ws)


def test_pages_from_other_sites_are_refused(client: TestClient) -> None:
    with client.websocket_connect("/ws", headers={"origin": "http://evil.example"}) as ws:
        assert _receive(ws) == {"type": "error", "message": "foreign origin"}
        with pytest.raises(WebSocketDisconnect):
            _receive(ws)


def test_a_closed_tab_stops_its_training(monkeypatch: pytest.MonkeyPatch) -> None:
    sessions: list[Session] = []

    class Recorded(Session):
        def __init__(self) -> None:
            super().__init__()
            sessions.append(self)

    monkeypatch.setattr(server, "Session", Recorded)
    app = server.create_app()
    with LocalClient(app) as client:
        with client.websocket_connect("/ws") as ws:
            _open(ws)
            ws.send_json({"type": "play"})
            _until(ws, "frame")
            assert sessions[0].running
        for _ in range(100):
            if app.state.sessions == 0:
                break
            time.sleep(0.02)
    assert app.state.sessions == 0 and not sessions[0].running
    epoch = sessions[0].epoch
    time.sleep(0.3)
    assert sessions[0].epoch == epoch  # nothing trains it any more


def test_training_never_blocks_the_server() -> None:
    """While slow epochs train, the page is served and a pause is honoured, training still
    under way in between. The timeouts only catch a hang: how fast is not asserted here."""
    httpx = pytest.importorskip("httpx")
    from websockets.sync.client import connect

    with server.running_server() as url, connect(url.replace("http", "ws") + "ws") as ws:
        for _ in range(4):
            ws.recv(timeout=10)
        # Slow epochs: 1800 training points in batches of one.
        settings = {"n_points": 2000, "train_ratio": 90, "batch_size": 1, "speed": 0}
        ws.send(json.dumps({"type": "set", "settings": settings}))
        ws.send(json.dumps({"type": "play"}))
        _first_message(ws, lambda m: m.get("status") == "running")
        assert httpx.get(url, timeout=10).status_code == 200
        frame = _first_message(ws, lambda m: m["type"] == "frame")
        assert frame["status"] == "running"  # the page came while training went on
        ws.send(json.dumps({"type": "pause"}))
        _first_message(ws, lambda m: m["type"] == "state" and m["status"] == "paused")


def _first_message(ws: Any, wanted: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """The first message ``wanted`` accepts, among the next 500 (each awaited at most 10 s:
    that catches a hang, it does not measure a speed)."""
    for _ in range(500):
        message = decode(ws.recv(timeout=10))
        if wanted(message):
            return message
    raise AssertionError("500 messages came, none of them the one awaited")


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="nerve")
    cli.add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["playground", *argv])


def test_cli_options() -> None:
    args = _args()
    assert (args.host, args.port, args.no_browser) == ("127.0.0.1", 8000, False)
    args = _args("--host", "0.0.0.0", "--port", "9000", "--no-browser")
    assert (args.host, args.port, args.no_browser) == ("0.0.0.0", 9000, True)


def test_cli_says_clearly_when_the_port_is_taken(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        assert cli.run(_args("--port", str(port), "--no-browser")) == 2
    err = capsys.readouterr().err
    assert f"port {port} on 127.0.0.1 is already in use" in err and "--port" in err


def test_cli_rejects_a_bad_port(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.run(_args("--port", "70000")) == 2
    assert "--port must be 0..65535" in capsys.readouterr().err


def test_python_m_serves_until_stopped() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "nerve.playground", "--port", str(port), "--no-browser"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in line
        status, body = _raw_get(f"http://127.0.0.1:{port}/", "/")
        assert status == 200 and b"nerve playground" in body
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_the_page_takes_its_choices_and_limits_from_the_hello(client: TestClient) -> None:
    from nerve.playground.protocol import CLASSIFICATION_SETS, FEATURES, REGRESSION_SETS

    with client.websocket_connect("/ws") as ws:
        hello = _open(ws)["hello"]
    assert hello["datasets"] == {
        "classification": list(CLASSIFICATION_SETS),
        "regression": list(REGRESSION_SETS),
    }
    assert [f["name"] for f in hello["features"]] == list(FEATURES)
    assert all(f["label"] for f in hello["features"])
    # ... so the page's scripts carry no list of their own, nor the limits' numbers.
    scripts = {p.name: p.read_text() for p in (server.STATIC_DIR / "js").glob("*.js")}
    for name in ("app.js", "controls.js"):
        assert '"x1sq"' not in scripts[name] and '"multi-gaussian"' not in scripts[name], name
    assert "256 * 1024" not in scripts["app.js"] and "Math.min(8" not in scripts["app.js"]
    assert "FEATURES = [" not in scripts["network.js"]
