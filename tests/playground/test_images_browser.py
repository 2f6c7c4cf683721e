"""The images mode in a real browser (headless Debian Chromium driven by Playwright): the page
loads, training runs, a digit drawn on the canvas gets a prediction with its feature maps, and
the page fits a phone's width.

Run as a script, this file writes the documentation's screenshots::

    python tests/playground/test_images_browser.py   # -> docs/playground/images*.png
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

TESTS = str(Path(__file__).resolve().parents[1])
if TESTS not in sys.path:  # run as a script (under pytest, tests/conftest.py puts it there)
    sys.path.insert(0, TESTS)
from headless import launch, need_browser  # noqa: E402

WAIT = 60_000  # ms: generous, for two slow cores
DOCS = Path(__file__).resolve().parents[2] / "docs" / "playground"


@pytest.fixture(scope="module")
def browser() -> Iterator[tuple[Any, str]]:
    playwright = need_browser(("sklearn", "the 8x8 digits come from scikit-learn"))
    from nerve.playground.server import running_server

    with running_server() as url, playwright.sync_playwright() as p:
        chromium = launch(p)
        yield chromium, url
        chromium.close()


def open_page(chromium: Any, url: str, width: int, height: int) -> tuple[Any, Any, list[str]]:
    # bypass_csp: Playwright's polling waits evaluate strings, which the page's CSP forbids
    context = chromium.new_context(viewport={"width": width, "height": height}, bypass_csp=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(url + "static/images.html")
    page.wait_for_selector("body[data-connected='1']", timeout=WAIT)
    page.wait_for_selector("#gallery .tile", timeout=WAIT)
    page.wait_for_selector("#chosen-maps .layer", timeout=WAIT)
    return context, page, errors


def train_to(page: Any, steps: int) -> None:
    page.click("#play")
    page.wait_for_function(f"Number(document.body.dataset.step) >= {steps}", timeout=WAIT)
    page.click("#play")
    page.wait_for_function("document.body.dataset.running === '0'", timeout=WAIT)


def draw_one(page: Any) -> None:
    """A '1': one vertical stroke, as a learner would draw it with the mouse."""
    page.locator("#pad").scroll_into_view_if_needed()
    box = page.locator("#pad").bounding_box()
    x = box["x"] + box["width"] * 0.5
    page.mouse.move(x, box["y"] + box["height"] * 0.12)
    page.mouse.down()
    for i in range(1, 11):
        page.mouse.move(x - i * 0.8, box["y"] + box["height"] * (0.12 + 0.076 * i))
    page.mouse.up()


def test_training_runs_and_a_drawn_digit_is_predicted(browser: tuple[Any, str]) -> None:
    chromium, url = browser
    context, page, errors = open_page(chromium, url, 1280, 800)
    try:
        assert page.locator("#filters canvas").count() == 8
        start = float(page.get_attribute("body", "data-accuracy"))
        train_to(page, 40)
        assert float(page.get_attribute("body", "data-accuracy")) > start + 0.3
        assert page.locator("#chosen-maps .layer").count() == 7
        # choosing another test digit redraws its maps
        page.click("#gallery .tile[data-index='5']")
        page.wait_for_selector("#gallery .tile[data-index='5'][aria-selected='true']", timeout=WAIT)
        draw_one(page)
        page.wait_for_selector("#prediction[data-predicted]:not([data-predicted=''])", timeout=WAIT)
        predicted = page.get_attribute("#prediction", "data-predicted")
        assert predicted in [str(d) for d in range(10)]
        assert page.locator("#bars .track").count() == 10
        assert page.locator("#drawn-maps .layer").count() == 7
        page.click("#clear")
        assert page.get_attribute("#prediction", "data-predicted") == ""
        assert errors == []
    finally:
        context.close()


def test_the_main_page_links_here_and_a_phone_needs_no_sideways_scrolling(
    browser: tuple[Any, str],
) -> None:
    chromium, url = browser
    context = chromium.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(url)
        page.click("a.mode-link")
        page.wait_for_selector("body[data-connected='1']", timeout=WAIT)
        assert page.url.endswith("/static/images.html")
    finally:
        context.close()
    context, page, errors = open_page(chromium, url, 390, 844)
    try:
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page is {width} px wide on a 390 px screen"
        assert errors == []
    finally:
        context.close()


def screenshots() -> None:
    """docs/playground/images.png (1280x800) and images-390.png (390x844), after training."""
    # outside pytest a missing part raises its Skipped error
    playwright = need_browser(("sklearn", "the 8x8 digits come from scikit-learn"))
    from nerve.playground.server import running_server

    DOCS.mkdir(parents=True, exist_ok=True)
    with running_server() as url, playwright.sync_playwright() as p:
        chromium = launch(p)
        for (width, height), name in (((1280, 800), "images.png"), ((390, 844), "images-390.png")):
            context, page, _ = open_page(chromium, url, width, height)
            train_to(page, 150)
            draw_one(page)
            page.wait_for_selector("#prediction:not([data-predicted=''])", timeout=WAIT)
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=str(DOCS / name))
            print("wrote", DOCS / name)
            context.close()
        chromium.close()


if __name__ == "__main__":
    screenshots()
