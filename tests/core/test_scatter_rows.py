"""ops/index.rows_summed_at: rows of values summed at integer rows, by sorting for many values
and by NumPy's add.at for few: the same sums (to rounding) as add.at, negative rows, errors
for rows out of range; and the gradients that use it (x[indices], Embedding) against torch on
sizes that take the sorted way."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nerve
from nerve.ops import index as index_module
from nerve.ops.index import MIN_SORTED_VALUES, rows_summed_at


@settings(max_examples=60, deadline=None)
@given(
    rows=st.integers(1, 300),
    count=st.integers(2, 400),
    width=st.sampled_from([1, 3, 16]),
    seed=st.integers(0, 2**16),
    dtype=st.sampled_from([np.float32, np.float64]),
    key_dtype=st.sampled_from([np.int8, np.int16, np.uint8, np.int64]),
    sorted_way=st.booleans(),
)
def test_rows_summed_at_matches_add_at(
    rows, count, width, seed, dtype, key_dtype, sorted_way
) -> None:
    rng = np.random.default_rng(seed)
    info = np.iinfo(key_dtype)
    keys = rng.integers(max(-rows, info.min), min(rows, info.max + 1), count).astype(key_dtype)
    values = rng.standard_normal((count, width)).astype(dtype)
    expected = np.zeros((rows, width), dtype)
    np.add.at(expected, keys, values)
    with pytest.MonkeyPatch.context() as patch:
        if sorted_way:  # (else the threshold decides, as in use)
            patch.setattr(index_module, "MIN_SORTED_VALUES", 0)
        got = rows_summed_at(np, (rows, width), keys, values)
    assert got.dtype == dtype and got.shape == (rows, width)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_rows_summed_at_sorts_many_values_and_checks_their_rows() -> None:
    rng = np.random.default_rng(0)
    count = MIN_SORTED_VALUES
    keys = rng.integers(0, 7, count)
    values = rng.standard_normal((count, 1))
    exact = np.zeros((7, 1))
    np.add.at(exact, keys, values)
    np.testing.assert_allclose(rows_summed_at(np, (7, 1), keys, values), exact, rtol=1e-12)
    with pytest.raises(IndexError):
        rows_summed_at(np, (7, 1), np.where(keys == 3, 7, keys), values)
    with pytest.raises(IndexError):
        rows_summed_at(np, (7, 1), np.where(keys == 3, -8, keys), values)


def test_large_lookup_gradients_match_torch() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    table = rng.standard_normal((100, 64)).astype(np.float32)
    indices = rng.integers(0, 100, (64, 40))
    upstream = rng.standard_normal((64, 40, 64)).astype(np.float32)
    ours = nerve.nn.Embedding.from_pretrained(nerve.tensor(table), freeze=False)
    theirs = torch.nn.Embedding.from_pretrained(torch.tensor(table), freeze=False)
    ours(nerve.tensor(indices)).backward(nerve.tensor(upstream))
    theirs(torch.tensor(indices)).backward(torch.tensor(upstream))
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), atol=2e-5)

    x = nerve.tensor(table, requires_grad=True)
    xt = torch.tensor(table, requires_grad=True)
    picked = rng.integers(-100, 100, 500)
    x[nerve.tensor(picked)].backward(nerve.tensor(upstream[0, :1].repeat(500, 0)))
    xt[torch.tensor(picked)].backward(torch.tensor(upstream[0, :1].repeat(500, 0)))
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), atol=2e-5)
