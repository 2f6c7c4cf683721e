"""Headless Chromium for the browser tests (tests/playground/*browser*.py, test_embed.py).

Debian's ``chromium`` driven by Python Playwright, never a browser Playwright downloads. A test
calls :func:`need_browser` first: without Playwright, Chromium or the playground's server
packages it skips and says which part is missing (``NERVE_REQUIRE_OPTIONAL=1``, as CI sets it,
turns such a skip into a failure). The test files also run as scripts that rewrite the
documentation's screenshots; they put this folder on ``sys.path`` themselves then.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("NERVE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def need_browser(*also: tuple[str, str]) -> Any:
    """Playwright's sync API, or a skip that says what is missing; ``also``: more (module,
    reason) pairs a test needs."""
    playwright = pytest.importorskip(
        "playwright.sync_api",
        reason="the browser tests need Python Playwright: pip install playwright",
    )
    if not Path(CHROMIUM).exists():
        pytest.skip(f"the browser tests need Chromium at {CHROMIUM} (apt-get install chromium)")
    pytest.importorskip(
        "uvicorn", reason="the playground server needs: pip install nerve[playground]"
    )
    for module, reason in also:
        pytest.importorskip(module, reason=reason)
    return playwright


def launch(playwright: Any) -> Any:
    """A headless Chromium from a started ``sync_playwright()``."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
