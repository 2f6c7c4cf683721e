"""Issue 13's "Fix" list in a real browser: links, layouts, classroom mode, fields and clicks.

The server and Chromium come from tests/playground/conftest.py; test_browser.py's script
writes the documentation's screenshots, at 1280x800 and 390x844 among them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

WAIT = 60_000  # ms: generous, for two slow cores


@pytest.fixture
def page(browser: Any, server_url: str) -> Iterator[Any]:
    page = _open(browser, server_url)
    yield page
    page.context.close()
    assert not page.errors, page.errors  # no JavaScript exceptions along the way


def open_page(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("body[data-connected='1']")
    page.wait_for_selector("#heatmap[data-frames]")  # the first frame is drawn
    page.wait_for_function("document.querySelector('#heatmap').dataset.points !== '0'")


def choose(page: Any, setting: str, value: str) -> None:
    """Pick a value of a setting's select and wait for the server to confirm it."""
    page.locator(f"[data-setting='{setting}']").first.select_option(value)
    page.wait_for_function(
        "([s, v]) => document.querySelector(`[data-setting='${s}']`).value === v",
        arg=[setting, value],
    )


def pick_dataset(page: Any, name: str) -> None:
    page.click(f"[data-dataset='{name}']")
    page.wait_for_selector(f"[data-dataset='{name}'][aria-pressed='true']")


LINK = "#dataset=spiral&hidden=8,8,8&optimizer=adam&noise=90"


def _context(browser: Any, width: int, height: int) -> Any:
    return browser.new_context(viewport={"width": width, "height": height}, bypass_csp=True)


def _open(browser: Any, url: str, width: int = 1400, height: int = 1050) -> Any:
    page = _context(browser, width, height).new_page()
    page.set_default_timeout(WAIT)
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.errors = errors
    open_page(page, url)
    return page


def _upload(page: Any, name: str, text: str) -> None:
    page.set_input_files(
        "#csv-file", files=[{"name": name, "mimeType": "text/csv", "buffer": text.encode()}]
    )


def test_a_second_csv_upload_replaces_the_first(page: Any) -> None:
    rows = "\n".join(f"{i % 7 / 3 - 1:.2f},{i // 7 / 3 - 1:.2f},{i % 2}" for i in range(42))
    _upload(page, "first.csv", "u,v,label\n" + rows)
    page.wait_for_function("document.querySelector('#data-info').textContent.startsWith('first')")
    # no header: the first row is data, so 43 points, not 42
    _upload(page, "second.csv", "0.5,0.5,1\n" + rows)
    page.wait_for_function(
        "document.querySelector('#data-info').textContent.startsWith('second: 43')"
    )


def test_a_link_with_a_bad_value_keeps_the_rest(browser: Any, server_url: str) -> None:
    page = _open(browser, server_url + LINK)
    page.wait_for_selector("[data-dataset='spiral'][aria-pressed='true']")
    page.wait_for_selector(".node[data-layer='3'][data-neuron='7']")  # 8,8,8
    page.wait_for_function("document.querySelector(\"[data-setting='noise']\").value === '80'")
    assert page.locator("[data-setting='optimizer']").input_value() == "adam"
    notes = page.locator("#link-notes")
    assert notes.is_visible() and "noise=90" in notes.inner_text()
    assert "noise=90" in page.url  # the link stays as it was typed
    page.click("#step")  # the first click keeps the link's set-up in the address
    page.wait_for_selector("#epoch[data-epoch='1']")
    page.wait_for_function("location.hash.includes('hidden=8,8,8')")
    assert "dataset=spiral" in page.url and "optimizer=adam" in page.url
    assert notes.is_visible()  # still there: it goes when dismissed
    page.click("#link-notes-close")
    assert not notes.is_visible()
    assert not page.errors
    page.context.close()


def _in_view(page: Any, selector: str) -> bool:
    return page.evaluate(
        """(s) => { const r = document.querySelector(s).getBoundingClientRect();
        return r.top >= 0 && r.bottom <= innerHeight && r.left >= 0 && r.right <= innerWidth; }""",
        selector,
    )


def test_a_phone_sees_play_and_the_output_together(browser: Any, server_url: str) -> None:
    page = _open(browser, server_url, 390, 844)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert _in_view(page, "#play") and _in_view(page, "#heatmap")
    page.click("#settings-toggle")  # the folded settings open on demand
    assert page.locator("[data-setting='optimizer']").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.context.close()
    laptop = _open(browser, server_url, 1280, 800)
    top = laptop.evaluate("document.querySelector('#metrics').getBoundingClientRect().top")
    assert top < 800  # the metrics start above the fold
    assert laptop.evaluate("document.documentElement.scrollWidth") <= 1280
    laptop.context.close()


def test_multiclass_outputs_and_their_cards(page: Any) -> None:
    pick_dataset(page, "blobs")
    page.wait_for_selector(".node.output[data-neuron='2']")
    page.click("#step")
    page.wait_for_selector("#epoch[data-epoch='1']")
    pictures = page.evaluate(
        "[0, 1, 2].map((j) => document.querySelector("
        "`.node.output[data-neuron='${j}'] canvas`).toDataURL())"
    )
    assert len(set(pictures)) == 3  # each output shows its own class
    page.hover(".node.output[data-neuron='2']")
    page.wait_for_selector("#explain .formula")
    page.wait_for_function("document.querySelector('#explain').innerText.includes('P(class 2)')")
    text = page.inner_text("#explain")
    assert "logit z (softmax follows)" in text and "value (softmax)" not in text
    assert "∂ P(class 2) / ∂ z[blob 2]" in text  # the hovered class's gradient


def test_classroom_mode_hides_features(browser: Any, server_url: str) -> None:
    page = _open(browser, server_url + "#dataset=circle&hide=features,regenerate")
    page.wait_for_selector(".node.feature[data-feature='x1']")
    assert page.locator(".node.feature").count() == 2  # only the features in use
    page.click(".node.feature[data-feature='x1']")  # locked: no change
    assert page.locator(".node.feature[data-feature='x1']:not(.off)").count() == 1
    assert not page.locator("#regenerate").is_visible()
    page.goto(server_url + "#dataset=circle&hide=x1x2")
    page.wait_for_selector(".node.feature[data-feature='x1sq']")
    assert page.locator(".node.feature[data-feature='x1x2']").count() == 0
    # The page's checkbox list builds a link that hides what is ticked.
    page.click("#hide-chooser summary")
    page.check("[data-hide='optimizer']")
    page.check("[data-hide='features']")
    link = page.input_value("#hide-link")
    assert "hide=" in link and "optimizer" in link and "features" in link
    assert "dataset=circle" in link
    assert not page.errors
    page.context.close()


def test_number_fields_show_what_the_server_uses(page: Any) -> None:
    field = page.locator("[data-setting='max_epochs']")
    field.fill("2.7")
    field.press("Enter")
    page.wait_for_function("document.querySelector(\"[data-setting='max_epochs']\").value === '2'")
    patience = page.locator("[data-setting='patience']")
    patience.fill("0")  # below the minimum of 1: rejected
    patience.press("Enter")
    page.wait_for_function("document.querySelector('#error').textContent.includes('patience')")
    page.wait_for_function("document.querySelector(\"[data-setting='patience']\").value === '20'")


def test_rapid_plus_minus_clicks_are_not_lost(page: Any) -> None:
    # Ten quick - + pairs and one more +, all sent before the first answer comes back.
    page.evaluate(
        """() => { const q = (a) => document.querySelector(`[data-action='${a}'][data-layer='0']`);
        for (let i = 0; i < 10; i++) { q('remove-neuron').click(); q('add-neuron').click(); }
        q('add-neuron').click(); }"""
    )
    page.click("#step")  # answered after every click before it (one session, in order)
    page.wait_for_selector("#epoch[data-epoch='1']")
    assert page.locator(".node[data-layer='1']").count() == 5
    assert "hidden=5,4" in page.url


def test_regression_and_real_thumbnails(page: Any) -> None:
    choose(page, "classes", "5")
    count = """() => { const c = document.querySelector("[data-dataset='blobs'] canvas");
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      const seen = new Set();
      for (let i = 0; i < d.length; i += 4) if (d[i] + d[i+1] + d[i+2] < 700) seen.add(
        `${d[i] >> 4},${d[i+1] >> 4},${d[i+2] >> 4}`);
      return seen.size; }"""
    page.wait_for_function(f"({count})() >= 5")  # the blobs preview shows 5 clusters' colours
    assert page.locator("[data-control='classes']").is_visible()
    choose(page, "problem", "regression")
    page.wait_for_selector("[data-dataset='plane'][aria-pressed='true']")
    assert not page.locator("[data-control='classes']").is_visible()
    assert "of class" not in page.inner_text(".your-data")
