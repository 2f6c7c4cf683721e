"""``get_worker_info``: which data-loading worker process runs the caller (torch's name)."""

from __future__ import annotations

from typing import Any

__all__ = ["get_worker_info"]


def get_worker_info() -> Any:
    """Information on the worker process that loads data (its id, the number of workers, its
    copy of the dataset, its seed) when called inside one, otherwise None. nerve's DataLoader
    loads every batch in the main process, so this is always None; an IterableDataset that
    splits its work by ``get_worker_info()`` then yields all of it, as torch's does with
    ``num_workers=0``.

    Example:
        >>> import nerve
        >>> nerve.utils.data.get_worker_info() is None
        True
    """
    return None
