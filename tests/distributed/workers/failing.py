"""Rank 1 raises while the other ranks wait in a collective: the whole job must end at once.

Arguments: <out dir> <how>: "launch" runs main through nerve.distributed.launch (started as
``python failing.py``); "plain" raises at module level (started as ``python -m mpi4py``).
"""

from __future__ import annotations

import sys

import nerve
import nerve.distributed as dist


def main() -> None:
    dist.barrier()
    if dist.get_rank() == 1:
        raise ValueError("rank 1 fails on purpose")
    dist.all_reduce(nerve.ones(3))  # waits forever for rank 1 unless the job is aborted


if sys.argv[2] == "launch":
    dist.launch(main)
else:
    dist.init_process_group("mpi")
    main()
