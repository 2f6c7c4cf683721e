"""``DistributedSampler``: each rank of a data-parallel job visits its own share of a data set.

The shares are disjoint slices of one order that every rank computes identically (the
shuffle is seeded by ``seed + epoch``), so no communication is needed to agree on them.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sized

import numpy as np

from .sampler import Sampler


class DistributedSampler(Sampler):
    """The indices of rank ``rank`` out of ``num_replicas``, with torch's semantics.

    Every rank gets ``len(self)`` indices. Without ``drop_last`` that is ``ceil(N / R)``: the
    order is padded by repeating its first indices until it divides evenly (so a few samples
    are seen twice per epoch). With ``drop_last`` it is ``floor(N / R)``: the tail that does not
    divide evenly is dropped. Rank ``r`` takes positions ``r, r + R, r + 2R, ...``.

    With ``shuffle``, the order is ``numpy.random.default_rng(seed + epoch).permutation(N)``,
    the same on every rank; call :meth:`set_epoch` at the start of each epoch for a new order.
    (The permutation is NumPy's, not torch's.) ``num_replicas`` and ``rank`` default to the
    process group's world size and rank (1 and 0 outside a group).

    Example:
        >>> from nerve.utils.data import DistributedSampler
        >>> sampler = DistributedSampler(range(10), num_replicas=4, rank=1, shuffle=False)
        >>> list(sampler)
        [1, 5, 9]
        >>> sampler = DistributedSampler(range(10), num_replicas=4, rank=3, shuffle=False)
        >>> list(sampler)  # the order 0..9 is padded with 0, 1 so that every rank gets 3
        [3, 7, 1]
        >>> len(DistributedSampler(range(10), num_replicas=4, rank=0, drop_last=True))
        2
    """

    def __init__(
        self,
        dataset: Sized,
        num_replicas: int | None = None,
        rank: int | None = None,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ) -> None:
        if num_replicas is None or rank is None:
            from ...distributed import get_rank, get_world_size

            num_replicas = get_world_size() if num_replicas is None else num_replicas
            rank = get_rank() if rank is None else rank
        if not isinstance(num_replicas, int) or num_replicas < 1:
            raise ValueError(f"num_replicas should be a positive integer, got {num_replicas!r}")
        if not isinstance(rank, int) or not 0 <= rank < num_replicas:
            raise ValueError(
                f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]"
            )
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.shuffle, self.seed, self.drop_last = shuffle, seed, drop_last
        self.epoch = 0
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            # Drop the tail so that every rank gets the same number of real samples.
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def indices(self) -> np.ndarray:
        """This rank's indices for the current epoch, as an int64 array."""
        n = len(self.dataset)
        if self.shuffle:
            order = np.random.default_rng(self.seed + self.epoch).permutation(n)
        else:
            order = np.arange(n, dtype=np.int64)
        if self.drop_last:
            order = order[: self.total_size]
        elif self.total_size > n and n > 0:
            # Pad by cycling through the order from its start, as torch does.
            order = np.resize(order, self.total_size)
        return order[self.rank : self.total_size : self.num_replicas].astype(np.int64, copy=False)

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices().tolist())

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use the shuffled order of ``epoch`` (call it before each epoch's loop, on every
        rank); otherwise every epoch repeats the same order."""
        self.epoch = epoch
