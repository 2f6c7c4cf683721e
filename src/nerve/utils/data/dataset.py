"""Datasets: "defining a dataset" — anything with ``__getitem__`` and ``__len__``."""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterator, Sequence
from typing import Any, Generic, TypeVar

from ...random import Generator
from ...tensor import Tensor

T = TypeVar("T")


class Dataset(Generic[T]):
    """Base class of map-style data sets: subclasses define ``__getitem__`` and ``__len__``.

    Example:
        >>> import nerve
        >>> from nerve.utils.data import DataLoader, Dataset
        >>> class Squares(Dataset):
        ...     def __len__(self):
        ...         return 4
        ...     def __getitem__(self, i):
        ...         return nerve.tensor([float(i)]), nerve.tensor(float(i * i))
        >>> x, y = next(iter(DataLoader(Squares(), batch_size=4)))
        >>> x.shape, y
        (nerve.Size([4, 1]), tensor([0., 1., 4., 9.]))
    """

    def __getitem__(self, index: int) -> T:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __add__(self, other: Dataset[T]) -> ConcatDataset[T]:
        return ConcatDataset([self, other])


class IterableDataset(Dataset[T]):
    """Base class of stream-style data sets: subclasses define ``__iter__``.

    A DataLoader reads such a set in its own order (no sampler, no shuffle), batching as
    it goes: for data that arrive as a stream, or that are too big to index.

    Example:
        >>> import nerve
        >>> from nerve.utils.data import DataLoader, IterableDataset
        >>> class Countdown(IterableDataset):
        ...     def __iter__(self):
        ...         return iter(nerve.tensor(float(n)) for n in range(5, 0, -1))
        >>> [batch.tolist() for batch in DataLoader(Countdown(), batch_size=2)]
        [[5.0, 4.0], [3.0, 2.0], [1.0]]
    """

    def __iter__(self) -> Iterator[T]:
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")


class TensorDataset(Dataset[tuple[Tensor, ...]]):
    """Samples are rows of the given tensors (all with the same first dimension).

    Example:
        >>> import nerve
        >>> from nerve.utils.data import TensorDataset
        >>> ds = TensorDataset(nerve.zeros(4, 2), nerve.ones(4))
        >>> len(ds), ds[0][1]
        (4, tensor(1.))
    """

    def __init__(self, *tensors: Tensor) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        for t in tensors:
            if not isinstance(t, Tensor):
                raise TypeError(f"TensorDataset takes tensors, got {type(t).__name__}")
        sizes = [t.shape[0] if t.dim() else None for t in tensors]
        if None in sizes or len(set(sizes)) != 1:
            shapes = ", ".join(str(list(t.shape)) for t in tensors)
            raise ValueError(
                "Size mismatch between tensors: every tensor needs the same first "
                f"dimension, got {shapes}"
            )
        self.tensors = tensors

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class Subset(Dataset[T]):
    """The samples of ``dataset`` at ``indices``.

    Example:
        >>> import nerve
        >>> from nerve.utils.data import Subset, TensorDataset
        >>> ds = TensorDataset(nerve.arange(10))
        >>> part = Subset(ds, [0, 2, 4])
        >>> len(part), part[1]
        (3, (tensor(2),))
    """

    def __init__(self, dataset: Dataset[T], indices: Sequence[int]) -> None:
        self.dataset, self.indices = dataset, list(indices)

    def __getitem__(self, index: Any) -> T:
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]  # type: ignore[index]
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset[T]):
    """Several data sets one after another.

    Example:
        >>> import nerve
        >>> from nerve.utils.data import ConcatDataset, TensorDataset
        >>> both = ConcatDataset([TensorDataset(nerve.zeros(3)), TensorDataset(nerve.ones(2))])
        >>> len(both), both[3]
        (5, (tensor(1.),))
    """

    def __init__(self, datasets: Sequence[Dataset[T]]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("datasets should not be an empty iterable")
        self.cumulative_sizes: list[int] = []
        total = 0
        for d in self.datasets:
            total += len(d)  # type: ignore[arg-type]
            self.cumulative_sizes.append(total)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int) -> T:
        if index < 0:
            if -index > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            index += len(self)
        which = bisect.bisect_right(self.cumulative_sizes, index)
        offset = index - (self.cumulative_sizes[which - 1] if which else 0)
        return self.datasets[which][offset]


def random_split(
    dataset: Dataset[T], lengths: Sequence[int | float], generator: Generator | None = None
) -> list[Subset[T]]:
    """Split into non-overlapping random subsets of the given lengths, or fractions summing to 1
    (remainders go round-robin to the first subsets, as torch does).

    Example:
        >>> import nerve
        >>> from nerve.utils.data import TensorDataset, random_split
        >>> train, val = random_split(TensorDataset(nerve.arange(10)), [0.8, 0.2])
        >>> len(train), len(val)
        (8, 2)
    """
    from ...creation import randperm

    total = len(dataset)  # type: ignore[arg-type]
    lengths = list(lengths)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        counts = [int(math.floor(total * f)) for f in lengths]
        for i in range(total - sum(counts)):
            counts[i % len(counts)] += 1
        lengths = counts
    if sum(lengths) != total:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    order = randperm(total, generator=generator).tolist()
    subsets, start = [], 0
    for length in lengths:
        subsets.append(Subset(dataset, order[start : start + int(length)]))
        start += int(length)
    return subsets
