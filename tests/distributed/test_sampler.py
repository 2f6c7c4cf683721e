"""DistributedSampler: torch's shares, padding and dropping, checked rank by rank in one process."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

import nerve
from nerve.utils.data import DataLoader, DistributedSampler, Sampler, TensorDataset


def shares(n: int, replicas: int, **kwargs: object) -> list[list[int]]:
    return [
        list(DistributedSampler(range(n), num_replicas=replicas, rank=r, **kwargs))
        for r in range(replicas)
    ]


@pytest.mark.parametrize("replicas", [1, 2, 3, 4, 7])
@pytest.mark.parametrize("n", [0, 1, 5, 12, 13, 100])
@pytest.mark.parametrize("shuffle", [False, True])
def test_every_sample_once_per_epoch(n: int, replicas: int, shuffle: bool) -> None:
    parts = shares(n, replicas, shuffle=shuffle, seed=5)
    per_rank = math.ceil(n / replicas)
    assert all(len(p) == per_rank for p in parts)
    counts = Counter(i for p in parts for i in p)
    assert set(counts) == set(range(n))  # every sample at least once ...
    # ... and the padding repeats the first total - n indices of the order exactly once more.
    assert sum(counts.values()) - n == (per_rank * replicas - n if n else 0)
    assert all(c <= 1 + math.ceil(per_rank * replicas / max(n, 1)) for c in counts.values())


@pytest.mark.parametrize("replicas", [2, 3, 4])
@pytest.mark.parametrize("n", [5, 12, 13, 100])
def test_drop_last_drops_the_uneven_tail(n: int, replicas: int) -> None:
    parts = shares(n, replicas, shuffle=True, seed=1, drop_last=True)
    assert all(len(p) == n // replicas for p in parts)
    flat = [i for p in parts for i in p]
    assert len(flat) == len(set(flat)) == (n // replicas) * replicas  # no duplicates


@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize(("n", "replicas"), [(10, 4), (12, 3), (7, 3), (2, 4), (1, 2)])
def test_unshuffled_matches_torch(n: int, replicas: int, drop_last: bool) -> None:
    torch_data = pytest.importorskip("torch.utils.data")
    for rank in range(replicas):
        ours = DistributedSampler(
            range(n), num_replicas=replicas, rank=rank, shuffle=False, drop_last=drop_last
        )
        theirs = torch_data.DistributedSampler(
            range(n), num_replicas=replicas, rank=rank, shuffle=False, drop_last=drop_last
        )
        assert list(ours) == list(theirs) and len(ours) == len(theirs)


def test_deterministic_per_epoch_and_identical_across_ranks() -> None:
    def order(epoch: int, seed: int = 0) -> list[int]:
        parts = []
        for r in range(3):
            sampler = DistributedSampler(range(30), num_replicas=3, rank=r, seed=seed)
            sampler.set_epoch(epoch)
            parts.append(sampler.indices())
        # Rank r holds positions r, r + 3, ...: interleave to recover the global order.
        return np.stack(parts, axis=1).reshape(-1).tolist()

    assert order(0) == order(0) and order(4) == order(4)
    assert order(0) != order(1)
    assert order(1) != order(1, seed=1)
    assert order(2) == np.random.default_rng(2).permutation(30).tolist()


def test_indices_is_int64_and_matches_iteration() -> None:
    sampler = DistributedSampler(range(11), num_replicas=2, rank=1, seed=3)
    assert isinstance(sampler, Sampler)
    array = sampler.indices()
    assert array.dtype == np.int64 and array.tolist() == list(sampler)


def test_dataloader_uses_the_rank_share() -> None:
    data = TensorDataset(nerve.arange(10))
    seen = []
    for rank in range(3):
        sampler = DistributedSampler(data, num_replicas=3, rank=rank, seed=7)
        loader = DataLoader(data, batch_size=2, sampler=sampler)
        batches = [b[0].tolist() for b in loader]
        assert [i for b in batches for i in b] == list(sampler)
        assert len(loader) == 2 and [len(b) for b in batches] == [2, 2]
        seen += list(sampler)
    assert set(seen) == set(range(10))


def test_defaults_outside_a_process_group() -> None:
    sampler = DistributedSampler(range(4), shuffle=False)
    assert (sampler.num_replicas, sampler.rank, list(sampler)) == (1, 0, [0, 1, 2, 3])


@pytest.mark.parametrize(("replicas", "rank"), [(2, 2), (2, -1), (0, 0)])
def test_invalid_rank(replicas: int, rank: int) -> None:
    with pytest.raises(ValueError, match="rank|num_replicas"):
        DistributedSampler(range(4), num_replicas=replicas, rank=rank)
