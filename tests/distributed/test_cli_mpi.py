"""``mpirun -n 2 nerve train``: data-parallel training from the command line.

Two ranks must take the same optimizer steps as one process with the same global batch (up to
float32 reduction order), write exactly one run directory (rank 0's), and end the whole job
quickly, with the message shown once, when the command fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import nerve

ARGS = ["--epochs", "15", "--batch-size", "8", "--no-plots"]
LIMIT_S = 20  # a failing job must end well before this


@pytest.fixture
def nerve_mpi(mpirun, tmp_path: Path) -> Callable[..., subprocess.CompletedProcess]:
    """``nerve_mpi(ranks, *cli_args, python=None)`` runs ``mpirun -n ranks python -m nerve.cli
    ...`` in ``tmp_path``. Built on the conftest's ``mpirun`` fixture, which skips the test when
    mpi4py or mpirun is missing, and on its launcher helpers (time limits, environment)."""
    helpers = mpirun.__globals__  # the conftest module's namespace
    launcher = helpers["find_mpirun"]()
    timeout = helpers["TIMEOUT_S"]

    def run(ranks: int, *args: str, python: list[str] | None = None):
        command = [launcher, "-n", str(ranks)]
        if helpers["is_open_mpi"](launcher):
            command += ["--timeout", str(timeout - 20)]
            if ranks > (os.cpu_count() or 1):
                command.append("--oversubscribe")
        command += python or [sys.executable, "-m", "nerve.cli"]
        return subprocess.run(
            [*command, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=helpers["mpi_env"](),
            cwd=tmp_path,
        )

    return run


def _single(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    for name in ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"):
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "nerve.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )


def test_two_ranks_train_like_one_process(nerve_mpi, tmp_path: Path) -> None:
    one = _single(tmp_path, "train", *ARGS, "--out", "one")
    assert one.returncode == 0, one.stderr
    two = nerve_mpi(2, "train", *ARGS, "--runs-dir", "runs")
    assert two.returncode == 0, f"{two.stdout}\n{two.stderr}"

    # Exactly one run directory (rank 0's, with a fresh name), nothing else left behind.
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["xor-0001"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one", "runs"]
    assert two.stdout.count("run saved to") == 1  # only rank 0 reports
    assert two.stdout.count("01 process data") == 1
    assert "2 ranks" in two.stdout

    run = tmp_path / "runs" / "xor-0001"
    m1 = json.loads((tmp_path / "one" / "metrics.json").read_text())
    m2 = json.loads((run / "metrics.json").read_text())
    assert m2["training"]["world_size"] == 2 and "world_size" not in m1["training"]
    assert m2["training"]["epochs"] == m1["training"]["epochs"] == 15
    for split in ("train", "validation", "test"):
        assert m2[split]["accuracy"] == m1[split]["accuracy"]
        assert m2[split]["loss"] == pytest.approx(m1[split]["loss"], rel=1e-4)
    h1 = np.genfromtxt(tmp_path / "one" / "history.csv", delimiter=",", names=True)
    h2 = np.genfromtxt(run / "history.csv", delimiter=",", names=True)
    assert len(h1) == len(h2) == 15
    np.testing.assert_allclose(h2["train_loss"], h1["train_loss"], rtol=1e-4)
    np.testing.assert_array_equal(h2["train_accuracy"], h1["train_accuracy"])
    np.testing.assert_allclose(h2["val_loss"], h1["val_loss"], rtol=1e-4)

    # The saved weights are the plain module's (no DDP "module." prefix) and close to the
    # single-process weights; the run evaluates in a plain process and on any number of ranks.
    w1 = nerve.load(tmp_path / "one" / "model.safetensors")["model"]
    w2 = nerve.load(run / "model.safetensors")["model"]
    assert sorted(w2) == sorted(w1) and not any(k.startswith("module.") for k in w2)
    for key in w1:
        np.testing.assert_allclose(w2[key].numpy(), w1[key].numpy(), rtol=1e-4, atol=1e-5)
    evaluated = _single(tmp_path, "evaluate", str(run))
    assert evaluated.returncode == 0, evaluated.stderr
    assert f"{m1['test']['accuracy']:.4f}" in evaluated.stdout
    again = nerve_mpi(3, "evaluate", str(run))
    assert again.returncode == 0, again.stderr
    assert again.stdout == evaluated.stdout  # rank 0 only


def test_a_failing_command_ends_the_job_with_one_message(nerve_mpi, tmp_path: Path) -> None:
    start = time.perf_counter()
    done = nerve_mpi(2, "train", *ARGS, "--data", "missing.csv", "--target", "y", "--out", "run")
    elapsed = time.perf_counter() - start
    assert done.returncode != 0
    assert elapsed < LIMIT_S, f"the job took {elapsed:.1f} s to end"
    assert done.stderr.count("nerve train: error: CSV file not found") == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []  # no run directory, no staging directory


def test_an_error_on_one_rank_only_ends_the_job(nerve_mpi, tmp_path: Path) -> None:
    # Rank 1 names a missing CSV while rank 0 trains: rank 0 waits for rank 1 in a collective,
    # so rank 1 must report the error itself and take the job down.
    shim = (
        "import os, sys; from nerve.cli import main; "
        "rank = os.environ.get('OMPI_COMM_WORLD_RANK', os.environ.get('PMI_RANK', '0')); "
        "extra = [] if rank == '0' else ['--data', 'missing.csv', '--target', 'y']; "
        "sys.exit(main(sys.argv[1:] + extra))"
    )
    start = time.perf_counter()
    done = nerve_mpi(2, "train", *ARGS, "--out", "run", python=[sys.executable, "-c", shim])
    elapsed = time.perf_counter() - start
    assert done.returncode != 0
    assert elapsed < LIMIT_S, f"the job took {elapsed:.1f} s to end"
    assert done.stderr.count("CSV file not found: 'missing.csv' (on rank 1 of 2)") == 1
    assert not (tmp_path / "run").exists()


def test_a_too_small_global_batch_is_a_user_error(nerve_mpi, tmp_path: Path) -> None:
    done = nerve_mpi(2, "train", "--epochs", "1", "--out", "run")  # the default batch size 1
    assert done.returncode != 0
    assert done.stderr.count("training.batch_size 1 is the global batch") == 1, done.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_usage_error_is_printed_once(nerve_mpi) -> None:
    done = nerve_mpi(2, "train", "--no-such-option")
    assert done.returncode != 0
    assert done.stderr.count("unrecognized arguments: --no-such-option") == 1, done.stderr
