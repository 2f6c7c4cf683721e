"""A rank that raises ends the whole MPI job quickly, instead of leaving the others waiting."""

from __future__ import annotations

import time

import pytest

LIMIT_S = 20


@pytest.mark.parametrize(("how", "module_runner"), [("launch", False), ("plain", True)])
def test_failing_rank_aborts_the_job(mpirun, how: str, module_runner: bool) -> None:
    start = time.perf_counter()
    done = mpirun("failing", 2, how, module_runner=module_runner, check=False)
    elapsed = time.perf_counter() - start
    assert done.returncode != 0
    assert elapsed < LIMIT_S, f"the job took {elapsed:.1f} s to end"
    assert "rank 1 fails on purpose" in done.stderr
    if how == "launch":
        assert "rank 1 of 2 raised an uncaught exception; aborting all ranks" in done.stderr
