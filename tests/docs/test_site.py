"""The documentation site builds with warnings as errors, and its generated parts are current.

``mkdocs build --strict`` fails on a broken link, a page missing from the navigation, a
docstring that mkdocstrings cannot render or a cross-reference it cannot resolve: a broken
API reference fails the suite. The reference pages themselves are generated from nerve's
public names at build time (docs/_hooks/api_pages.py), so a new public name appears there
without anyone editing a page; the CLI page is generated from the config schema and checked
here for staleness.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _needs_mkdocs() -> None:
    for module in ("mkdocs", "material", "mkdocstrings_handlers.python"):
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            pytest.skip(f"{module} is not installed: pip install -e '.[docs]' to build the site")


def test_site_builds_strict(tmp_path: Path) -> None:
    _needs_mkdocs()
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stderr[-6000:]}"
    for page in ("index.html", "api/nn/index.html", "guides/cli/index.html"):
        assert (tmp_path / page).is_file(), f"the site has no {page}"
    reference = (tmp_path / "api/nn/index.html").read_text(encoding="utf-8")
    assert 'id="nerve.nn.Linear"' in reference, "nerve.nn.Linear is missing from the reference"
    assert "&gt;&gt;&gt;" in reference, "the reference shows no docstring example"


def test_api_pages_list_every_public_name() -> None:
    hook = _load(ROOT / "docs/_hooks/api_pages.py", "api_pages")
    import nerve.nn
    import nerve.optim

    pages = {dotted: hook.page_source(dotted, title, "") for _, dotted, title, _ in hook.PAGES}
    for name in ("Linear", "Sequential", "BCELoss", "Module"):
        assert f"::: nerve.nn.{name}\n" in pages["nerve.nn"]
        assert hasattr(nerve.nn, name)
    assert "::: nerve.optim.SGD\n" in pages["nerve.optim"] and nerve.optim.SGD
    assert "::: nerve.tensor\n" in pages["nerve"]
    assert "`nerve.float32`" in pages["nerve"]  # constants go in a table
    assert "0x" not in pages["nerve"]  # no memory address in a generated page


def test_cli_page_is_current() -> None:
    gen = _load(ROOT / "docs/gen_cli_page.py", "gen_cli_page")
    page = ROOT / "docs/guides/cli.md"
    assert page.read_text(encoding="utf-8") == gen.render(), (
        "docs/guides/cli.md is stale: run `python docs/gen_cli_page.py` and commit the page"
    )
