"""Step through backprop and the lessons in a real browser (headless Chromium, Playwright).

The page's panel shows what the server traced; these tests step it forward and backward with
the buttons and the keyboard, read the chain rule it writes out, and open a lesson with and
without ``hideText``. The numbers themselves are checked in test_backprop.py.

Run as a script, this file writes the documentation's screenshots::

    python tests/playground/test_backprop_browser.py  # docs/playground/backprop*.png ...
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

TESTS = str(Path(__file__).resolve().parents[1])
if TESTS not in sys.path:  # run as a script (under pytest, tests/conftest.py puts it there)
    sys.path.insert(0, TESTS)
from headless import launch  # noqa: E402

WAIT = 60_000  # ms: generous, for two slow cores
DOCS = Path(__file__).resolve().parents[2] / "docs" / "playground"
LESSONS = Path(__file__).resolve().parents[2] / "src/nerve/playground/static/lessons.json"
SMALL = "#dataset=xor&hidden=2&activations=tanh&seed=1&init_seed=4"
SHOT = "#dataset=xor&hidden=3,2&activations=tanh,tanh&seed=1&init_seed=4"


def at(url: str, hash_: str) -> str:
    """The page's address with a link's hash (the server's URL ends with a slash or not)."""
    return url.rstrip("/") + "/" + hash_


def open_at(browser: Any, url: str, width: int = 1280, height: int = 800) -> tuple[Any, Any]:
    """A page at ``url`` once its first frame is drawn, and the JavaScript errors it raises."""
    # bypass_csp: Playwright's polling waits evaluate strings, which the page's CSP forbids
    # (test_browser.py checks the page under its CSP).
    context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.set_default_timeout(WAIT)
    page.goto(url)
    page.wait_for_selector("body[data-connected='1']")
    page.wait_for_selector("#heatmap[data-frames]")
    page.wait_for_function("document.querySelector('#heatmap').dataset.points !== '0'")
    return page, errors


def open_backprop(page: Any) -> None:
    page.click("#backprop-open")
    page.wait_for_selector("#backprop:not([hidden])[data-step='0']")


def step_to(page: Any, step: int) -> None:
    page.wait_for_selector(f"#backprop[data-step='{step}']")


def test_step_forward_and_backward_with_buttons_and_keys(browser: Any, server_url: str) -> None:
    page, errors = open_at(browser, at(server_url, SMALL))
    try:
        open_backprop(page)
        # 2-2-1: input, 2 forward layers, loss, 2 backward layers, update = 7 steps.
        assert page.text_content("#bp-counter") == "step 1 of 7"
        assert page.is_disabled("#bp-prev")
        phases = []
        for k in range(1, 7):
            page.click("#bp-next")
            step_to(page, k)
            phases.append(page.get_attribute("#backprop", "data-phase"))
        assert phases == ["forward", "forward", "loss", "backward", "backward", "update"]
        assert page.is_disabled("#bp-next")
        # Forward: layer 1 is lit, and its neurons show z and a.
        page.click("#bp-prev")
        page.keyboard.press("p")
        page.keyboard.press("ArrowLeft")
        page.keyboard.press("ArrowLeft")
        step_to(page, 2)
        page.keyboard.press("ArrowLeft")
        step_to(page, 1)
        lit = page.locator(".bp-node.lit")
        assert lit.count() == 2 and lit.first.get_attribute("data-layer") == "1"
        assert re.match(r"z -?\d", lit.first.locator(".bp-val").first.text_content())
        assert "z = Σᵢ wᵢ·aᵢ + b" in page.text_content("#bp-caption")
        # The chain rule of the selected weight (input -> first hidden neuron) waits for the
        # backward pass to reach layer 1, then is written out with its numbers.
        assert page.get_attribute("#bp-chain", "data-ready") == "0"
        for key in ("n", "ArrowRight", "n", "n"):
            page.keyboard.press(key)
        step_to(page, 5)
        assert page.get_attribute("#backprop", "data-phase") == "backward"
        assert page.get_attribute("#bp-chain", "data-ready") == "1"
        chain = page.text_content("#bp-chain")
        assert "∂L/∂w = ∂L/∂a(h1.1) · f′(z(h1.1)) · a(x1) =" in chain
        assert "where ∂L/∂a(h1.1) = Σₖ wₖ·∂L/∂zₖ" in chain and "nerve's .grad" in chain
        assert "∂L/∂a" in page.text_content(".bp-node.lit .bp-val >> nth=0")
        # Pick the output weight h1.2 -> ŷ; the last step writes its update out.
        page.dispatch_event(".bp-hit[data-layer='2'][data-col='1']", "click")
        assert page.get_attribute("#bp-chain", "data-weight") == "2:0:1"
        page.keyboard.press("n")
        step_to(page, 6)
        assert "w ← w − lr·(∂L/∂w) =" in page.text_content("#bp-chain")
        assert re.search(r"from [\d.]+ to [\d.]+", page.text_content("#bp-caption"))
        page.keyboard.press("Escape")
        page.wait_for_selector("#backprop[hidden]", state="attached")
    finally:
        page.context.close()
    assert not errors, errors


def test_a_mini_batch_sums_over_its_examples(browser: Any, server_url: str) -> None:
    page, errors = open_at(browser, at(server_url, SMALL) + "&batch_size=5")
    try:
        open_backprop(page)
        page.fill("#bp-example", "3")
        page.dispatch_event("#bp-example", "change")
        page.wait_for_function("document.querySelector('#bp-info').textContent.includes('#3')")
        page.check("#bp-batch")
        page.wait_for_function(
            "document.querySelector('#bp-info').textContent.includes('5 training')"
        )
        for _ in range(5):
            page.keyboard.press("n")
        step_to(page, 5)
        assert "over the 5 examples" in page.text_content("#bp-chain")
        assert page.locator("#bp-shown option").count() == 5
    finally:
        page.context.close()
    assert not errors, errors


def test_a_bad_request_shows_the_servers_reason(browser: Any, server_url: str) -> None:
    page, errors = open_at(browser, at(server_url, SMALL))
    try:
        open_backprop(page)
        page.fill("#bp-example", "100000")
        page.dispatch_event("#bp-example", "change")
        page.wait_for_selector("#error:not([hidden])")
        assert "backprop: example must be" in page.text_content("#error")
    finally:
        page.context.close()
    assert not errors, errors


def test_a_lesson_sets_up_the_playground_and_hide_text_hides_its_text(
    browser: Any, server_url: str
) -> None:
    lessons = json.loads(LESSONS.read_text())["lessons"]
    assert [lesson["id"] for lesson in lessons] == [
        "neuron",
        "activation",
        "loss",
        "gradient-descent",
        "backpropagation",
        "overfitting",
        "baseline",
    ]  # the lecture's order
    page, errors = open_at(browser, at(server_url, SMALL))
    try:
        page.click("#lessons-open")  # outside a lesson: the list of lessons
        page.wait_for_selector("#tutorial:not([hidden])")
        assert page.locator("#tut-select option").count() == len(lessons) + 1
    finally:
        page.context.close()
    assert not errors, errors
    page, errors = open_at(browser, at(server_url, "#tutorial=activation"))
    try:
        page.wait_for_selector("#tutorial[data-lesson='activation']")
        assert "a linear function of a linear function" in page.text_content("#tutorial")
        # The next lesson is a link: the page reloads with its set-up and its text.
        page.click("#tut-next")
        page.wait_for_selector("#tutorial[data-lesson='loss']")
        page.wait_for_selector("[data-setting='loss']")
        page.wait_for_function("document.querySelector(\"[data-setting='loss']\").value === 'mse'")
        assert "tutorial=loss" in page.url  # the address keeps the lesson, for sharing
        page.click("#tut-close")
        page.wait_for_selector("#tutorial[hidden]", state="attached")
        assert "tutorial=" not in page.url
    finally:
        page.context.close()
    assert not errors, errors
    page, errors = open_at(browser, at(server_url, "#tutorial=backpropagation&hideText=1"))
    try:
        page.wait_for_selector("body.hide-text")
        assert not page.is_visible("#tutorial") and not page.is_visible(".brand p")
        # hideText hides words, not the set-up: the lesson's 2-2-1 network is there.
        page.wait_for_selector(".node[data-layer='2'][data-neuron='0']")
        assert page.locator(".node[data-layer='1']").count() == 2
        assert "hideText=1" in page.url
    finally:
        page.context.close()
    assert not errors, errors


def test_the_lesson_and_the_step_through_fit_a_phone(browser: Any, server_url: str) -> None:
    page, errors = open_at(browser, at(server_url, "#tutorial=overfitting"), 390, 844)
    try:
        page.wait_for_selector("#tutorial[data-lesson='overfitting']")
        right = "(s) => document.querySelector(s).getBoundingClientRect().right"
        assert page.evaluate(right, "#tutorial") <= 390
        open_backprop(page)
        assert page.evaluate(right, "#backprop") <= 390
        # A 7-8-8-1 network is wider than the phone: the diagram scrolls inside the panel.
        box = page.evaluate(
            "() => { const d = document.querySelector('#bp-diagram');"
            " return [d.getBoundingClientRect().right, d.scrollWidth, d.clientWidth]; }"
        )
        assert box[0] <= 390 and box[1] >= box[2]
    finally:
        page.context.close()
    assert not errors, errors


def take_screenshots(url: str, out: Path, chromium: Any) -> list[Path]:
    """The step-through at 1280x800 and 390x844, and a lesson at 1280x800."""
    out.mkdir(parents=True, exist_ok=True)
    shots = []
    for name, (w, h) in {"backprop.png": (1280, 800), "backprop-390.png": (390, 844)}.items():
        page, _ = open_at(chromium, at(url, SHOT), w, h)
        open_backprop(page)
        for _ in range(7):  # the backward pass at the first layer: the longest chain
            page.keyboard.press("n")
        step_to(page, 7)
        page.screenshot(path=str(out / name))
        shots.append(out / name)
        page.context.close()
    page, _ = open_at(chromium, at(url, "#tutorial=backpropagation"), 1280, 800)
    page.wait_for_selector("#tutorial[data-lesson='backpropagation']")
    page.screenshot(path=str(out / "tutorial.png"))
    shots.append(out / "tutorial.png")
    page.context.close()
    return shots


if __name__ == "__main__":
    from playwright.sync_api import sync_playwright

    from nerve.playground.server import running_server

    with running_server() as url, sync_playwright() as p:
        browser = launch(p)
        for path in take_screenshots(url, DOCS, browser):
            print(path)
        browser.close()
