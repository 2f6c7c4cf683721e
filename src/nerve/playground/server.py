"""The playground's web server: a Starlette app on uvicorn, one WebSocket per page.

The server only translates: it serves the packaged page (``static/``), checks each WebSocket
message with :mod:`~nerve.playground.protocol`, hands it to the page's
:class:`~nerve.playground.session.Session` and sends back what the session returns. All work
on the network runs in a worker thread (``asyncio.to_thread``), one job at a time per session
(an ``asyncio.Lock``), so the event loop keeps serving the other pages; a training task per
session runs short chunks of mini-batches and sends a frame after each. Closing the tab ends
the WebSocket, which stops its training and frees its place among the ``LIMITS['sessions']``.

It listens on the loopback interface by default: the playground is for the learner's own
machine. WebSocket connections from another site's pages are refused (a page on the internet
could otherwise drive a local playground), and so is every request whose ``Host`` header is not
a loopback name (``localhost``, ``127.0.0.0/8``, ``[::1]``) or the address ``--host`` names: a
DNS-rebinding page (``evil.example`` made to resolve to 127.0.0.1) sends its own name there.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import math
import socket
import sys
import threading
import time
import webbrowser
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from nerve.workflow import DataError

from .dataset import FEATURE_LABELS
from .guards import HostCheck, SecurityHeaders, host_allowed, next_message, page_slot
from .images import images_websocket  # the images mode (its own page and socket)
from .protocol import (
    CLASSIFICATION_SETS,
    FEATURES,
    LIMITS,
    REGRESSION_SETS,
    ProtocolError,
    parse_message,
    settings_spec,
)
from .session import Session
from .wire import encode

__all__ = ["STATIC_DIR", "create_app", "host_allowed", "serve", "running_server"]

STATIC_DIR = Path(__file__).resolve().parent / "static"
log = logging.getLogger("nerve.playground")

CHUNK_SECONDS = 0.08  # training time between two frames at full speed (about 10 frames/s)
MAX_FRAMES_PER_SECOND = 10  # at a set speed, epochs are grouped to stay under this
# uvicorn closes a connection whose message exceeds this; below it, the protocol answers with
# a readable error instead.
WS_MAX_SIZE = 1024 * 1024


def hello_message() -> dict[str, Any]:
    """The greeting: the limits, every setting's spec, the data sets by problem and the input
    features with their labels, so that the page hard-codes none of them."""
    return {
        "type": "hello",
        "limits": LIMITS,
        "spec": settings_spec(),
        "datasets": {
            "classification": list(CLASSIFICATION_SETS),
            "regression": list(REGRESSION_SETS),
        },
        "features": [{"name": f, "label": FEATURE_LABELS[f]} for f in FEATURES],
    }


def _to_json(message: dict[str, Any]) -> str:
    """JSON text of a message without bytes (the errors sent before a session exists)."""
    wire = encode(message)
    assert isinstance(wire, str), "a message with bytes goes through Connection.send"
    return wire


class Connection:
    """One page: its WebSocket, its Session and its training task."""

    def __init__(self, websocket: WebSocket) -> None:
        self.ws = websocket
        self.session: Session | None = None
        self.lock = asyncio.Lock()  # one job on the session at a time, replies in job order
        self.send_lock = asyncio.Lock()  # whole messages, never interleaved
        self.task: asyncio.Task[None] | None = None
        self.closed = False

    async def send(self, *messages: dict[str, Any]) -> None:
        for message in messages:
            wire = encode(message)  # JSON text, or a binary frame for pictures (wire.py)
            async with self.send_lock:
                if self.closed:
                    return
                try:
                    if isinstance(wire, bytes):
                        await self.ws.send_bytes(wire)
                    else:
                        await self.ws.send_text(wire)
                except (WebSocketDisconnect, RuntimeError, OSError):
                    # The page went away (starlette's WebSocketDisconnected is a RuntimeError).
                    self.closed = True
                    if self.session is not None:
                        self.session.running = False
                    return

    async def serve(self) -> None:
        """Create the session, then answer messages until the page goes away."""
        self.session = await asyncio.to_thread(Session)
        session = self.session
        await self.send(
            hello_message(),
            session.points.to_message(),  # before the state that refers to it
            session.state(),
        )
        await self.send(await asyncio.to_thread(session.frame))
        while (raw := await next_message(self.ws)) is not None:
            await self.handle(raw)

    async def handle(self, raw: str | bytes) -> None:
        """Check one message, apply it and answer; a bad one gets an error and changes nothing."""
        assert self.session is not None
        try:
            command = parse_message(raw)
            async with self.lock:
                replies = await asyncio.to_thread(self.session.handle, command)
                await self.send(*replies)
        except (ProtocolError, DataError) as err:
            await self.send({"type": "error", "message": str(err)})
            return
        except Exception as err:  # a bug: report it, keep the page's session alive
            log.exception("internal error while handling a message")
            message = f"internal error ({type(err).__name__}: {err}); the session goes on"
            await self.send({"type": "error", "message": message})
            return
        if self.session.running and self.task is None:
            self.task = asyncio.create_task(self._train())

    def _tick(self) -> list[dict[str, Any]]:
        """One chunk of training and the frame after it (runs in a worker thread)."""
        session = self.session
        assert session is not None
        speed = session.settings["speed"]
        if speed == 0:
            session.train(CHUNK_SECONDS)
        else:
            session.train(math.inf, epochs=max(1, math.ceil(speed / MAX_FRAMES_PER_SECOND)))
        messages = [session.frame()]
        if not session.running:
            messages.insert(0, session.state())  # stopped by itself: say why
        return messages

    async def _train(self) -> None:
        """Train while the session is running, pacing epochs to the chosen speed."""
        session = self.session
        assert session is not None
        try:
            while session.running and not self.closed:
                started = time.perf_counter()
                # Sent under the lock: a frame computed before a pause must not arrive after
                # the paused state, or the page would show "running" for good.
                async with self.lock:
                    if not session.running:
                        break
                    await self.send(*await asyncio.to_thread(self._tick))
                speed = session.settings["speed"]
                delay = 0.0
                if speed:
                    epochs = max(1, math.ceil(speed / MAX_FRAMES_PER_SECOND))
                    delay = epochs / speed - (time.perf_counter() - started)
                # Even at full speed, yield so that the page's messages get their turn.
                await asyncio.sleep(max(delay, 0.005))
        finally:
            self.task = None

    async def close(self) -> None:
        """Stop training: a closed tab must not keep a CPU busy."""
        self.closed = True
        if self.session is not None:
            self.session.running = False
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task


async def _websocket(websocket: WebSocket) -> None:
    async with page_slot(websocket) as admitted:
        if not admitted:
            return
        connection = Connection(websocket)
        try:
            await connection.serve()
        except WebSocketDisconnect:
            pass
        finally:
            await connection.close()


async def _index(request: Request) -> Response:
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html")


def create_app(
    max_sessions: int = LIMITS["sessions"],
    host: str | None = None,
    embed_from: Sequence[str] = (),
) -> Starlette:
    """The ASGI app: ``/`` (the page), ``/static/*`` (its files only) and ``/ws``.

    ``host`` (what ``--host`` names) is answered besides the loopback names; ``embed_from``
    (what ``--allow-embed`` names, checked by ``guards.embed_origin``) may frame the page.
    """
    app = Starlette(
        routes=[
            Route("/", _index),
            # StaticFiles serves files inside STATIC_DIR only: '..' and symlinks out are refused.
            Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
            WebSocketRoute("/ws", _websocket),
            WebSocketRoute("/ws/images", images_websocket),
        ]
    )
    app.state.sessions = 0
    app.state.max_sessions = max_sessions
    app.add_middleware(HostCheck, host=host)
    # Added last, so outermost: the 400s get the headers too.
    app.add_middleware(SecurityHeaders, embed_from=embed_from)
    return app


def bind(host: str, port: int) -> socket.socket:
    """A listening socket; OSError (e.g. EADDRINUSE) if the port cannot be had."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if sys.platform != "win32":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(64)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _server(
    sock: socket.socket, host: str, embed_from: Sequence[str] = (), log_level: str = "warning"
) -> Any:
    import uvicorn

    app = create_app(host=host, embed_from=embed_from)
    config = uvicorn.Config(app, log_level=log_level, ws_max_size=WS_MAX_SIZE, lifespan="off")
    return uvicorn.Server(config)


def _url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    open_browser: bool = True,
    embed_from: Sequence[str] = (),
) -> int:
    """Run the playground until Ctrl-C; returns the exit code (2: the port is taken).
    ``embed_from``: origins whose pages may show it in a frame (``--allow-embed``)."""
    try:
        sock = bind(host, port)
    except OSError as err:
        if err.errno == errno.EADDRINUSE:
            print(
                f"nerve playground: error: port {port} on {host} is already in use (another "
                f"playground?); choose another one with --port, e.g. --port {port + 1}",
                file=sys.stderr,
            )
        else:
            message = f"cannot listen on {host}:{port}: {err}"
            print(f"nerve playground: error: {message}", file=sys.stderr)
        return 2
    url = _url(sock)
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: listening on {host}: other machines can reach this playground")
    print(f"nerve playground: {url}  (Ctrl-C to stop)")
    for origin in embed_from:
        print(f"pages of {origin} may show this playground in a frame")
    server = _server(sock, host, embed_from)
    if open_browser:
        threading.Thread(target=_open_when_started, args=(server, url), daemon=True).start()
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    return 0


def _open_when_started(server: Any, url: str) -> None:
    for _ in range(200):
        if server.started:
            webbrowser.open(url)
            return
        time.sleep(0.05)


@contextlib.contextmanager
def running_server(
    host: str = "127.0.0.1", port: int = 0, embed_from: Sequence[str] = ()
) -> Iterator[str]:
    """Run the playground in a background thread (for tests and scripts); yields its URL."""
    sock = bind(host, port)
    server = _server(sock, host, embed_from)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        for _ in range(400):
            if server.started:
                break
            time.sleep(0.025)
        else:
            raise RuntimeError("the playground server did not start")
        yield _url(sock)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
