"""The margin and embedding losses (nn/functional_margin.py and their layers) against torch
2.13: values and the gradients of every differentiable input in float64 and float32, for each
reduction; reprs; finite differences of first and second order; torch's errors."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nerve  # noqa: E402
import nerve.nn.functional as F  # noqa: E402
from nerve import nn  # noqa: E402
from parity import DTYPE_IDS, DTYPES, check_function, gradcheck, gradgradcheck  # noqa: E402

TF = torch.nn.functional
RNG = np.random.default_rng(0)
A, B, C = (RNG.standard_normal((6, 4)) for _ in range(3))
SIGNS = np.where(RNG.random(6) > 0.5, 1.0, -1.0)
SIGN_GRID = np.where(RNG.random((6, 4)) > 0.5, 1.0, -1.0)
LABELS = (RNG.random((6, 4)) > 0.5).astype(np.float64)
WEIGHT = RNG.random(4) + 0.5

# (function, its array inputs, which of them get a gradient, options)
CASES = [
    ("margin_ranking_loss", [A[:, 0], B[:, 0], SIGNS], (0, 1), {"margin": 0.3}),
    ("hinge_embedding_loss", [np.abs(A), SIGN_GRID], (0,), {}),
    ("hinge_embedding_loss", [np.abs(A), SIGN_GRID], (0,), {"margin": 2.0}),
    ("soft_margin_loss", [A, SIGN_GRID], (0,), {}),
    ("cosine_embedding_loss", [A, B, SIGNS], (0, 1), {}),
    ("cosine_embedding_loss", [A, B, SIGNS], (0, 1), {"margin": 0.2}),
    ("cosine_embedding_loss", [A[0], B[0], SIGNS[0]], (0, 1), {}),
    ("triplet_margin_loss", [A, B, C], (0, 1, 2), {}),
    ("triplet_margin_loss", [A, B, C], (0, 1, 2), {"margin": 0.5, "p": 1.0, "swap": True}),
    ("multilabel_soft_margin_loss", [A, LABELS], (0,), {}),
    ("multilabel_soft_margin_loss", [A, LABELS, WEIGHT], (0,), {}),
]
IDS = [f"{name}-{options}-{len(inputs[0].shape)}d" for name, inputs, _, options in CASES]


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name,inputs,grads,options", CASES, ids=IDS)
def test_losses_match_torch(name, inputs, grads, options, reduction, dtype):
    check_function(
        getattr(F, name), getattr(TF, name), inputs, dtype, grads, reduction=reduction, **options
    )


LAYERS = [
    ("MarginRankingLoss", {"margin": 0.3}, [A[:, 0], B[:, 0], SIGNS]),
    ("HingeEmbeddingLoss", {"margin": 2.0}, [np.abs(A), SIGN_GRID]),
    ("SoftMarginLoss", {"reduction": "sum"}, [A, SIGN_GRID]),
    ("CosineEmbeddingLoss", {"margin": 0.2}, [A, B, SIGNS]),
    ("TripletMarginLoss", {"p": 3.0, "swap": True}, [A, B, C]),
    ("MultiLabelSoftMarginLoss", {}, [A, LABELS]),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name,options,inputs", LAYERS, ids=[name for name, _, _ in LAYERS])
def test_layers_match_torch(name, options, inputs, dtype):
    ours, theirs = getattr(nn, name)(**options), getattr(torch.nn, name)(**options)
    assert repr(ours) == repr(theirs)
    check_function(ours, theirs, inputs, dtype, grads=(0,))


def test_weighted_multilabel_layer():
    ours = nn.MultiLabelSoftMarginLoss(weight=nerve.tensor(WEIGHT))
    theirs = torch.nn.MultiLabelSoftMarginLoss(weight=torch.tensor(WEIGHT))
    check_function(ours, theirs, [A, LABELS], np.float64, grads=(0,))


@pytest.mark.parametrize("name,inputs,grads,options", CASES[::2], ids=IDS[::2])
def test_finite_differences_first_and_second_order(name, inputs, grads, options):
    tensors = [nerve.tensor(a * 1.0, requires_grad=i in grads) for i, a in enumerate(inputs)]

    def fn(*differentiable: nerve.Tensor) -> nerve.Tensor:
        args = list(tensors)
        for i, t in zip(grads, differentiable):
            args[i] = t
        return getattr(F, name)(*args, reduction="sum", **options)

    chosen = [tensors[i] for i in grads]
    assert gradcheck(fn, chosen)
    assert gradgradcheck(fn, chosen)


def test_errors_as_torch():
    for functional, lib in ((F, nerve), (TF, torch)):
        with pytest.raises(RuntimeError, match="same number of dimensions|same dimension"):
            functional.triplet_margin_loss(lib.zeros(2, 3), lib.zeros(3), lib.zeros(2, 3))
        with pytest.raises(RuntimeError, match="All input tensors should have same dimension"):
            functional.margin_ranking_loss(lib.zeros(2, 3), lib.zeros(2, 3), lib.zeros(2))
        for x, target, message in (
            (lib.ones(4), lib.ones(1), "1D target tensor expects 2D input tensors"),
            (lib.ones(2, 4), lib.ones(()), "0D target tensor expects 1D input tensors"),
            (lib.ones(2, 4), lib.ones(2, 2), "multi-target not supported"),
        ):
            with pytest.raises(RuntimeError, match=message):
                functional.cosine_embedding_loss(x, x, target)
