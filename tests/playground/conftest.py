"""Fixtures of the playground's browser tests: a server on a free port and headless Chromium,
each once per test module (tests/headless.py says how Chromium is found and launched)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from headless import launch, need_browser


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    need_browser()
    from nerve.playground.server import running_server

    with running_server() as url:
        yield url


@pytest.fixture(scope="module")
def browser(server_url: str) -> Iterator[Any]:
    playwright = need_browser()
    with playwright.sync_playwright() as p:
        chromium = launch(p)
        yield chromium
        chromium.close()
