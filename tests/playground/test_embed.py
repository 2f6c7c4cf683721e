"""Embedding the playground in a course's pages: ``--allow-embed ORIGIN``.

By default the Content-Security-Policy forbids every other site to frame the page (a framing
page could trick a click); a teacher names the origins that may. The value ends up in a header,
so it is checked as hostile: an origin and nothing else. The browser test frames the page from
another origin in headless Chromium, with and without the option, under the real policy.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nerve.playground import cli
from nerve.playground.guards import embed_origin, security_headers

TESTS = str(Path(__file__).resolve().parents[1])
if TESTS not in sys.path:  # run as a script (under pytest, tests/conftest.py puts it there)
    sys.path.insert(0, TESTS)
from headless import launch, need_browser  # noqa: E402

# What an origin in the policy may look like: nothing that could end or extend the header.
SAFE_ORIGIN = re.compile(r"https?://([a-z0-9._-]+|\[[0-9a-f:.]+\])(:\d{1,5})?")


def _policy(embed_from: list[str]) -> str:
    return dict(security_headers(embed_from))[b"content-security-policy"].decode()


def test_no_site_may_frame_the_page_by_default() -> None:
    assert _policy([]).endswith("frame-ancestors 'none'")
    both = _policy(["https://course.example", "http://localhost:8080"])
    assert both.endswith("frame-ancestors https://course.example http://localhost:8080")
    assert "script-src 'self'" in both  # the rest of the policy stays as strict


@pytest.mark.parametrize(
    ("text", "origin"),
    [
        ("https://course.example", "https://course.example"),
        ("https://Course.Example:8443/", "https://course.example:8443"),
        ("http://localhost:8080", "http://localhost:8080"),
        ("http://[::1]:9000", "http://[::1]:9000"),
    ],
)
def test_an_origin_is_accepted_and_written_plainly(text: str, origin: str) -> None:
    assert embed_origin(text) == origin


@pytest.mark.parametrize(
    "text",
    [
        "course.example",  # no scheme
        "ftp://course.example",
        "javascript:alert(1)",
        "https://course.example/lessons",  # a path: frame-ancestors takes origins
        "https://course.example?x=1",
        "https://user@course.example",
        "https://*.example",  # a wildcard would let any sub-domain frame it
        "https://course.example:99999",
        "https://course.example:port",
        "https://",
        "https://a.example; script-src *",  # an attempt to extend the policy
        "https://a.example\r\nx-evil: 1",
        "https://kürs.example",
        "*",
        "'self'",
    ],
)
def test_anything_but_an_origin_is_refused_saying_what_was_expected(text: str) -> None:
    with pytest.raises(ValueError, match="expected an origin such as https://course.example"):
        embed_origin(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40) | st.from_regex(r"https?://[a-zA-Z0-9.:\[\]@/_;*' -]{0,30}"))
def test_whatever_is_accepted_is_a_plain_origin(text: str) -> None:
    try:
        origin = embed_origin(text)
    except ValueError:
        return
    assert SAFE_ORIGIN.fullmatch(origin), origin


def test_the_app_checks_origins_given_from_python_too() -> None:
    pytest.importorskip("starlette", reason="the playground needs: pip install nerve[playground]")
    from nerve.playground.server import create_app

    with pytest.raises(ValueError, match="expected an origin"):
        create_app(embed_from=["https://a.example; script-src *"]).build_middleware_stack()


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="nerve")
    cli.add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["playground", *argv])


def test_cli_takes_several_origins_and_refuses_a_bad_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _args().allow_embed == []
    args = _args("--allow-embed", "https://a.example", "--allow-embed", "http://localhost:1")
    assert args.allow_embed == ["https://a.example", "http://localhost:1"]
    assert cli.run(_args("--allow-embed", "https://a.example/page", "--no-browser")) == 2
    err = capsys.readouterr().err
    assert "--allow-embed 'https://a.example/page'" in err and "expected an origin" in err


@contextlib.contextmanager
def course_page() -> Iterator[tuple[str, dict[str, str]]]:
    """A course's page served from another origin (``localhost`` and a port of its own, where
    the playground is at ``127.0.0.1``): its origin, and a dict whose ``"src"`` the page's
    iframe shows. Both are local: Chromium asks before a public page may frame a local one."""
    frame = {"src": "about:blank"}

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            html = f'<!doctype html><title>course</title><iframe src="{frame["src"]}" '
            html += "width=1200 height=700></iframe>"
            self.send_response(200)
            self.send_header("content-type", "text/html")
            self.end_headers()
            self.wfile.write(html.encode())

        def log_message(self, *args: Any) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}", frame
    finally:
        server.shutdown()
        server.server_close()


def _frame_of(page: Any, origin: str) -> Any:
    """The course page at ``origin``, loaded; its one iframe."""
    page.goto(origin + "/")
    page.wait_for_selector("iframe")
    page.wait_for_load_state("load")
    frames = [frame for frame in page.frames if frame is not page.main_frame]
    assert len(frames) == 1
    return frames[0]


def test_a_course_page_frames_the_playground_only_when_allowed() -> None:
    playwright = need_browser()
    from nerve.playground.server import running_server

    with playwright.sync_playwright() as p:
        browser = launch(p)
        try:
            for allowed in (True, False):
                with contextlib.ExitStack() as stack:
                    origin, frame_of_page = stack.enter_context(course_page())
                    embed = [origin] if allowed else []
                    frame_of_page["src"] = stack.enter_context(running_server(embed_from=embed))
                    page = browser.new_page()  # no bypass_csp: the real policy decides
                    frame = _frame_of(page, origin)
                    if allowed:  # the framed page talks to its server: a frame is drawn
                        frame.wait_for_selector("body[data-connected='1']", timeout=60_000)
                        frame.wait_for_selector("#heatmap[data-frames]", timeout=60_000)
                    else:  # Chromium shows its error page in the frame
                        assert frame.query_selector("#play") is None
                        assert frame.url.startswith("chrome-error:")
                    page.close()
        finally:
            browser.close()
