"""``nerve.distributed``: data-parallel training over MPI (torch.distributed's names).

Every process of an MPI job (``mpirun -n 4 python -m mpi4py train.py``) runs the same script;
``init_process_group("mpi")`` joins them into one group, the collectives below move tensors
between them in place, and :class:`nerve.nn.parallel.DistributedDataParallel` averages
gradients during backward. mpi4py is imported lazily: ``import nerve.distributed`` works
without it, and a program that never initializes a group sees rank 0 of a world of 1.
See docs/distributed.md.

Example::

    import nerve
    import nerve.distributed as dist

    dist.init_process_group("mpi")
    t = nerve.tensor([float(dist.get_rank())])
    dist.all_reduce(t, op=dist.ReduceOp.SUM)     # 0 + 1 + ... + (R - 1) on every rank
    dist.destroy_process_group()
"""

from . import process_group, watchdog
from .collectives import (
    ReduceOp,
    Work,
    all_gather,
    all_gather_into_tensor,
    all_reduce,
    broadcast,
    gather,
    reduce,
    reduce_scatter,
    reduce_scatter_tensor,
    scatter,
)
from .launch import abort_on_error, launch
from .process_group import (
    INSTALL_HINT,
    barrier,
    communication_time,
    destroy_process_group,
    get_backend,
    get_rank,
    get_world_size,
    init_process_group,
    is_available,
    is_initialized,
    is_mpi_available,
)

__all__ = [
    "INSTALL_HINT",
    "ReduceOp",
    "Work",
    "abort_on_error",
    "all_gather",
    "all_gather_into_tensor",
    "all_reduce",
    "barrier",
    "broadcast",
    "communication_time",
    "destroy_process_group",
    "gather",
    "get_backend",
    "get_rank",
    "get_world_size",
    "init_process_group",
    "is_available",
    "is_initialized",
    "is_mpi_available",
    "launch",
    "reduce",
    "reduce_scatter",
    "reduce_scatter_tensor",
    "scatter",
]
