"""Running a function on every rank so that one rank's error ends the whole job.

Without this, a rank that raises simply exits, and the other ranks wait forever in their
next collective for a partner that is gone. ``MPI.COMM_WORLD.Abort`` asks the launcher to
kill every rank, so the job ends at once with a non-zero exit status.

Launch scripts with::

    mpirun -n 4 python -m mpi4py your_script.py

mpi4py's ``-m`` runner does the same for any uncaught exception in the script; ``launch`` and
``abort_on_error`` give that guarantee to a script started as ``python your_script.py`` too.
"""

from __future__ import annotations

import contextlib
import sys
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

from .process_group import destroy_process_group, init_process_group, is_initialized

T = TypeVar("T")


class abort_on_error(contextlib.ContextDecorator):
    """A context manager (or decorator) that aborts the whole MPI job when its block raises.

    The traceback is printed to stderr, prefixed with the failing rank, before the abort. In a
    single process (MPI never started, or a world of one) the exception propagates as usual;
    ``SystemExit(0)`` is never treated as a failure.

    Example::

        @dist.abort_on_error()
        def main():
            dist.init_process_group("mpi")
            ...  # an exception on any rank stops every rank
    """

    def __enter__(self) -> abort_on_error:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        if exc_type is None or exc is None:
            return False
        if isinstance(exc, SystemExit) and exc.code in (None, 0):
            return False
        MPI = sys.modules.get("mpi4py.MPI")  # not imported: no MPI job to take down
        if MPI is None or not MPI.Is_initialized() or MPI.Is_finalized():
            return False
        world = MPI.COMM_WORLD
        if world.Get_size() == 1:
            return False
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        sys.stdout.flush()
        sys.stderr.write(
            f"nerve.distributed: rank {world.Get_rank()} of {world.Get_size()} raised an "
            f"uncaught exception; aborting all ranks.\n{text}"
        )
        sys.stderr.flush()
        world.Abort(1)
        return False  # not reached: Abort ends the process


def launch(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call ``fn(*args, **kwargs)`` on this rank inside the default process group.

    The group is initialized first (unless it already is) and destroyed afterwards; an
    uncaught exception on any rank aborts the whole job (see :class:`abort_on_error`).
    Every rank of ``mpirun -n R python train.py`` runs the same call.

    Example::

        def main(epochs):
            model = DistributedDataParallel(make_model())
            ...

        if __name__ == "__main__":
            nerve.distributed.launch(main, epochs=10)
    """
    with abort_on_error():
        created = not is_initialized()
        if created:
            init_process_group("mpi")
        result = fn(*args, **kwargs)
        if created:
            destroy_process_group()
        return result
