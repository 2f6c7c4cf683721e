"""Where a run lives while it trains: a hidden, marked staging directory beside its final place.

``nerve train`` creates the staging directory *before* training -- so an output place that
cannot be written (a file in the way, a read-only or missing parent, a full disk) fails in a
second, not after the whole training -- and keeps its checkpoints there. When everything is
written the staging directory is renamed into place, so a run directory is never half-written.

A staging directory is named ``.<stem>.<8 hex digits>.partial`` and holds a marker file,
``nerve-staging.json`` (which run, which final place), and a lock that its process holds
while it runs. The lock is what tells a live run from a killed one: the kernel releases it
when the process dies, even by SIGKILL. A killed run's staging directory is

* resumable, if it holds a checkpoint: ``nerve train --resume <staging dir>`` (or, for a run
  with ``--out DIR``, ``--resume DIR``) continues it;
* removed by the next run in the same parent directory, if it holds no checkpoint (it died
  before its first epoch ended: nothing to resume).

Only directories with this exact name pattern *and* a valid marker are ever removed.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import socket
from pathlib import Path
from typing import Any

from .errors import DataError

try:  # POSIX; elsewhere staging directories are never judged stale (nothing is removed)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["Staging", "OutputError", "CHECKPOINT_NAME", "MARKER_NAME"]

MARKER_NAME = "nerve-staging.json"
CHECKPOINT_NAME = "checkpoint.safetensors"
_LOCK_NAME = ".lock"
_PATTERN = re.compile(r"^\.(?P<stem>[A-Za-z0-9_-]{1,40})\.[0-9a-f]{8}\.partial$")
_FORMAT = "nerve.staging"


class OutputError(OSError):
    """The run directory (or another output) could not be written: one line says where, why."""


def _os_reason(err: OSError) -> str:
    return err.strerror or str(err)


class Staging:
    """One run's staging directory, locked by this process while it exists.

    Example:
        >>> import tempfile
        >>> root = Path(tempfile.mkdtemp())
        >>> staging = Staging.create(None, root, "xor")
        >>> (staging.path / "model.txt").write_text("weights") and None
        >>> staging.commit().name
        'xor-0001'
    """

    def __init__(self, path: Path, target: Path | None, root: Path, stem: str) -> None:
        self.path, self.target, self.root, self.stem = path, target, root, stem
        self._lock: Any = None

    @property
    def checkpoint(self) -> Path:
        return self.path / CHECKPOINT_NAME

    # -------------------------------------------------------------------------- lifecycle

    @classmethod
    def create(cls, target: Path | None, root: Path, stem: str) -> Staging:
        """Make and lock a fresh staging directory for ``target`` (or a fresh name under
        ``root``); raises :class:`OutputError` at once if the place cannot be written."""
        parent = target.parent if target is not None else root
        stem = _safe_stem(target.name if target is not None else stem)
        for folder in (parent, *parent.parents):  # the nearest existing one must be a folder
            if folder.exists():
                if not folder.is_dir():
                    raise OutputError(
                        f"cannot write the run directory: '{folder}' is not a directory"
                    )
                break
        try:
            parent.mkdir(parents=True, exist_ok=True)
            remove_stale(parent)
            path = parent / f".{stem}.{secrets.token_hex(4)}.partial"
            path.mkdir()  # os.mkdir honours the umask, unlike tempfile.mkdtemp's 0700
            staging = cls(path, target, root, stem)
            staging._acquire()
            marker = {"format": _FORMAT, "version": 1, "pid": os.getpid()}
            marker.update(host=socket.gethostname(), stem=stem)
            marker["target"] = None if target is None else str(target.resolve())
            write_atomic(path / MARKER_NAME, json.dumps(marker) + "\n")
        except OSError as err:
            raise OutputError(
                f"cannot write the run directory in '{parent}': {_os_reason(err)}"
            ) from None
        return staging

    @classmethod
    def reopen(cls, path: Path) -> Staging:
        """Take over a killed run's staging directory (for ``--resume``)."""
        marker = read_marker(path)
        if marker is None:
            raise DataError(f"'{path}' is not a nerve staging directory (no valid {MARKER_NAME})")
        target = Path(marker["target"]) if marker.get("target") else None
        staging = cls(path, target, path.parent, str(marker["stem"]))
        if not staging._acquire(wait=False):
            raise DataError(
                f"'{path}' belongs to a run that is still training (pid {marker['pid']})"
            )
        return staging

    def commit(self) -> Path:
        """Rename the staging directory into place (an explicit target must not have appeared
        meanwhile); returns the run directory."""
        with contextlib.suppress(FileNotFoundError):
            self.checkpoint.unlink()  # the finished run needs no checkpoint
        for name in (MARKER_NAME, _LOCK_NAME):
            with contextlib.suppress(FileNotFoundError):
                (self.path / name).unlink()
        try:
            final = self._rename()
        except OSError as err:
            raise OutputError(f"cannot move the run into place: {_os_reason(err)}") from None
        self.release()
        return final

    def discard(self) -> None:
        """Delete the staging directory (a failed run leaves nothing behind)."""
        self.release()
        shutil.rmtree(self.path, ignore_errors=True)

    def release(self) -> None:
        if self._lock is not None:
            self._lock.close()  # closing the file drops the lock
            self._lock = None

    def _acquire(self, wait: bool = True) -> bool:
        handle = open(self.path / _LOCK_NAME, "a")  # noqa: SIM115 - held while the run lives
        if fcntl is not None:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                handle.close()
                return False
        self._lock = handle
        return True

    def _rename(self) -> Path:
        if self.target is not None:
            if self.target.exists():
                # --overwrite checked the old directory before training: swap it out now.
                trash = self.target.parent / f".{self.stem}.{secrets.token_hex(4)}.old"
                os.rename(self.target, trash)
                os.rename(self.path, self.target)
                shutil.rmtree(trash, ignore_errors=True)
            else:
                os.rename(self.path, self.target)
            return self.target
        for _ in range(1000):  # another run may take a name between choosing and renaming
            candidate = _next_name(self.root, self.stem)
            try:
                os.rename(self.path, candidate)
                return candidate
            except OSError:
                if not candidate.exists():
                    raise
        raise OutputError(f"could not find a free run directory name under '{self.root}'")


# ------------------------------------------------------------------------------ helpers


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write to a temporary file beside ``path``, flush it to disk, then rename it into place:
    a reader (or a run resumed after a kill) sees the old file or the new one, never half."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def read_marker(path: Path) -> dict[str, Any] | None:
    """The marker of a staging directory this program made, or None (then leave it alone)."""
    if not _PATTERN.match(path.name) or not path.is_dir():
        return None
    try:
        marker = json.loads((path / MARKER_NAME).read_text(encoding="utf-8")[:4096])
    except (OSError, ValueError):
        return None
    ok = isinstance(marker, dict) and marker.get("format") == _FORMAT
    return marker if ok and isinstance(marker.get("stem"), str) else None


def is_locked(path: Path) -> bool:
    """Whether a live process holds the staging directory's lock (True when unsure)."""
    if fcntl is None:
        return True
    try:
        with open(path / _LOCK_NAME, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return False
    except (BlockingIOError, OSError):
        return True


def remove_stale(parent: Path) -> list[Path]:
    """Remove killed runs' staging directories under ``parent`` that hold no checkpoint;
    returns the resumable ones (with a checkpoint) left in place."""
    resumable = []
    try:
        entries = list(parent.iterdir())
    except OSError:
        return []
    for path in entries:
        if read_marker(path) is None or is_locked(path):
            continue
        if (path / CHECKPOINT_NAME).is_file():
            resumable.append(path)
        else:
            shutil.rmtree(path, ignore_errors=True)
    return resumable


def find_partial(run: Path) -> Path:
    """The staging directory ``--resume RUN`` means: RUN itself, or the one whose final place
    is RUN (a run started with ``--out RUN``)."""
    if read_marker(run) is not None:
        return run
    matches = []
    with contextlib.suppress(OSError):
        for path in run.parent.iterdir():
            marker = read_marker(path)
            if marker and marker.get("target") == str(run.resolve()):
                matches.append(path)
    if not matches:
        raise FileNotFoundError(f"no interrupted run to resume at '{run}'")
    return max(matches, key=lambda p: p.stat().st_mtime)


def _safe_stem(name: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-")
    return stem[:40] or "run"


def _next_name(root: Path, stem: str) -> Path:
    """``root/<stem>-NNNN`` with NNNN one past the highest number already there."""
    pattern = re.compile(rf"^{re.escape(stem)}-(\d+)$")
    numbers = [int(m.group(1)) for p in root.iterdir() if (m := pattern.match(p.name))]
    return root / f"{stem}-{max(numbers, default=0) + 1:04d}"
