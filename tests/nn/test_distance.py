"""F.normalize, F.cosine_similarity and F.pairwise_distance against torch 2.13 (values and
gradients, float64 and float32, broadcasting) and by finite differences (second order too)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")
F = torch.nn.functional

import nerve  # noqa: E402
from nerve.nn import functional_distance as D  # noqa: E402
from parity import DTYPE_IDS, DTYPES, check_function, gradgradcheck  # noqa: E402


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**16), p=st.sampled_from([1.0, 2.0, 3.0]), dim=st.integers(-2, 1))
def test_match_torch(dtype, seed, p, dim):
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    check_function(D.normalize, F.normalize, [a], dtype, p=p, dim=dim)
    check_function(D.cosine_similarity, F.cosine_similarity, [a, b], dtype, grads=(0, 1), dim=dim)
    check_function(D.pairwise_distance, F.pairwise_distance, [a, b], dtype, grads=(0, 1), p=p)
    check_function(
        D.pairwise_distance, F.pairwise_distance, [a, b[0]], dtype, grads=(0, 1), keepdim=True
    )
    check_function(
        D.cosine_similarity, F.cosine_similarity, [a[:, None], b[None]], dtype, grads=(0, 1), dim=-1
    )


def test_zero_vectors_follow_torch():
    zeros = np.zeros((2, 3))
    check_function(D.normalize, F.normalize, [zeros])
    check_function(D.pairwise_distance, F.pairwise_distance, [zeros, zeros], grads=(0, 1))


def test_second_order_by_finite_differences():
    rng = np.random.default_rng(0)
    a = nerve.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    b = nerve.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    assert gradgradcheck(lambda x: D.normalize(x, dim=1), [a])
    assert gradgradcheck(lambda x, y: D.cosine_similarity(x, y), [a, b])
    assert gradgradcheck(lambda x, y: D.pairwise_distance(x, y, p=3.0), [a, b])


def test_errors_match_torch():
    with pytest.raises(RuntimeError):
        F.cosine_similarity(torch.ones(2, 3), torch.ones(2, 4))
    with pytest.raises(RuntimeError, match="cannot be broadcast"):
        D.cosine_similarity(nerve.ones(2, 3), nerve.ones(2, 4))
    out = nerve.zeros(1, 2)
    assert D.normalize(nerve.tensor([[3.0, 4.0]]), out=out) is out
    assert out.tolist() == [[0.6000000238418579, 0.800000011920929]]
