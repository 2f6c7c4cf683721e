"""Beginner scripts written against torch (tests/scripts/*.py) run with nerve in torch's place.

Each script is run twice in this process: as written (torch), and with its imports rewritten
to nerve (``import torch`` -> ``import nerve as torch``, ``from torch.x import y`` ->
``from nerve.x import y``), the way a learner swaps the import. The scripts start from the same
numbers (no random initialisation is printed), so their printed output must agree: text equal
once ``nerve.`` reads ``torch.``, numbers equal to 1e-4.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

SCRIPTS = sorted((Path(__file__).parent / "scripts").glob("*.py"))
_NUMBER = re.compile(r"-?\d+\.?\d*(?:e[+-]?\d+)?")


def to_nerve(source: str) -> str:
    """The script with torch's imports replaced by nerve's (only import lines change)."""
    lines = []
    for line in source.splitlines():
        if re.match(r"\s*import torch\s*$", line):
            line = line.replace("import torch", "import nerve as torch")
        elif re.match(r"\s*(import|from) torch\.", line):
            line = re.sub(r"\btorch\.", "nerve.", line, count=1)
        lines.append(line)
    return "\n".join(lines) + "\n"


def _run(source: str, name: str) -> str:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        exec(compile(source, name, "exec"), {"__name__": "__main__"})
    return buffer.getvalue()


def _normalise(text: str) -> str:
    text = text.replace("nerve.", "torch.").replace("<class 'torch.tensor.Tensor'>", "")
    return re.sub(r"\s+", " ", text)


def _assert_same(ours: str, theirs: str, name: str) -> None:
    ours, theirs = _normalise(ours), _normalise(theirs)
    numbers_ours, numbers_theirs = _NUMBER.findall(ours), _NUMBER.findall(theirs)
    assert _NUMBER.sub("#", ours) == _NUMBER.sub("#", theirs), name
    assert len(numbers_ours) == len(numbers_theirs)
    for a, b in zip(numbers_ours, numbers_theirs):
        assert float(a) == pytest.approx(float(b), rel=1e-4, abs=1e-4), (name, a, b)


def test_the_import_rewrite() -> None:
    source = "import torch\nimport torch.nn as nn\nfrom torch.utils.data import DataLoader\n"
    assert to_nerve(source) == (
        "import nerve as torch\nimport nerve.nn as nn\nfrom nerve.utils.data import DataLoader\n"
    )


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_script_prints_what_torch_prints(script: Path) -> None:
    import nerve

    source = script.read_text()
    threads = (torch.get_num_threads(), nerve.get_num_threads())
    flags = (torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic)
    try:
        theirs = _run(source, str(script))
        ours = _run(to_nerve(source), str(script))
    finally:  # what the scripts set for the whole process, set back
        torch.set_printoptions(profile="default")
        nerve.set_printoptions(profile="default")
        torch.set_num_threads(threads[0])
        nerve.set_num_threads(threads[1])
        torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic = flags
        nerve.backends.cudnn.benchmark, nerve.backends.cudnn.deterministic = flags
    _assert_same(ours, theirs, script.stem)
