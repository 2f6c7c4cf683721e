"""Every graph-node class of nerve is checked: its gradient against torch's (the parity
harness) or against finite differences, or it is listed as not checkable with a reason.

The parity checks record the node classes of every graph whose gradient they compare
(``tests/parity/coverage.py``); the last test of the session reads that record. It can only
judge a session that ran every test file using the harness, in full: run on its own, or after
``-k`` or ``--lf``, it skips and says what was missing (CI, with NERVE_REQUIRE_OPTIONAL=1,
turns that skip into a failure). Node classes are found at run time by importing the whole
``nerve`` package and walking ``Node``'s subclasses, so a new node class is noticed without
editing this file.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nerve  # noqa: E402
from parity import coverage  # noqa: E402

TESTS = Path(__file__).parent
USES_HARNESS = re.compile(r"^\s*(?:from|import)\s+parity\b", re.MULTILINE)


def harness_files() -> list[Path]:
    """The test files that use the parity harness, this one excepted."""
    here = Path(__file__).resolve()
    return sorted(
        path.resolve()
        for path in TESTS.rglob("test_*.py")
        if path.resolve() != here and USES_HARNESS.search(path.read_text(encoding="utf-8"))
    )


def session_gaps(items: list[pytest.Item], deselected: set[Path]) -> list[str]:
    """Why this session's record cannot be complete (empty when it ran every harness file in
    full before this test)."""
    ran = {Path(item.path).resolve() for item in items}
    skipped_parts = {path.resolve() for path in deselected}
    gaps = []
    for path in harness_files():
        name = str(path.relative_to(TESTS.resolve()))
        if path not in ran:
            gaps.append(f"{name} is not in this session")
        elif path in skipped_parts:
            gaps.append(f"some tests of {name} were deselected")
    return gaps


def test_every_entry_not_checked_names_a_node_class():
    """The list of exceptions stays true: no entry outlives its class."""
    assert coverage.import_nerve() == [], "modules of nerve that could not be imported"
    names = {cls.__qualname__ for cls in coverage.node_classes()}
    stale = sorted(set(coverage.NOT_CHECKED) - names)
    assert not stale, f"coverage.NOT_CHECKED names no node class of nerve: {stale}"


def test_the_harness_users_are_found():
    """The scan that decides whether a session is complete sees the parity test files."""
    names = {str(path.relative_to(TESTS.resolve())) for path in harness_files()}
    expected = {"core/test_oracle.py", "core/test_gradcheck.py", "nn/test_double_backward.py"}
    assert expected <= names, f"harness users found: {sorted(names)}"


def test_record_finds_every_node_of_a_graph():
    """The registry's graph walk itself: every node behind the output, leaves included."""
    x = nerve.tensor(np.arange(3.0), requires_grad=True)
    found: dict[type, set[str]] = {}
    coverage.record([(x * x).exp().sum(), nerve.zeros(2)], "here", into=found)
    names = {cls.__name__ for cls in found}
    assert names == {"Mul", "Exp", "Sum", "AccumulateGrad"}, names
    assert all(how == {"here"} for how in found.values())


@pytest.mark.node_coverage
def test_every_node_class_is_checked(request, deselected_files):
    items = request.session.items
    if hasattr(request.config, "workerinput"):  # pytest-xdist: this process ran a share only
        pytest.skip("node coverage needs the whole session in one process (run without -n)")
    gaps = session_gaps(items, deselected_files)
    if gaps:
        pytest.skip(
            "node coverage needs every test file that uses the parity harness, in full, in "
            "the same session (pytest tests, or pytest tests/core tests/nn tests/optim "
            f"{Path(__file__).relative_to(TESTS.parent)}): "
            + "; ".join(gaps[:4])
            + (f"; and {len(gaps) - 4} more" if len(gaps) > 4 else "")
        )
    position = items.index(request.node)
    harness = set(harness_files())
    late = [item.nodeid for item in items[position:] if Path(item.path).resolve() in harness]
    assert not late, f"parity tests ran after the coverage test: {late[:3]}"

    assert coverage.import_nerve() == [], "modules of nerve that could not be imported"
    classes = coverage.node_classes()
    uncovered = [
        coverage.qualified(cls)
        for cls in classes
        if cls not in coverage.COVERED and cls.__qualname__ not in coverage.NOT_CHECKED
    ]
    failed = request.session.testsfailed
    assert not uncovered, (
        f"{len(uncovered)} of nerve's {len(classes)} graph-node classes were checked neither "
        "against torch nor by finite differences in this session: add an op-table case "
        "(tests/core/cases_*.py) or a parity check that records it, or list it in "
        f"tests/parity/coverage.py NOT_CHECKED with the reason: {uncovered}"
        + (f" ({failed} tests failed earlier, which may have cut checks short)" if failed else "")
    )
