"""Shared test set-up.

Tests that need an optional component (torch, a browser, MPI) skip with a reason when it is
missing. CI sets NERVE_REQUIRE_OPTIONAL=1, which turns every such skip into a failure, so
that CI really runs them; only tests marked ``gpu`` may still skip there.

The parity harness (``tests/parity/``) is importable by name as ``parity``: pytest runs with
``--import-mode=importlib``, which does not put test directories on ``sys.path``. The node
coverage test (marked ``node_coverage``) runs after every other test of the session, since it
reads what the parity checks recorded; deselected items are remembered for it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

_TESTS = str(Path(__file__).parent)
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)

settings.register_profile(
    "nerve",
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("nerve")

REQUIRE_OPTIONAL = os.environ.get("NERVE_REQUIRE_OPTIONAL") == "1"

# Paths of the test files whose items were deselected (-k, -m, --lf ...) in this session.
_DESELECTED_FILES: set[Path] = set()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "node_coverage: reads the parity checks' records; runs last in the session"
    )


def pytest_deselected(items: list[pytest.Item]) -> None:
    _DESELECTED_FILES.update(Path(item.path) for item in items)


@pytest.fixture
def deselected_files() -> set[Path]:
    """The test files some of whose items this session deselected (for the coverage test)."""
    return set(_DESELECTED_FILES)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    last = [item for item in items if item.get_closest_marker("node_coverage")]
    if last:
        items[:] = [item for item in items if item not in last] + last


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> object:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if REQUIRE_OPTIONAL and report.skipped and "gpu" not in item.keywords:
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where every optional component must be present: {reason}"
