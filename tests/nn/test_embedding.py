"""F.embedding and nn.Embedding against torch 2.13: values and weight gradients (padding_idx,
scale_grad_by_freq, repeated indices), max_norm's in-place renormalisation, initialisation,
finite differences of first and second order (the two ops Embedding and EmbeddingBackward),
and torch's errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import nerve
import nerve.nn.functional as F
from nerve import nn

torch = pytest.importorskip("torch")

from parity import (  # noqa: E402
    DTYPE_IDS,
    DTYPES,
    check_function,
    check_module,
    check_second_order,
    close,
    gradgradcheck,
)

TF = torch.nn.functional
RNG = np.random.default_rng(0)
INDICES = np.array([[1, 2, 2, 0], [4, 1, 1, 1]])


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize(
    "options",
    [{}, {"padding_idx": 1}, {"padding_idx": -1}, {"scale_grad_by_freq": True, "padding_idx": 2}],
    ids=["plain", "padding", "negative-padding", "frequency"],
)
def test_functional_matches_torch(options: dict[str, Any], dtype: Any) -> None:
    weight = RNG.standard_normal((5, 3))
    check_function(F.embedding, TF.embedding, [INDICES, weight], dtype, grads=(1,), **options)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_module_matches_torch(dtype: Any) -> None:
    ours, theirs = nn.Embedding(6, 4, padding_idx=0), torch.nn.Embedding(6, 4, padding_idx=0)
    ours.to(nerve.float64 if dtype == np.float64 else nerve.float32)
    theirs.to(torch.float64 if dtype == np.float64 else torch.float32)
    from parity import copy_parameters

    copy_parameters(ours, theirs)
    out_n = ours(nerve.tensor(INDICES))
    out_t = theirs(torch.tensor(INDICES))
    close(out_n, out_t, dtype, "output")
    g = RNG.standard_normal(tuple(out_t.shape)).astype(dtype)
    out_n.backward(nerve.tensor(g))
    out_t.backward(torch.tensor(g))
    close(ours.weight.grad, theirs.weight.grad, dtype, "weight gradient")
    assert repr(ours) == repr(theirs)


def test_module_through_check_module() -> None:
    # an Embedding followed by a Linear, so the harness's input is a float tensor
    class Model(nerve.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.table = nn.Embedding(5, 3, padding_idx=4)
            self.out = nn.Linear(3, 2)

        def forward(self, x: Any) -> Any:
            return self.out(self.table((x * 0).long() + nerve.tensor(INDICES)))

    class TorchModel(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.table = torch.nn.Embedding(5, 3, padding_idx=4)
            self.out = torch.nn.Linear(3, 2)

        def forward(self, x: Any) -> Any:
            return self.out(self.table((x * 0).long() + torch.tensor(INDICES)))

    check_module(Model(), TorchModel(), np.zeros(INDICES.shape), input_grad=False)


def test_max_norm_renormalises_the_rows_used_in_place() -> None:
    weight = RNG.standard_normal((5, 3)) * 3
    for norm_type in (2.0, 1.0):
        wn, wt = nerve.tensor(weight.copy()), torch.tensor(weight.copy())
        out_n = F.embedding(nerve.tensor(INDICES[:, :2]), wn, max_norm=1.5, norm_type=norm_type)
        out_t = TF.embedding(torch.tensor(INDICES[:, :2]), wt, max_norm=1.5, norm_type=norm_type)
        close(out_n, out_t, np.float64, "output")
        close(wn, wt, np.float64, "weight after renormalisation")
        assert np.allclose(wn.numpy()[3], weight[3])  # a row not looked up is left alone


def test_initialisation_and_from_pretrained() -> None:
    table = nn.Embedding(2000, 50, padding_idx=3)
    values = table.weight.detach().numpy()
    assert np.all(values[3] == 0)
    rest = np.delete(values, 3, axis=0)
    assert abs(rest.mean()) < 0.01 and abs(rest.std() - 1) < 0.01  # N(0, 1)
    pretrained = nerve.tensor(RNG.standard_normal((4, 2)))
    frozen = nn.Embedding.from_pretrained(pretrained)
    assert not frozen.weight.requires_grad
    assert np.array_equal(frozen(nerve.tensor([2])).numpy(), pretrained.numpy()[[2]])
    assert nn.Embedding.from_pretrained(pretrained, freeze=False).weight.requires_grad


def test_finite_differences_first_and_second_order() -> None:
    weight = nerve.tensor(RNG.standard_normal((5, 3)), requires_grad=True)
    idx = nerve.tensor(INDICES)

    def fn(w: Any) -> Any:
        return F.embedding(idx, w, padding_idx=2) ** 2

    assert gradgradcheck(fn, [weight])


@pytest.mark.parametrize(
    "options", [{"padding_idx": 2}, {"scale_grad_by_freq": True, "padding_idx": 1}]
)
def test_second_order_matches_torch(options: dict[str, Any]) -> None:
    # with scale_grad_by_freq the gradient is a scaled one by design; torch's second
    # derivative (which nerve follows) scales it once, as the first derivative does
    weights = RNG.standard_normal(INDICES.shape + (3,))

    def fn(lib: Any, w: Any) -> Any:
        functional = F if lib is nerve else TF
        out = functional.embedding(lib.tensor(INDICES), w, **options)
        return ((out**2) * lib.tensor(weights)).sum()

    check_second_order(fn, RNG.standard_normal((5, 3)), RNG.standard_normal((5, 3)))


def test_errors_match_torch() -> None:
    weight_n, weight_t = nerve.zeros(5, 3), torch.zeros(5, 3)
    with pytest.raises(RuntimeError, match="Expected tensor for argument #1 'indices'"):
        F.embedding(nerve.zeros(2), weight_n)
    with pytest.raises(RuntimeError, match="Expected tensor for argument #1 'indices'"):
        TF.embedding(torch.zeros(2), weight_t)
    with pytest.raises(IndexError, match="index out of range in self"):
        F.embedding(nerve.tensor([5]), weight_n)
    with pytest.raises(IndexError, match="index out of range in self"):
        TF.embedding(torch.tensor([5]), weight_t)
    for lib in (nn, torch.nn):
        with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
            lib.Embedding(5, 3, padding_idx=5)
        with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
            lib.Embedding(5, 3, padding_idx=-6)
