"""What guards the playground's server at the door, before any page or WebSocket is served.

* :class:`SecurityHeaders`: a strict Content-Security-Policy (no CDN, no inline code) and its
  companions on every HTTP response.
* :class:`HostCheck`: only requests addressed to this machine by a loopback name are answered
  (``localhost``, ``127.0.0.0/8``, ``[::1]``, or exactly the address ``--host`` names). A
  DNS-rebinding page (``evil.example`` made to resolve to 127.0.0.1) reaches the server with
  its own name in the ``Host`` header, and a matching ``Origin``: the Origin check alone lets
  it through, the Host check does not.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import Any

__all__ = ["SECURITY_HEADERS", "SecurityHeaders", "HostCheck", "host_allowed"]

log = logging.getLogger("nerve.playground")

SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        b"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
]


class SecurityHeaders:
    """ASGI middleware: a strict Content-Security-Policy (no CDN, no inline code) and friends."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + SECURITY_HEADERS
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
