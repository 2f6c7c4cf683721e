"""``nerve.nn.parallel``: DistributedDataParallel and SyncBatchNorm (torch's names).

Both need a process group (``nerve.distributed.init_process_group("mpi")``); see
docs/distributed.md for launching with ``mpirun``.
"""

from .distributed import DistributedDataParallel
from .sync_batchnorm import SyncBatchNorm

__all__ = ["DistributedDataParallel", "SyncBatchNorm"]
