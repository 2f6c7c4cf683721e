"""The server against hostile pages: DNS rebinding (the Host header) and messages built to crash it.

A DNS-rebinding page is served from ``evil.example`` whose name then resolves to 127.0.0.1:
its requests reach the playground with ``Host: evil.example`` and a matching ``Origin``. Only
loopback names (and what ``--host`` names) are answered. Messages that crash a parser (deeply
nested brackets) or an encoder (a lone surrogate) get an error reply on the same session.
"""

from __future__ import annotations

import json
import socket
import warnings
from typing import Any

import pytest

pytest.importorskip(
    "starlette", reason="the playground server needs: pip install nerve[playground]"
)
pytest.importorskip("httpx", reason="Starlette's TestClient needs httpx")

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*httpx2")
    from starlette.testclient import TestClient  # noqa: E402
from starlette.websockets import WebSocketDisconnect  # noqa: E402

from nerve.playground import server  # noqa: E402
from nerve.playground.wire import decode  # noqa: E402


def _client(host: str, app: Any = None) -> TestClient:
    return TestClient(app or server.create_app(), base_url=f"http://{host}")


def _ws(client: TestClient, host: str, headers: dict[str, str] | None = None) -> Any:
    # Starlette's TestClient names the server "testserver" unless the URL is absolute.
    return client.websocket_connect(f"ws://{host}/ws", headers=dict(headers or {}))


def _receive(ws: Any) -> dict:
    """One message: JSON text, or a binary frame carrying the pictures as bytes (wire.py)."""
    message = ws.receive()
    if message["type"] == "websocket.close":
        raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
    if message.get("text") is not None:
        return json.loads(message["text"])
    return decode(message["bytes"])


def _open(ws: Any) -> None:
    for _ in range(4):
        _receive(ws)


@pytest.mark.parametrize(
    "host",
    [
        "localhost",
        "localhost:8000",
        "127.0.0.1",
        "127.0.0.1:8000",
        "127.4.5.6:1",
        "[::1]:8000",
        "LOCALHOST:8000",
    ],
)
def test_loopback_names_are_answered(host: str) -> None:
    client = _client(host)
    assert client.get("/").status_code == 200
    with _ws(client, host, {"origin": f"http://{host}"}) as ws:
        assert _receive(ws)["type"] == "hello"


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "evil.example:8000",
        "localhost.evil.example",
        "127.0.0.1.evil.example",
        "10.0.0.1:8000",
        "[::2]:8000",
        "128.0.0.1",
        "localhost:8000@evil.example",
    ],
)
def test_other_host_names_are_refused(host: str) -> None:
    client = _client(host)
    response = client.get("/")
    assert response.status_code == 400
    assert "Host" in response.text and "localhost" in response.text
    assert client.get("/static/js/app.js").status_code == 400
    origin = {"origin": f"http://{host}"}
    with pytest.raises(WebSocketDisconnect) as info, _ws(client, host, origin) as ws:
        _receive(ws)
    assert info.value.code == 1008 and "host" in info.value.reason.lower()


def test_the_host_given_with_dash_dash_host_is_answered_too() -> None:
    app = server.create_app(host="192.168.1.20")
    assert _client("192.168.1.20:8000", app).get("/").status_code == 200
    assert _client("localhost:8000", app).get("/").status_code == 200
    assert _client("192.168.1.21:8000", app).get("/").status_code == 400
    named = server.create_app(host="myhost.lan")
    assert _client("MyHost.lan:8000", named).get("/").status_code == 200
    assert _client("other.lan", named).get("/").status_code == 400


def _raw(url: str, request: str) -> bytes:
    host, port = url.split("//")[1].rstrip("/").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(request.encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
            if b"\r\n\r\n" in data and b"Switching" in data:
                break
    return data


def test_a_rebinding_handshake_through_uvicorn_is_refused() -> None:
    handshake = (
        "GET /ws HTTP/1.1\r\nHost: {host}\r\nOrigin: http://{host}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n"
    )
    with server.running_server() as url:
        refused = _raw(url, handshake.format(host="evil.example:8000"))
        page = _raw(url, "GET / HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n")
        accepted = _raw(url, handshake.format(host=url.split("//")[1].rstrip("/")))
    assert refused.startswith(b"HTTP/1.1 403"), refused[:200]
    assert page.startswith(b"HTTP/1.1 400") and b"Host" in page
    assert accepted.startswith(b"HTTP/1.1 101"), accepted[:200]


@pytest.mark.parametrize(
    "raw",
    [
        "[" * 2048,
        '{"type": "set", "settings": ' + "{" * 1500 + "}" * 1500 + "}",
        '{"type": "upload_csv", "name": "a.csv", "text": "a,b,label\\n\\ud800,1,0\\n0,1,1\\n"}',
        '{"type": "upload_csv", "name": "\\udfff.csv", "text": "a,b,label\\n0,1,0\\n1,0,1\\n"}',
        '{"type": "set", "settings": {"\\ud800": 1}}',
        '{"type": "\\ud800"}',
    ],
    ids=[
        "nested-list",
        "nested-object",
        "surrogate-text",
        "surrogate-name",
        "surrogate-key",
        "surrogate-type",
    ],
)
def test_a_crashing_message_gets_an_error_and_the_session_lives(raw: str) -> None:
    client = _client("localhost")
    with _ws(client, "localhost") as ws:
        _open(ws)
        ws.send_text(raw)
        reply = _receive(ws)
        assert reply["type"] == "error" and reply["message"]
        ws.send_json({"type": "pause"})
        assert _receive(ws)["type"] == "state"  # the same session answers


def test_an_unexpected_failure_is_reported_not_fatal(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: Any, cmd: Any) -> list:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(server.Session, "handle", broken)
    with _ws(_client("localhost"), "localhost") as ws:
        _open(ws)
        ws.send_text(json.dumps({"type": "pause"}))
        reply = _receive(ws)
        assert reply["type"] == "error" and "internal error" in reply["message"]
        ws.send_text("not json")
        assert _receive(ws)["type"] == "error"
