"""F.embedding_bag and nn.EmbeddingBag against torch 2.13: values and the gradients of the
weight and of per_sample_weights (float64, float32) for sum/mean/max, offsets (empty bags
included) and 2-D input, include_last_offset, padding_idx; the module's parameters, repr and
from_pretrained; torch's errors; finite differences."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nerve  # noqa: E402
import nerve.nn.functional as F  # noqa: E402
from nerve import nn  # noqa: E402
from parity import DTYPE_IDS, DTYPES, check_function, gradcheck  # noqa: E402

TF = torch.nn.functional
RNG = np.random.default_rng(0)
WEIGHT = RNG.standard_normal((7, 3))
IDS = np.array([1, 2, 4, 5, 4, 3, 2, 6, 0, 1])
OFFSETS = np.array([0, 3, 3, 7])  # an empty bag at 1
IDS_2D = RNG.integers(0, 7, (4, 3))
PSW = RNG.standard_normal(10)


def _both(fn: Any, tf: Any, **options: Any) -> tuple[Any, Any]:
    """The same call with its options bound, for check_function."""
    return (lambda *a: fn(*a, **options)), (lambda *a: tf(*a, **options))


CASES = [
    ("1d", [IDS, WEIGHT, OFFSETS], {}),
    ("1d-padding", [IDS, WEIGHT, OFFSETS], {"padding_idx": 4}),
    ("1d-last-offset", [IDS, WEIGHT, np.array([0, 3, 3, 7, 10])], {"include_last_offset": True}),
    ("2d", [IDS_2D, WEIGHT], {}),
    ("2d-padding", [IDS_2D, WEIGHT], {"padding_idx": int(IDS_2D[0, 0])}),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("name,inputs,options", CASES, ids=[c[0] for c in CASES])
def test_embedding_bag_matches_torch(name: str, inputs: list, options: dict, mode: str, dtype):
    ours, theirs = _both(F.embedding_bag, TF.embedding_bag, mode=mode, **options)
    check_function(ours, theirs, inputs, dtype, grads=(1,))  # the weight's gradient


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("padding_idx", [None, 2])
def test_per_sample_weights_match_torch(padding_idx: Any, dtype: Any) -> None:
    def ours(i: Any, w: Any, o: Any, p: Any) -> Any:
        return F.embedding_bag(i, w, o, mode="sum", per_sample_weights=p, padding_idx=padding_idx)

    def theirs(i: Any, w: Any, o: Any, p: Any) -> Any:
        return TF.embedding_bag(i, w, o, mode="sum", per_sample_weights=p, padding_idx=padding_idx)

    check_function(ours, theirs, [IDS, WEIGHT, OFFSETS, PSW], dtype, grads=(1, 3))
    psw_2d = RNG.standard_normal(IDS_2D.shape)

    def ours_2d(i: Any, w: Any, p: Any) -> Any:
        return F.embedding_bag(i, w, mode="sum", per_sample_weights=p)

    def theirs_2d(i: Any, w: Any, p: Any) -> Any:
        return TF.embedding_bag(i, w, mode="sum", per_sample_weights=p)

    check_function(ours_2d, theirs_2d, [IDS_2D, WEIGHT, psw_2d], dtype, grads=(1, 2))


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_finite_differences(mode: str) -> None:
    ids, offsets = nerve.tensor(IDS), nerve.tensor(OFFSETS)
    weight = nerve.tensor(WEIGHT, requires_grad=True)
    assert gradcheck(lambda w: F.embedding_bag(ids, w, offsets, mode=mode), (weight,))
    if mode == "sum":
        psw = nerve.tensor(PSW, requires_grad=True)
        assert gradcheck(
            lambda w, p: F.embedding_bag(ids, w, offsets, mode="sum", per_sample_weights=p),
            (weight, psw),
        )


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_module_matches_torch(mode: str) -> None:
    ours = nn.EmbeddingBag(7, 3, mode=mode, padding_idx=-1)
    theirs = torch.nn.EmbeddingBag(7, 3, mode=mode, padding_idx=-1)
    assert repr(ours) == repr(theirs)
    assert ours.padding_idx == 6 and not ours.weight.detach().numpy()[6].any()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.weight.detach().numpy()))
    ids = np.array([6, 1, 2, 6, 3])
    out_n = ours(nerve.tensor(ids), nerve.tensor([0, 2]))
    out_t = theirs(torch.tensor(ids), torch.tensor([0, 2]))
    np.testing.assert_allclose(out_n.detach().numpy(), out_t.detach().numpy(), rtol=1e-6)
    assert repr(nn.EmbeddingBag(5, 2, max_norm=1.0, scale_grad_by_freq=True)) == repr(
        torch.nn.EmbeddingBag(5, 2, max_norm=1.0, scale_grad_by_freq=True)
    )


def test_from_pretrained_and_max_norm() -> None:
    weight = [[1, 2.3, 3], [4, 5.1, 6.3]]
    ours = nn.EmbeddingBag.from_pretrained(nerve.tensor(weight))
    theirs = torch.nn.EmbeddingBag.from_pretrained(torch.tensor(weight))
    assert not ours.weight.requires_grad
    out_n, out_t = ours(nerve.tensor([[1, 0]])), theirs(torch.tensor([[1, 0]]))
    np.testing.assert_allclose(out_n.numpy(), out_t.numpy(), rtol=1e-6)
    w_n, w_t = nerve.tensor(WEIGHT * 3), torch.tensor(WEIGHT * 3)
    out_n = F.embedding_bag(nerve.tensor(IDS), w_n, nerve.tensor(OFFSETS), max_norm=1.0)
    out_t = TF.embedding_bag(torch.tensor(IDS), w_t, torch.tensor(OFFSETS), max_norm=1.0)
    np.testing.assert_allclose(out_n.numpy(), out_t.numpy(), rtol=1e-12)
    np.testing.assert_allclose(w_n.numpy(), w_t.numpy(), rtol=1e-12)  # renormed in place


@pytest.mark.parametrize("lib", ["nerve", "torch"])
def test_errors_match_torch(lib: str) -> None:
    f = F.embedding_bag if lib == "nerve" else TF.embedding_bag
    t = nerve.tensor if lib == "nerve" else torch.tensor
    ids, w = t(IDS), t(WEIGHT)
    with pytest.raises(ValueError, match="if input is 2D, then offsets has to be None"):
        f(t(IDS_2D), w, t([0, 1]))
    with pytest.raises(ValueError, match="offsets has to be a 1D Tensor but got None"):
        f(ids, w)
    with pytest.raises(ValueError, match="input has to be 1D or 2D Tensor"):
        f(t(np.zeros((2, 2, 2), int)), w)
    with pytest.raises(ValueError, match="weight has to be a 2D Tensor"):
        f(ids, t(PSW), t(OFFSETS))
    with pytest.raises(ValueError, match="mode has to be one of sum, mean or max"):
        f(ids, w, t(OFFSETS), mode="min")
    with pytest.raises(ValueError, match="max mode does not support scaling the gradient"):
        f(ids, w, t(OFFSETS), mode="max", scale_grad_by_freq=True)
    with pytest.raises(NotImplementedError, match="only supported for mode='sum'"):
        f(ids, w, t(OFFSETS), per_sample_weights=t(PSW))
    with pytest.raises(ValueError, match="must have the same shape as the input"):
        f(ids, w, t(OFFSETS), mode="sum", per_sample_weights=t(PSW[:3]))
    with pytest.raises(RuntimeError, match=r"offsets\[0\] has to be 0"):
        f(ids, w, t([2, 3]))
    module = nn if lib == "nerve" else torch.nn
    with pytest.raises(AssertionError, match="padding_idx must be within num_embeddings"):
        module.EmbeddingBag(5, 2, padding_idx=5)
