"""Shared test set-up.

Tests that need an optional component (torch, a browser, MPI) skip with a reason when it is
missing. CI sets NERVE_REQUIRE_OPTIONAL=1, which turns every such skip into a failure, so
that CI really runs them; only tests marked ``gpu`` may still skip there.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "nerve",
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("nerve")

REQUIRE_OPTIONAL = os.environ.get("NERVE_REQUIRE_OPTIONAL") == "1"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> object:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if REQUIRE_OPTIONAL and report.skipped and "gpu" not in item.keywords:
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where every optional component must be present: {reason}"
