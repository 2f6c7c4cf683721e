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
    ``SystemExit(0)`` is never treated as a failure. ``sys.exit(n)`` on one rank ends the job
    with exit status ``n`` (no traceback); ``sys.exit("message")`` prints the message and ends
    it with status 1, as Python does for one process.

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
        where = f"rank {world.Get_rank()} of {world.Get_size()}"
        sys.stdout.flush()
        if isinstance(exc, SystemExit):
            # sys.exit(n) is a deliberate exit, not a bug: no traceback, and the job ends
            # with the status the rank asked for, as a single process would.
            code, message = _exit_status(exc.code)
            sys.stderr.write(
                f"{message}nerve.distributed: {where} called sys.exit({exc.code!r}); "
                f"ending all ranks with exit status {code}.\n"
            )
        else:
            code = 1
            text = "".join(traceback.format_exception(exc_type, exc, tb))
            sys.stderr.write(
                f"nerve.distributed: {where} raised an uncaught exception; aborting all "
                f"ranks.\n{text}"
            )
        sys.stderr.flush()
        world.Abort(code)
        return False  # not reached: Abort ends the process


def _exit_status(code: object) -> tuple[int, str]:
    """The exit status and the text Python itself would print for ``sys.exit(code)``: an int
    is the status (modulo 256, as the shell sees it); anything else is printed, status 1."""
    if isinstance(code, int) and not isinstance(code, bool):
        return code & 0xFF, ""
    return 1, f"{code}\n"


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
