"""A time limit on nerve's collectives: a rank left waiting too long aborts the whole job.

Every rank must make the same collectives in the same order. When they do not (one rank ran
one step more than the others, or returned early), the waiting ranks block inside MPI
forever: a blocking ``MPI_Allreduce`` cannot be interrupted from Python. So the limit is
kept by a watchdog thread, as torch's NCCL watchdog does: every nerve MPI call records its
name and start time (:func:`waiting`), and the thread, which mpi4py lets run while MPI waits
(it releases the GIL), aborts the job with ``MPI.COMM_WORLD.Abort`` once a call has waited
longer than the limit, after printing which rank waited in which collective.

The limit comes from ``init_process_group(timeout=...)`` (seconds, or a
``datetime.timedelta`` as in torch) or, when that is not given, from the environment
variable ``NERVE_MPI_TIMEOUT`` (seconds). Without either, collectives wait as long as it
takes. The job then ends with exit status :data:`TIMEOUT_EXIT_CODE` (124, as GNU ``timeout``).
"""

from __future__ import annotations

import datetime
import math
import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

TIMEOUT_ENV = "NERVE_MPI_TIMEOUT"
TIMEOUT_EXIT_CODE = 124


class _Watch:
    """The limit, where it came from, and the call in progress (one per process)."""

    limit: float | None = None  # seconds; None: wait forever
    source: str = ""  # "init_process_group(timeout=...)" or the variable, for the message
    resolved = False  # False until the limit was read from the arguments or the environment
    current: tuple[str, float] | None = None  # (collective, monotonic start) while in MPI
    thread: threading.Thread | None = None
    lock = threading.Lock()


_watch = _Watch()


def parse_timeout(value: Any, source: str) -> float | None:
    """Seconds from ``value`` (a number, a numeric string or a ``timedelta``); None, 0 or an
    empty string mean no limit. Raises ValueError naming ``source`` for anything else."""
    if value is None:
        return None
    if isinstance(value, datetime.timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str):
        if not value.strip():
            return None
        try:
            seconds = float(value)
        except ValueError:
            raise ValueError(
                f"{source} must be a number of seconds (e.g. 300), got {value!r}"
            ) from None
    else:
        raise ValueError(
            f"{source} must be a number of seconds or a datetime.timedelta, "
            f"got {type(value).__name__}"
        )
    if math.isnan(seconds) or seconds < 0:
        raise ValueError(f"{source} must be a non-negative number of seconds, got {value!r}")
    if seconds == 0 or math.isinf(seconds):
        return None
    return seconds


def configure(timeout: Any = None) -> None:
    """Set the limit from ``timeout`` (init_process_group's argument) or, when it is None,
    from ``NERVE_MPI_TIMEOUT``; start the watchdog thread when there is a limit."""
    if timeout is not None:
        limit, source = parse_timeout(timeout, "timeout"), "init_process_group(timeout=...)"
    else:
        limit = parse_timeout(os.environ.get(TIMEOUT_ENV), TIMEOUT_ENV)
        source = f"the environment variable {TIMEOUT_ENV}"
    _watch.limit, _watch.source, _watch.resolved = limit, source, True
    if limit is not None:
        _start_thread()


def reset() -> None:
    """Forget the limit (destroy_process_group): the next group reads it afresh."""
    _watch.limit, _watch.resolved = None, False


def limit() -> float | None:
    """The limit in seconds now in force (None: none)."""
    return _watch.limit


@contextmanager
def waiting(name: str) -> Iterator[None]:
    """Mark the block as a wait in the collective ``name``, watched against the limit.

    A communicator passed by the user (``group=`` / ``process_group=``) works without
    ``init_process_group``; the environment variable then applies from the first call.
    """
    if not _watch.resolved:
        configure(None)
    previous = _watch.current
    _watch.current = (name, time.monotonic())  # one tuple store: atomic for the thread
    try:
        yield
    finally:
        _watch.current = previous


def _start_thread() -> None:
    with _watch.lock:
        if _watch.thread is None or not _watch.thread.is_alive():
            # A daemon: it must never keep a finished program alive.
            _watch.thread = threading.Thread(target=_run, name="nerve-mpi-watchdog", daemon=True)
            _watch.thread.start()


def _run() -> None:
    while True:
        # Checking a few times per limit keeps the overshoot small; no more than once per
        # second for long limits, no more than 50 times a second for short ones.
        time.sleep(min(1.0, max(0.02, (_watch.limit or 1.0) / 20)))
        limit, current = _watch.limit, _watch.current
        if limit is None or current is None:
            continue
        name, started = current
        waited = time.monotonic() - started
        if waited > limit:
            _abort(name, waited, limit)


def _abort(name: str, waited: float, limit: float) -> None:
    """Say which rank waited where, then end every rank of the job."""
    MPI = sys.modules.get("mpi4py.MPI")
    world = MPI.COMM_WORLD if MPI is not None else None
    where = f"rank {world.Get_rank()} of {world.Get_size()}" if world is not None else "this rank"
    sys.stdout.flush()
    sys.stderr.write(
        f"nerve.distributed: timeout: {where} waited {waited:.1f} s in {name} (limit "
        f"{limit:g} s, set by {_watch.source}); the other ranks never joined it. Every rank "
        "must make the same collectives in the same order: check that all ranks run the same "
        "number of steps (equal data shares, no rank returning early). Aborting the job "
        f"(exit status {TIMEOUT_EXIT_CODE}).\n"
    )
    sys.stderr.flush()
    if world is not None:
        world.Abort(TIMEOUT_EXIT_CODE)
    os._exit(TIMEOUT_EXIT_CODE)  # not reached after Abort; the last resort without MPI
