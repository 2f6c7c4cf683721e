"""Datasets (TensorDataset, Subset, ConcatDataset, random_split) and samplers against
torch.utils.data: deterministic ones give the same indices, random ones are checked by
their statistics and by reproducibility."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nerve  # noqa: E402
from nerve.utils.data import (  # noqa: E402
    BatchSampler,
    ConcatDataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    random_split,
)

TD = torch.utils.data


def test_tensor_dataset():
    x, y = nerve.arange(12).reshape(6, 2), nerve.tensor([0, 1, 0, 1, 1, 0])
    ds = TensorDataset(x, y)
    assert len(ds) == 6
    a, b = ds[2]
    assert a.tolist() == [4, 5] and b.item() == 0
    assert ds[1:3][0].tolist() == [[2, 3], [4, 5]]
    with pytest.raises(ValueError, match="Size mismatch"):
        TensorDataset(x, nerve.zeros(5))
    with pytest.raises(TypeError, match="tensors"):
        TensorDataset(x, [1, 2, 3, 4, 5, 6])


def test_subset_and_concat_dataset_like_torch():
    data = list(range(10))
    ours, theirs = Subset(data, [7, 2, 5]), TD.Subset(data, [7, 2, 5])
    assert len(ours) == 3 and [ours[i] for i in range(3)] == [theirs[i] for i in range(3)]
    cat, tcat = (
        ConcatDataset([data[:4], ours, data[8:]]),
        TD.ConcatDataset([data[:4], theirs, data[8:]]),
    )
    assert len(cat) == len(tcat) == 9
    assert cat.cumulative_sizes == tcat.cumulative_sizes
    assert [cat[i] for i in range(-9, 9)] == [tcat[i] for i in range(-9, 9)]
    with pytest.raises(ValueError, match="exceed dataset length"):
        cat[-10]
    with pytest.raises(ValueError, match="empty"):
        ConcatDataset([])
    both = TensorDataset(nerve.zeros(2)) + TensorDataset(nerve.ones(3))
    assert isinstance(both, ConcatDataset) and len(both) == 5 and both[4][0].item() == 1


@pytest.mark.parametrize(
    "n, lengths",
    [
        (10, [3, 7]),
        (10, [0.8, 0.2]),
        (11, [0.8, 0.2]),
        (7, [0.5, 0.25, 0.25]),
        (10, [0.33, 0.33, 0.34]),
        (101, [0.1] * 10),
        (5, [1.0]),
    ],
)
def test_random_split_lengths_equal_torchs(n, lengths):
    ours = random_split(list(range(n)), lengths, generator=nerve.Generator().manual_seed(0))
    theirs = TD.random_split(list(range(n)), lengths, generator=torch.Generator().manual_seed(0))
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    indices = [i for subset in ours for i in subset.indices]
    assert sorted(indices) == list(range(n))  # disjoint and complete
    assert all(isinstance(s, Subset) for s in ours)


def test_random_split_is_reproducible_and_random():
    first = random_split(range(20), [10, 10], generator=nerve.Generator().manual_seed(1))
    again = random_split(range(20), [10, 10], generator=nerve.Generator().manual_seed(1))
    other = random_split(range(20), [10, 10], generator=nerve.Generator().manual_seed(2))
    assert first[0].indices == again[0].indices != other[0].indices
    assert first[0].indices != list(range(10))
    nerve.manual_seed(4)
    a = random_split(range(20), [0.5, 0.5])[0].indices
    nerve.manual_seed(4)
    assert random_split(range(20), [0.5, 0.5])[0].indices == a
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(range(10), [3, 3])


def test_sequential_and_batch_samplers_equal_torchs():
    assert list(SequentialSampler(range(5))) == list(TD.SequentialSampler(range(5)))
    assert len(SequentialSampler(range(5))) == 5
    for batch_size in (1, 2, 3, 7):
        for drop_last in (False, True):
            ours = BatchSampler(SequentialSampler(range(7)), batch_size, drop_last)
            theirs = TD.BatchSampler(TD.SequentialSampler(range(7)), batch_size, drop_last)
            assert list(ours) == list(theirs) and len(ours) == len(theirs)
    assert list(BatchSampler([4, 2, 9], 2, False)) == [[4, 2], [9]]
    with pytest.raises(ValueError, match="batch_size"):
        BatchSampler(range(3), 0, False)


def test_random_sampler_permutation_and_reproducibility():
    g = nerve.Generator().manual_seed(0)
    sampler = RandomSampler(range(50), generator=g)
    first, second = list(sampler), list(sampler)
    assert sorted(first) == sorted(second) == list(range(50)) and first != second
    assert len(sampler) == 50
    nerve.manual_seed(3)
    a = list(RandomSampler(range(50)))
    nerve.manual_seed(3)
    assert list(RandomSampler(range(50))) == a


def test_random_sampler_num_samples_and_replacement():
    nerve.manual_seed(0)
    more = list(RandomSampler(range(10), num_samples=25))
    assert len(more) == 25 and sorted(more[:10]) == list(range(10))  # whole permutations first
    assert sorted(more[10:20]) == list(range(10))
    fewer = list(RandomSampler(range(10), num_samples=4))
    assert len(fewer) == 4 and len(set(fewer)) == 4
    draws = np.array(list(RandomSampler(range(5), replacement=True, num_samples=20_000)))
    counts = np.bincount(draws, minlength=5)
    assert len(RandomSampler(range(5), replacement=True, num_samples=7)) == 7
    # uniform: each count is Binomial(20000, 1/5): within 5 standard deviations
    assert np.all(np.abs(counts - 4000) < 5 * math.sqrt(20_000 * 0.2 * 0.8))
    with pytest.raises(ValueError, match="num_samples"):
        RandomSampler(range(5), num_samples=0)


def test_subset_random_sampler():
    g = nerve.Generator().manual_seed(0)
    sampler = SubsetRandomSampler([3, 8, 1, 9], generator=g)
    orders = [list(sampler) for _ in range(5)]
    assert all(sorted(o) == [1, 3, 8, 9] for o in orders) and len(sampler) == 4
    assert len({tuple(o) for o in orders}) > 1


def test_weighted_random_sampler_statistics():
    weights = [1.0, 3.0, 0.0, 6.0]
    sampler = WeightedRandomSampler(weights, 40_000, generator=nerve.Generator().manual_seed(0))
    draws = np.array(list(sampler))
    assert len(draws) == len(sampler) == 40_000
    counts = np.bincount(draws, minlength=4)
    assert counts[2] == 0
    for count, p in zip(counts, np.array(weights) / 10):
        assert abs(count - 40_000 * p) <= 5 * math.sqrt(40_000 * p * (1 - p)) + 1e-9
    # without replacement: distinct indices, never a zero-weight one
    unique = list(WeightedRandomSampler(nerve.tensor(weights), 3, replacement=False))
    assert sorted(unique) == [0, 1, 3]
    with pytest.raises(RuntimeError, match="without replacement"):
        WeightedRandomSampler(weights, 4, replacement=False)
    with pytest.raises(ValueError, match="num_samples"):
        WeightedRandomSampler(weights, 0)
    with pytest.raises(ValueError, match="non-negative"):
        WeightedRandomSampler([1.0, -1.0], 2)


def test_weighted_sampler_in_a_dataloader_balances_classes():
    y = nerve.tensor([0] * 90 + [1] * 10)
    class_weight = 1.0 / np.bincount(y.numpy())
    sampler = WeightedRandomSampler(class_weight[y.numpy()].tolist(), 2000)
    nerve.manual_seed(0)
    loader = nerve.utils.data.DataLoader(TensorDataset(y), batch_size=100, sampler=sampler)
    labels = np.concatenate([batch[0].numpy() for batch in loader])
    assert len(labels) == 2000 and abs(labels.mean() - 0.5) < 0.06
