"""Every shell command and Python block of the README and the guides runs as written.

Fenced ```python blocks run as scripts, ```bash blocks line by line with the shell, each
page's blocks in order in one fresh temporary directory (a later command may use what an
earlier one wrote, as a reader following the page would). Other fences (toml, text, output)
are not code to run.

A block that is not meant to run here carries a marker on the line before its fence, with
the reason -- ``<!-- docs-test: skip (starts a web server that runs until stopped) -->`` --
invisible on GitHub and on the site. A ``pip install ...`` step before ``&&`` is not
repeated: the test runs in the environment those commands build.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [
    ROOT / "README.md",
    ROOT / "docs" / "index.md",
    ROOT / "docs" / "distributed.md",
    ROOT / "docs" / "playground.md",
    *sorted((ROOT / "docs" / "guides").glob("*.md")),
]
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
SKIP = re.compile(r"<!-- docs-test: skip \(([^)]+)\) -->\s*$")


def blocks(page: Path) -> list[tuple[str, str, str | None, int]]:
    """(language, code, skip reason or None, line number) of each fenced block of ``page``."""
    text = page.read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(text):
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        reason = SKIP.search(before)
        line = text.count("\n", 0, match.start()) + 1
        found.append((match.group(1), match.group(2), reason.group(1) if reason else None, line))
    return found


def commands(code: str) -> list[str]:
    """The commands of a bash block: continuation lines joined, comments and pip installs cut."""
    joined = re.sub(r"\s*\\\n\s*", " ", code)
    result = []
    for line in joined.splitlines():
        line = re.sub(r"\s+#.*$", "", line).strip()
        if not line or line.startswith("#"):
            continue
        parts = [p.strip() for p in line.split("&&")]
        parts = [p for p in parts if not re.match(r"(python -m )?pip install\b", p)]
        if parts:
            result.append(" && ".join(parts))
    return result


def test_markers_are_well_formed() -> None:
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for line in text.splitlines():
            if "docs-test" in line and not SKIP.search(line):
                raise AssertionError(f"{page.name}: malformed marker {line!r}")


def test_commands_are_parsed_as_a_reader_types_them() -> None:
    code = (
        'pip install -e ".[workflow]" && nerve train   # comment\n'
        "nerve train --lr 0.1 \\\n  --epochs 2\n"
    )
    assert commands(code) == ["nerve train", "nerve train --lr 0.1 --epochs 2"]


def _runnable(page: Path) -> bool:
    return any(r is None and lang in ("python", "bash") for lang, _, r, _ in blocks(page))


RUNNABLE = [page for page in PAGES if _runnable(page)]


def test_the_main_pages_have_blocks_that_run() -> None:
    names = {page.name for page in RUNNABLE}
    assert {"README.md", "pytorch-to-nerve.md", "internals.md", "cli.md"} <= names, names


@pytest.mark.parametrize("page", RUNNABLE, ids=[p.relative_to(ROOT).as_posix() for p in RUNNABLE])
def test_page_blocks_run(page: Path, tmp_path: Path) -> None:
    env = {**os.environ, "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1"}
    ran = 0
    for language, code, reason, line in blocks(page):
        if reason is not None or language not in ("python", "bash"):
            continue
        if language == "python":
            runs = [[sys.executable, "-c", code]]
        else:
            runs = [["bash", "-c", f"set -eo pipefail; {cmd}"] for cmd in commands(code)]
        for argv in runs:
            done = subprocess.run(
                argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
            )
            assert done.returncode == 0, (
                f"{page.name}, block at line {line} failed ({argv[-1][:200]!r}):\n"
                f"{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
            )
            ran += 1
    assert ran, f"{page.name}: no block ran"
