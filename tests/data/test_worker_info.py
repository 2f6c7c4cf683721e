"""get_worker_info: None in the main process, as torch's, and so inside nerve's DataLoader
(which loads in the main process); an IterableDataset that shards by it yields everything."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import nerve  # noqa: E402
from nerve.utils.data import DataLoader, IterableDataset, get_worker_info  # noqa: E402


class Sharded(IterableDataset):
    """torch's documented pattern: each worker takes its share of range(start, end)."""

    def __init__(self, start: int, end: int) -> None:
        self.start, self.end = start, end
        self.seen: list[object] = []

    def __iter__(self):  # type: ignore[no-untyped-def]
        info = get_worker_info()
        self.seen.append(info)
        if info is None:
            return iter(range(self.start, self.end))
        raise AssertionError("nerve loads in the main process")


def test_none_outside_and_inside_the_loader() -> None:
    assert get_worker_info() is None and torch.utils.data.get_worker_info() is None
    assert nerve.utils.data.get_worker_info is get_worker_info
    data = Sharded(3, 9)
    batches = [b.tolist() for b in DataLoader(data, batch_size=4)]
    assert batches == [[3, 4, 5, 6], [7, 8]] and data.seen == [None]
