"""Ranks that disagree (on their number of steps, or one calling sys.exit) must end the job.

Arguments: <out dir> <how> [seconds]:

* ``env``: DDP training where rank 1 takes one step more than rank 0; the limit comes from
  ``NERVE_MPI_TIMEOUT`` (set by the test). Rank 1's gradient allreduce waits for a partner that
  has finished, so the watchdog must abort the job.
* ``arg``: the same with ``init_process_group(timeout=timedelta(seconds=<seconds>))``, rank 0
  left waiting in a ``broadcast``.
* ``within``: the limit is set but every rank makes the same calls, one of them late by less
  than the limit: the job must finish normally (rank<r>.json written).
* ``exit``: rank 1 calls ``sys.exit(3)`` inside ``dist.launch``; ``exit-text``:
  ``sys.exit("rank 1 gives up")``.
"""

from __future__ import annotations

import datetime
import sys
import time

from _common import write_result

import nerve
import nerve.distributed as dist
from nerve import nn
from nerve.nn.parallel import DistributedDataParallel as DDP


def train(steps: int) -> None:
    model = DDP(nn.Linear(3, 1))
    opt = nerve.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(steps):
        opt.zero_grad()
        model(nerve.ones(4, 3)).sum().backward()
        opt.step()


def main(how: str) -> None:
    rank = dist.get_rank()
    if how == "env":
        train(steps=2 + rank)  # rank 1 takes a third step alone
    elif how == "arg":
        if rank == 0:
            dist.broadcast(nerve.zeros(2), src=1)  # rank 1 never sends it
    elif how == "within":
        if rank == 1:
            time.sleep(0.3)
        dist.barrier()
        train(steps=2)
        write_result(rank, {"limit": dist.watchdog.limit()})
    elif how == "exit":
        dist.barrier()
        if rank == 1:
            sys.exit(3)
        dist.all_reduce(nerve.ones(3))  # waits for rank 1 unless the job is ended
    elif how == "exit-text":
        dist.barrier()
        if rank == 1:
            sys.exit("rank 1 gives up")
        dist.all_reduce(nerve.ones(3))


how = sys.argv[2]
if how == "arg":
    dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=float(sys.argv[3])))
dist.launch(main, how)
