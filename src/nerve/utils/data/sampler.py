"""Samplers: the order in which a DataLoader visits a data set's indices."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence, Sized
from typing import Any

import numpy as np

from ...random import Generator, numpy_generator
from ...tensor import Tensor


class Sampler:
    """Base class: an iterable of indices (or of lists of indices, for batch samplers).

    Example:
        >>> import nerve
        >>> from nerve.utils.data import DataLoader, Sampler
        >>> class Backwards(Sampler):
        ...     def __init__(self, data):
        ...         self.data = data
        ...     def __iter__(self):
        ...         return iter(range(len(self.data) - 1, -1, -1))
        ...     def __len__(self):
        ...         return len(self.data)
        >>> data = nerve.arange(5)
        >>> [b.tolist() for b in DataLoader(data, batch_size=2, sampler=Backwards(data))]
        [[4, 3], [2, 1], [0]]
    """

    def __init__(self, data_source: Sized | None = None) -> None:
        pass

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError

    def indices(self) -> np.ndarray:
        """One pass of indices as an array (what the DataLoader's fast path slices)."""
        return np.fromiter(iter(self), dtype=np.int64)


class SequentialSampler(Sampler):
    """0, 1, 2, ... in order.

    Example:
        >>> from nerve.utils.data import SequentialSampler
        >>> list(SequentialSampler(range(4)))
        [0, 1, 2, 3]
    """

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)

    def indices(self) -> np.ndarray:
        return np.arange(len(self.data_source))


class RandomSampler(Sampler):
    """A random permutation each pass (or ``num_samples`` draws with replacement).

    With no ``generator``, each pass draws from nerve's default generator, so
    ``nerve.manual_seed`` makes the order reproducible.

    Example:
        >>> import nerve
        >>> from nerve.utils.data import RandomSampler
        >>> _ = nerve.manual_seed(0)
        >>> order = list(RandomSampler(range(5)))
        >>> sorted(order)  # every index once, in a random order
        [0, 1, 2, 3, 4]
        >>> len(list(RandomSampler(range(5), replacement=True, num_samples=8)))
        8
    """

    def __init__(
        self,
        data_source: Sized,
        replacement: bool = False,
        num_samples: int | None = None,
        generator: Generator | None = None,
    ) -> None:
        self.data_source, self.replacement, self.generator = data_source, replacement, generator
        self._num_samples = num_samples
        if num_samples is not None and (not isinstance(num_samples, int) or num_samples <= 0):
            raise ValueError(
                f"num_samples should be a positive integer value, but got num_samples={num_samples}"
            )

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def indices(self) -> np.ndarray:
        n = len(self.data_source)
        rng = numpy_generator(self.generator)
        if self.replacement:
            return rng.integers(0, n, self.num_samples)
        rounds = (
            [rng.permutation(n) for _ in range(-(-self.num_samples // n))] if n else [np.arange(0)]
        )
        return np.concatenate(rounds)[: self.num_samples]

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices().tolist())

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a random order each pass.

    Example:
        >>> import nerve
        >>> from nerve.utils.data import SubsetRandomSampler
        >>> _ = nerve.manual_seed(0)
        >>> sorted(SubsetRandomSampler([10, 20, 30]))  # the validation rows, shuffled
        [10, 20, 30]
    """

    def __init__(self, indices: Sequence[int], generator: Generator | None = None) -> None:
        self._indices, self.generator = np.asarray(indices, dtype=np.int64), generator

    def indices(self) -> np.ndarray:
        return self._indices[numpy_generator(self.generator).permutation(len(self._indices))]

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices().tolist())

    def __len__(self) -> int:
        return len(self._indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probability proportional to ``weights`` — a remedy
    for class imbalance: give rare classes larger weights.

    Example:
        >>> from nerve.utils.data import WeightedRandomSampler
        >>> sampler = WeightedRandomSampler([0.1, 0.9], num_samples=5)
        >>> len(list(sampler))
        5
    """

    def __init__(
        self,
        weights: Sequence[float] | Tensor,
        num_samples: int,
        replacement: bool = True,
        generator: Generator | None = None,
    ) -> None:
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError(
                f"num_samples should be a positive integer value, but got num_samples={num_samples}"
            )
        array = np.asarray(
            weights.__array__() if isinstance(weights, Tensor) else weights, dtype=np.float64
        )
        if array.ndim != 1:
            raise ValueError(
                f"weights should be a 1d sequence but given weights have shape {array.shape}"
            )
        if (array < 0).any() or not np.isfinite(array).all() or array.sum() <= 0:
            raise ValueError("weights must be finite, non-negative, and not all zero")
        if not replacement and num_samples > (array > 0).sum():
            raise RuntimeError(
                "cannot sample n_sample > prob_dist.size(-1) samples without replacement"
            )
        self.weights, self.num_samples, self.replacement = array, num_samples, replacement
        self.generator = generator

    def indices(self) -> np.ndarray:
        p = self.weights / self.weights.sum()
        rng = numpy_generator(self.generator)
        return rng.choice(len(p), size=self.num_samples, replace=self.replacement, p=p)

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices().tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Group the indices of ``sampler`` into lists of ``batch_size``.

    Example:
        >>> from nerve.utils.data import BatchSampler, SequentialSampler
        >>> list(BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=False))
        [[0, 1], [2, 3], [4]]
    """

    def __init__(self, sampler: Sampler | Iterable[int], batch_size: int, drop_last: bool) -> None:
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(
                f"batch_size should be a positive integer value, but got batch_size={batch_size}"
            )
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, drop_last

    def __iter__(self) -> Iterator[list[int]]:
        batch: list[int] = []
        for index in self.sampler:
            batch.append(int(index))
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)  # type: ignore[arg-type]
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
