"""Ranks that disagree end the job with a clear message instead of hanging: the collectives'
time limit (NERVE_MPI_TIMEOUT, init_process_group(timeout=...)) and sys.exit on one rank."""

from __future__ import annotations

import datetime

import pytest

from nerve.distributed import watchdog

LIMIT_S = "2"


def test_uneven_steps_abort_after_the_env_limit(mpirun) -> None:
    done = mpirun("uneven", 2, "env", check=False, env={"NERVE_MPI_TIMEOUT": LIMIT_S})
    assert done.returncode == watchdog.TIMEOUT_EXIT_CODE, done.stderr
    assert (
        "nerve.distributed: timeout: rank 1 of 2 waited" in done.stderr
        and "in DistributedDataParallel's gradient allreduce (bucket 1 of 1" in done.stderr
        and "set by the environment variable NERVE_MPI_TIMEOUT" in done.stderr
    ), done.stderr
    assert "Traceback" not in done.stderr


def test_timeout_argument_names_the_collective(mpirun) -> None:
    done = mpirun("uneven", 2, "arg", LIMIT_S, check=False)
    assert done.returncode == watchdog.TIMEOUT_EXIT_CODE, done.stderr
    assert "rank 0 of 2 waited" in done.stderr
    assert "in broadcast (src=1) (limit 2 s, set by init_process_group(timeout=...))" in done.stderr


def test_a_wait_within_the_limit_is_not_aborted(mpirun) -> None:
    done = mpirun("uneven", 2, "within", env={"NERVE_MPI_TIMEOUT": "30"})
    assert [r["limit"] for r in done.results] == [30.0, 30.0]


@pytest.mark.parametrize(
    ("how", "code", "said"),
    [
        ("exit", 3, "rank 1 of 2 called sys.exit(3); ending all ranks with exit status 3"),
        ("exit-text", 1, "rank 1 gives up\n"),
    ],
)
def test_sys_exit_on_one_rank_ends_the_job_with_its_status(
    mpirun, how: str, code: int, said: str
) -> None:
    done = mpirun("uneven", 2, how, module_runner=False, check=False)
    assert done.returncode == code, done.stderr
    assert said in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("2.5", 2.5),
        (" 10 ", 10.0),
        (7, 7.0),
        (datetime.timedelta(minutes=1), 60.0),
        (None, None),
        ("", None),
        ("0", None),
        (float("inf"), None),
    ],
)
def test_parse_timeout(value: object, seconds: float | None) -> None:
    assert watchdog.parse_timeout(value, "NERVE_MPI_TIMEOUT") == seconds


@pytest.mark.parametrize("value", ["ten", "-1", "nan", True, [3]])
def test_parse_timeout_refuses_nonsense_naming_the_source(value: object) -> None:
    with pytest.raises(ValueError, match="NERVE_MPI_TIMEOUT must be"):
        watchdog.parse_timeout(value, "NERVE_MPI_TIMEOUT")
