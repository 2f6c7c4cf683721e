"""DataLoader against torch.utils.data.DataLoader: batch order, shuffling (reproducible,
every sample once per epoch), drop_last, batch_size=None, collate functions, and the
TensorDataset fast path against the generic collate path."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nerve  # noqa: E402
from nerve.utils.data import (  # noqa: E402
    BatchSampler,
    DataLoader,
    Dataset,
    SequentialSampler,
    TensorDataset,
    default_collate,
)

N = 23
X = np.arange(N * 3, dtype=np.float32).reshape(N, 3)
Y = np.arange(N) % 4


def _datasets():
    return (
        TensorDataset(nerve.tensor(X), nerve.tensor(Y)),
        torch.utils.data.TensorDataset(torch.tensor(X), torch.tensor(Y)),
    )


class Squares(Dataset):
    """A map-style data set with Python-number samples (the generic collate path)."""

    def __len__(self):
        return 10

    def __getitem__(self, i):
        return {"x": np.full(2, i, dtype=np.float32), "y": i * i, "w": i / 2, "name": f"s{i}"}


def _as_lists(batches):
    return [[np.asarray(t).tolist() for t in batch] for batch in batches]


@pytest.mark.parametrize("batch_size", [1, 5, 23, 50])
@pytest.mark.parametrize("drop_last", [False, True])
def test_order_without_shuffle_equals_torch(batch_size, drop_last):
    ours, theirs = _datasets()
    a = DataLoader(ours, batch_size=batch_size, drop_last=drop_last)
    b = torch.utils.data.DataLoader(theirs, batch_size=batch_size, drop_last=drop_last)
    assert len(a) == len(b)
    batches = list(a)
    assert _as_lists(batches) == _as_lists(b)
    assert all(isinstance(batch, list) and len(batch) == 2 for batch in batches)
    if batches:
        assert batches[0][0].dtype == nerve.float32 and batches[0][1].dtype == nerve.int64


def _epoch_order(loader):
    return [int(row[0]) // 3 for x, _ in loader for row in x.numpy()]


@pytest.mark.parametrize("batch_size", [4, 23])
def test_shuffle_is_a_permutation_each_epoch_and_reproducible(batch_size):
    ours, _ = _datasets()
    nerve.manual_seed(0)
    loader = DataLoader(ours, batch_size=batch_size, shuffle=True)
    first, second = _epoch_order(loader), _epoch_order(loader)
    assert sorted(first) == sorted(second) == list(range(N))  # every sample exactly once
    assert first != second and first != list(range(N))  # a new order each epoch
    nerve.manual_seed(0)
    assert _epoch_order(loader) == first  # nerve.manual_seed makes it reproducible
    a = DataLoader(
        ours, batch_size=batch_size, shuffle=True, generator=nerve.Generator().manual_seed(3)
    )
    b = DataLoader(
        ours, batch_size=batch_size, shuffle=True, generator=nerve.Generator().manual_seed(3)
    )
    nerve.manual_seed(1)
    order_a = _epoch_order(a)
    nerve.manual_seed(2)  # a loader with its own generator ignores the global seed
    assert _epoch_order(b) == order_a


def test_shuffle_with_drop_last_drops_a_random_remainder():
    ours, _ = _datasets()
    loader = DataLoader(ours, batch_size=5, shuffle=True, drop_last=True)
    seen = _epoch_order(loader)
    assert len(seen) == 20 and len(set(seen)) == 20 and len(loader) == 4


def test_tensor_dataset_fast_path_equals_the_generic_collate_path():
    ours, _ = _datasets()
    for kwargs in ({"shuffle": False}, {"shuffle": True}, {"shuffle": True, "drop_last": True}):
        nerve.manual_seed(5)
        fast = list(DataLoader(ours, batch_size=6, **kwargs))
        nerve.manual_seed(5)
        slow = list(DataLoader(ours, batch_size=6, collate_fn=default_collate, **kwargs))
        assert _as_lists(fast) == _as_lists(slow)
        assert [[t.dtype for t in b] for b in fast] == [[t.dtype for t in b] for b in slow]


def test_batches_are_copies_like_torchs():
    """Changing a batch in place must not change the data set (torch's batches are new)."""
    ours, _ = _datasets()
    for shuffle in (False, True):
        for x, _ in DataLoader(ours, batch_size=4, shuffle=shuffle):
            x.mul_(0)
        np.testing.assert_array_equal(ours.tensors[0].numpy(), X)


def test_batch_size_none_yields_single_samples():
    ours, theirs = _datasets()
    a = list(DataLoader(ours, batch_size=None))
    b = list(torch.utils.data.DataLoader(theirs, batch_size=None))
    assert len(a) == N
    assert _as_lists(a) == _as_lists(b)
    assert tuple(a[0][0].shape) == (3,)
    arrays = list(DataLoader([np.ones(2), np.zeros(2)], batch_size=None))
    assert all(isinstance(t, nerve.Tensor) for t in arrays)  # arrays become tensors


def test_custom_collate_fn_and_batch_sampler():
    ours, _ = _datasets()

    def collate(samples):
        xs, ys = zip(*samples)
        return nerve.stack(list(xs)).sum(dim=1), [int(y) for y in ys]

    batches = list(DataLoader(ours, batch_size=10, collate_fn=collate))
    assert [len(b[1]) for b in batches] == [10, 10, 3]
    np.testing.assert_allclose(batches[0][0].numpy(), X[:10].sum(axis=1))
    sampler = BatchSampler(SequentialSampler(range(N)), batch_size=7, drop_last=True)
    loader = DataLoader(ours, batch_sampler=sampler)
    assert len(loader) == 3 and [len(x) for x, _ in loader] == [7, 7, 7]
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(ours, batch_sampler=sampler, batch_size=4)
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(ours, sampler=SequentialSampler(ours), shuffle=True)


def test_generic_dataset_collates_like_torch():
    class TorchSquares(torch.utils.data.Dataset):
        __len__ = Squares.__len__
        __getitem__ = Squares.__getitem__

    ours = list(DataLoader(Squares(), batch_size=4))
    theirs = list(torch.utils.data.DataLoader(TorchSquares(), batch_size=4))
    assert len(ours) == len(theirs) == 3
    for a, b in zip(ours, theirs):
        assert list(a) == list(b)
        assert a["name"] == b["name"]
        for key in ("x", "y", "w"):
            np.testing.assert_array_equal(a[key].numpy(), b[key].numpy())
            assert str(a[key].dtype).removeprefix("nerve.") == str(b[key].dtype).removeprefix(
                "torch."
            )


COLLATE_CASES = {
    "python-floats": [1.5, 2.5],
    "python-ints": [1, 2],
    "bools": [True, False],
    "numpy-float32": [np.float32(1), np.float32(2)],
    "numpy-int32": [np.int32(1), np.int32(2)],
    "numpy-float64": [np.float64(0.5), np.float64(1.5)],
    "numpy-bool": [np.bool_(True), np.bool_(False)],
    "arrays": [np.arange(3, dtype=np.int32), np.arange(3, dtype=np.int32)],
    "float-arrays": [np.ones((2, 2)), np.zeros((2, 2))],
    "tuples": [(1, 2.0, np.ones(2, np.float32)), (3, 4.0, np.zeros(2, np.float32))],
    "lists": [[1, 2], [3, 4]],
    "dicts": [{"a": 1, "b": {"c": 0.5}}, {"a": 2, "b": {"c": 1.5}}],
    "strings": ["a", "b"],
}


def _flat(value):
    if isinstance(value, dict):
        return {k: _flat(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_flat(v) for v in value]
    if hasattr(value, "numpy"):
        return (str(value.dtype).split(".")[-1], np.asarray(value.numpy()).tolist())
    return value


@pytest.mark.parametrize("batch", COLLATE_CASES.values(), ids=COLLATE_CASES.keys())
def test_default_collate_equals_torchs(batch):
    assert _flat(default_collate(batch)) == _flat(torch.utils.data.default_collate(batch))


def test_default_collate_of_tensors_stacks():
    batch = [nerve.ones(2, 3), nerve.zeros(2, 3)]
    out = default_collate(batch)
    assert tuple(out.shape) == (2, 2, 3) and out.dtype == nerve.float32
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="default_collate"):
        default_collate([object(), object()])


def test_iterating_a_plain_list_dataset():
    data = [(np.float32(i), i % 2) for i in range(7)]
    batches = list(DataLoader(data, batch_size=3))
    assert [len(x) for x, _ in batches] == [3, 3, 1]
    assert batches[0][0].dtype == nerve.float32 and batches[0][1].dtype == nerve.int64
