"""What guards the playground's server at the door, before any page or WebSocket is served.

* :class:`SecurityHeaders`: a strict Content-Security-Policy (no CDN, no inline code) and its
  companions on every HTTP response. No other site may show the page in a frame (a page that
  frames it could trick a click), unless the teacher names that site with ``--allow-embed``
  (:func:`embed_origin` checks the name).
* :class:`HostCheck`: only requests addressed to this machine by a loopback name are answered
  (``localhost``, ``127.0.0.0/8``, ``[::1]``, or exactly the address ``--host`` names). A
  DNS-rebinding page (``evil.example`` made to resolve to 127.0.0.1) reaches the server with
  its own name in the ``Host`` header, and a matching ``Origin``: the Origin check alone lets
  it through, the Host check does not.
* :func:`page_slot`: a page's WebSocket (the main page's and the images page's) is served only
  to pages of this server, and only while fewer than the app's limit of pages are open.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "SECURITY_HEADERS",
    "SecurityHeaders",
    "HostCheck",
    "host_allowed",
    "security_headers",
    "embed_origin",
    "page_slot",
    "next_message",
]

log = logging.getLogger("nerve.playground")

_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors {frames}"
)


def security_headers(embed_from: Sequence[str] = ()) -> list[tuple[bytes, bytes]]:
    """The headers every response carries; ``embed_from``: the origins (already checked by
    :func:`embed_origin`) whose pages may show the playground in a frame, none by default.

    Example:
        >>> policy = dict(security_headers(["https://course.example"]))[b"content-security-policy"]
        >>> policy.endswith(b"; frame-ancestors https://course.example")
        True
    """
    frames = " ".join(embed_from) if embed_from else "'none'"
    return [
        (b"content-security-policy", _POLICY.format(frames=frames).encode("ascii")),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"cache-control", b"no-store"),
    ]


SECURITY_HEADERS = security_headers()


def embed_origin(text: str) -> str:
    """``--allow-embed``'s value as an origin for the policy's ``frame-ancestors``:
    ``http(s)://host[:port]`` and nothing else (no path, query, user or wildcard), lower-cased.
    ValueError, saying what was expected, for anything else: the value goes into a header.

    Example:
        >>> embed_origin("https://Course.Example:8443/")
        'https://course.example:8443'
    """
    expected = "expected an origin such as https://course.example or http://localhost:8080"
    if not text.isascii() or not text.isprintable() or " " in text or ";" in text:
        raise ValueError(f"--allow-embed {text[:100]!r}: {expected}")
    parts = urlsplit(text.strip())
    try:
        port = parts.port
    except ValueError:  # a port that is not a number, or out of range
        port = -1
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    if (
        parts.scheme.lower() not in ("http", "https")
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or "@" in parts.netloc
        or port == -1
        or not host
        or _host_name(host) is None
    ):
        raise ValueError(f"--allow-embed {text[:100]!r}: {expected}")
    return f"{parts.scheme.lower()}://{host}" + (f":{port}" if port is not None else "")


class SecurityHeaders:
    """ASGI middleware: a strict Content-Security-Policy (no CDN, no inline code) and friends.
    ``embed_from``: the origins allowed to frame the page (see :func:`security_headers`)."""

    def __init__(self, app: Any, embed_from: Sequence[str] = ()) -> None:
        self.app = app
        # checked here too, for callers other than the command line (ValueError if bad)
        self.headers = security_headers([embed_origin(origin) for origin in embed_from])

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + self.headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class HostCheck:
    """ASGI middleware: answer only requests addressed to this machine by a loopback name.

    A refused page gets ``400`` with the reason; a refused WebSocket handshake is closed before
    it is accepted (code 1008 and the reason; uvicorn answers it with ``403``).
    """

    def __init__(self, app: Any, host: str | None = None) -> None:
        self.app = app
        self.extra = _host_name(host) if host else None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        header = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
        if host_allowed(header, self.extra):
            await self.app(scope, receive, send)
            return
        reason = (
            f"Host {header[:100]!r} refused: the playground answers only to localhost, "
            "127.0.0.1 and [::1] (and the --host it was started with); another name may be a "
            "DNS-rebinding attack"
        )
        log.warning("%s", reason)
        if scope["type"] == "websocket":
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 1008, "reason": reason[:120]})
            return
        body = reason.encode()
        await send(
            {
                "type": "http.response.start",
                "status": 400,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _host_name(header: str) -> str | None:
    """The lower-cased name of a Host header (``name``, ``name:port``, ``[v6]:port``), or None
    when it is malformed (a port that is not a number, characters no host name has)."""
    header = header.strip().lower()
    if header.startswith("["):
        name, _, rest = header[1:].partition("]")
        if rest and not (rest.startswith(":") and rest[1:].isdigit()):
            return None
        return name if name and all(c in "0123456789abcdef:." for c in name) else None
    name, colon, port = header.partition(":")
    if colon and not port.isdigit():
        return None
    ok = name and all(c.isascii() and (c.isalnum() or c in ".-_") for c in name)
    return name if ok else None


def host_allowed(header: str, extra: str | None = None) -> bool:
    """Whether a request with this ``Host`` header is for this playground: ``localhost``, an
    address in 127.0.0.0/8, ``[::1]``, or exactly the name ``extra`` (``--host``).

    Example:
        >>> host_allowed("127.0.0.1:8000"), host_allowed("evil.example:8000")
        (True, False)
    """
    name = _host_name(header)
    if name is None:
        return False
    if name == "localhost" or (extra is not None and name == extra):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def same_origin(websocket: Any) -> bool:
    """Whether the page that opens the WebSocket was served by this server."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True  # not a browser (a test client or a script on this machine)
    return urlsplit(origin).netloc.lower() == websocket.headers.get("host", "").lower()


@contextlib.asynccontextmanager
async def page_slot(websocket: Any) -> AsyncIterator[bool]:
    """Accept a page's WebSocket and hold one of the app's page slots while it is open: True,
    or False once a foreign page (1008) or one too many (1013, "try again later") was told why
    and the socket closed."""
    state = websocket.app.state
    await websocket.accept()
    if not same_origin(websocket):
        await _refuse(websocket, "foreign origin", 1008)
        yield False
        return
    if state.sessions >= state.max_sessions:
        message = (
            f"The playground is busy: it serves at most {state.max_sessions} pages at a time. "
            "Close another playground tab, then reload this page."
        )
        await _refuse(websocket, message, 1013)
        yield False
        return
    state.sessions += 1
    try:
        yield True
    finally:
        state.sessions -= 1


async def _refuse(websocket: Any, message: str, code: int) -> None:
    await websocket.send_text(json.dumps({"type": "error", "message": message}))
    await websocket.close(code=code)


async def next_message(websocket: Any) -> str | bytes | None:
    """The page's next message as it came (text or bytes), or None once the page is gone."""
    received = await websocket.receive()
    if received["type"] == "websocket.disconnect":
        return None
    text = received.get("text")
    return text if text is not None else received.get("bytes") or b""
