"""poisson_nll_loss, gaussian_nll_loss, bilinear, channel_shuffle and local_response_norm
(and their layers) against torch 2.13: values and the gradients of every differentiable
input in float64 and float32, reprs, finite differences of first and second order, torch's
errors."""

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
X = RNG.standard_normal((5, 4))
RATES = RNG.random((5, 4)) * 3 + 0.1
COUNTS = RNG.integers(0, 6, (5, 4)).astype(np.float64)  # 0 and 1 (no Stirling term) included
VARIANCES = RNG.random((5, 4)) + 0.1
VARIANCES[0, 0] = 1e-9  # below eps: clamped for the loss, the gradient passes as in torch

# (function, its array inputs, which of them get a gradient, options)
CASES = [
    ("poisson_nll_loss", [X, COUNTS], (0, 1), {}),
    ("poisson_nll_loss", [X, COUNTS], (0,), {"full": True}),  # (the counts': below)
    ("poisson_nll_loss", [RATES, COUNTS], (0, 1), {"log_input": False}),
    ("poisson_nll_loss", [RATES, COUNTS], (0,), {"log_input": False, "full": True, "eps": 0.1}),
    ("gaussian_nll_loss", [X, RATES, VARIANCES], (0, 1, 2), {}),
    ("gaussian_nll_loss", [X, RATES, VARIANCES], (0, 1, 2), {"full": True, "eps": 1e-3}),
    ("gaussian_nll_loss", [X, RATES, VARIANCES[:, 0]], (0, 1, 2), {}),  # one per row
    ("gaussian_nll_loss", [X, RATES, VARIANCES[:, :1]], (0, 1, 2), {}),  # a size-1 axis
    ("gaussian_nll_loss", [X, RATES, VARIANCES[:1]], (0, 1, 2), {}),
]
IDS = [f"{name}-{options}-{np.shape(inputs[-1])}" for name, inputs, _, options in CASES]


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name,inputs,grads,options", CASES, ids=IDS)
def test_likelihood_losses_match_torch(name, inputs, grads, options, reduction, dtype):
    check_function(
        getattr(F, name), getattr(TF, name), inputs, dtype, grads, reduction=reduction, **options
    )


def test_the_counts_gradient_with_stirling_s_term():
    """torch's gradient for a count of 0 is NaN (its Stirling term's log(0), masked out of
    the loss but not of the derivative); nerve's is 0, the derivative of the loss it computes
    (and it warns of no log of 0). Elsewhere the two are equal."""
    ours = nerve.tensor(COUNTS, requires_grad=True)
    theirs = torch.tensor(COUNTS, requires_grad=True)
    F.poisson_nll_loss(nerve.tensor(X), ours, full=True, reduction="sum").backward()
    TF.poisson_nll_loss(torch.tensor(X), theirs, full=True, reduction="sum").backward()
    zero = COUNTS == 0
    assert zero.any() and np.isnan(theirs.grad.numpy()[zero]).all()
    np.testing.assert_allclose(ours.grad.numpy()[~zero], theirs.grad.numpy()[~zero], rtol=1e-12)
    np.testing.assert_array_equal(ours.grad.numpy()[zero], -X[zero])  # d(-target * input)


def test_a_number_as_the_variance():
    for var in (0.5, 1e-9):
        check_function(
            lambda x, t, var=var: F.gaussian_nll_loss(x, t, var),
            lambda x, t, var=var: TF.gaussian_nll_loss(x, t, var),
            [X, RATES],
            np.float64,
            (0, 1),
        )


LAYERS = [
    ("PoissonNLLLoss", {"log_input": False, "full": True}, [RATES, COUNTS]),
    ("PoissonNLLLoss", {"reduction": "sum"}, [X, COUNTS]),
    ("GaussianNLLLoss", {"full": True}, [X, RATES, VARIANCES]),
    ("GaussianNLLLoss", {"eps": 0.5, "reduction": "none"}, [X, RATES, VARIANCES]),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name,options,inputs", LAYERS, ids=[n for n, _, _ in LAYERS])
def test_loss_layers_match_torch(name, options, inputs, dtype):
    ours, theirs = getattr(nn, name)(**options), getattr(torch.nn, name)(**options)
    assert repr(ours) == repr(theirs)
    check_function(ours, theirs, inputs, dtype, grads=(0,))


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("batch", [(3,), (2, 3), ()], ids=["rows", "batch-of-rows", "one"])
@pytest.mark.parametrize("bias", [True, False])
def test_bilinear_matches_torch(batch, bias, dtype):
    x1, x2 = RNG.standard_normal((*batch, 4)), RNG.standard_normal((*batch, 5))
    weight, b = RNG.standard_normal((2, 4, 5)), RNG.standard_normal(2)
    inputs = [x1, x2, weight] + ([b] if bias else [])
    check_function(F.bilinear, TF.bilinear, inputs, dtype, grads=tuple(range(len(inputs))))


def test_bilinear_layer():
    nerve.manual_seed(0)
    ours = nn.Bilinear(4, 5, 3)
    theirs = torch.nn.Bilinear(4, 5, 3)
    assert repr(ours) == repr(theirs)
    assert ours.weight.shape == theirs.weight.shape and ours.bias.shape == theirs.bias.shape
    bound = 1 / np.sqrt(4)  # torch's initialisation: uniform in +-1/sqrt(in1_features)
    assert np.abs(ours.weight.detach().numpy()).max() <= bound
    assert np.abs(ours.weight.detach().numpy()).max() > bound * 0.8
    theirs.weight.data = torch.tensor(ours.weight.detach().numpy())
    theirs.bias.data = torch.tensor(ours.bias.detach().numpy())
    x1, x2 = RNG.standard_normal((6, 4)), RNG.standard_normal((6, 5))
    check_function(ours, theirs, [x1, x2], np.float32, grads=(0, 1))
    assert nn.Bilinear(4, 5, 3, bias=False).bias is None


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("shape", [(2, 6, 3), (2, 6, 3, 4), (1, 6, 2, 2, 2)], ids=str)
@pytest.mark.parametrize("groups", [1, 2, 3, 6])
def test_channel_shuffle_matches_torch(shape, groups, dtype):
    check_function(
        F.channel_shuffle,
        TF.channel_shuffle,
        [RNG.standard_normal(shape)],
        dtype,
        (0,),
        groups=groups,
    )
    assert repr(nn.ChannelShuffle(groups)) == repr(torch.nn.ChannelShuffle(groups))


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("shape", [(2, 5, 7), (2, 5, 3, 4), (1, 6, 2, 3, 2)], ids=str)
@pytest.mark.parametrize("size", [1, 2, 3, 5, 8])
def test_local_response_norm_matches_torch(shape, size, dtype):
    options = {"alpha": 0.5, "beta": 0.7, "k": 2.0}
    x = RNG.standard_normal(shape)
    check_function(
        F.local_response_norm, TF.local_response_norm, [x], dtype, (0,), size=size, **options
    )
    ours, theirs = (
        nn.LocalResponseNorm(size, **options),
        torch.nn.LocalResponseNorm(size, **options),
    )
    assert repr(ours) == repr(theirs)
    check_function(ours, theirs, [x], dtype, (0,))


def test_finite_differences_first_and_second_order():
    counts = nerve.tensor(COUNTS)
    x = nerve.tensor(X, requires_grad=True)
    rates = nerve.tensor(RATES, requires_grad=True)
    variances = nerve.tensor(VARIANCES + 0.5, requires_grad=True)
    checks = [
        (lambda x: F.poisson_nll_loss(x, counts, full=True, reduction="sum"), [x]),
        (lambda r: F.poisson_nll_loss(r, counts, log_input=False, reduction="sum"), [rates]),
        (lambda x, v: F.gaussian_nll_loss(x, counts, v, reduction="sum"), [x, variances]),
        (lambda x: F.local_response_norm(x.reshape(1, 5, 4), 3, alpha=0.5, k=2.0), [x]),
        (lambda x: F.channel_shuffle(x.reshape(1, 4, 5), 2), [x]),
    ]
    w = nerve.tensor(RNG.standard_normal((2, 4, 4)), requires_grad=True)
    checks.append((lambda a, b, w: F.bilinear(a, b, w), [x, rates, w]))
    for fn, inputs in checks:
        assert gradcheck(fn, inputs)
        assert gradgradcheck(fn, inputs)


def test_errors_as_torch():
    for functional, lib in ((F, nerve), (TF, torch)):
        x = lib.zeros(3, 4)
        with pytest.raises(ValueError, match="var has negative entry"):
            functional.gaussian_nll_loss(x, x, -lib.ones(3, 4))
        with pytest.raises(ValueError, match="var has negative entry"):
            functional.gaussian_nll_loss(x, x, -1.0)
        with pytest.raises(ValueError, match="var is of incorrect size"):
            functional.gaussian_nll_loss(x, x, lib.ones(2, 4))
        with pytest.raises(ValueError, match="x is not valid"):
            functional.gaussian_nll_loss(x, x, lib.ones(3, 4), reduction="x")
        with pytest.raises(ValueError, match="x is not a valid value for reduction"):
            functional.poisson_nll_loss(x, x, reduction="x")
        with pytest.raises(ValueError, match="Expected 3D or higher dimensionality"):
            functional.local_response_norm(x, 2)
        with pytest.raises(RuntimeError, match="Number of channels must be divisible by groups"):
            functional.channel_shuffle(lib.zeros(2, 6, 3), 4)
        with pytest.raises(RuntimeError, match="must be positive"):
            functional.channel_shuffle(lib.zeros(2, 6, 3), 0)
        with pytest.raises(RuntimeError, match="expects input with > 2 dims"):
            functional.channel_shuffle(lib.zeros(3), 1)
        with pytest.raises(RuntimeError, match="input2 size does not match weight size"):
            functional.bilinear(x, lib.zeros(3, 5), lib.zeros(2, 4, 6))
    empty = nerve.zeros(0, 3, 2)
    assert F.local_response_norm(empty, 2) is empty


MARGIN_CASES = [
    ({}, False),
    ({"p": 2, "margin": 0.5}, False),
    ({}, True),
    ({"p": 2}, True),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("options,weighted", MARGIN_CASES, ids=[str(c) for c in MARGIN_CASES])
def test_multi_margin_loss_matches_torch(options, weighted, reduction, dtype):
    labels = np.array([0, 2, 3, 1, 3])
    inputs = [X, labels] + ([RNG.random(4) + 0.5] if weighted else [])

    def ours(x, y, *weight):
        return F.multi_margin_loss(x, y, weight=weight[0] if weight else None, **options,
                                   reduction=reduction)  # fmt: skip

    def theirs(x, y, *weight):
        return TF.multi_margin_loss(x, y, weight=weight[0] if weight else None, **options,
                                    reduction=reduction)  # fmt: skip

    check_function(ours, theirs, inputs, dtype, grads=(0,))
    check_function(ours, theirs, [X[0], np.array(2)], dtype, grads=(0,))  # one sample


def test_multi_margin_layer_and_errors():
    weight = RNG.random(4) + 0.5
    ours = nn.MultiMarginLoss(p=2, margin=0.7, weight=nerve.tensor(weight))
    theirs = torch.nn.MultiMarginLoss(p=2, margin=0.7, weight=torch.tensor(weight))
    assert repr(ours) == repr(theirs)
    check_function(ours, theirs, [X, np.array([1, 0, 3, 3, 2])], np.float64, grads=(0,))
    assert gradcheck(
        lambda x: F.multi_margin_loss(x, nerve.tensor([1, 0, 3, 3, 2]), p=2),
        [nerve.tensor(X, requires_grad=True)],
    )
    for functional, lib in ((F, nerve), (TF, torch)):
        x = lib.zeros(3, 4)
        with pytest.raises(ValueError, match="only p == 1 and p == 2 supported"):
            functional.multi_margin_loss(x, lib.tensor([0, 1, 2]), p=3)
        with pytest.raises(RuntimeError, match="target out of range"):
            functional.multi_margin_loss(x, lib.tensor([0, 4, 1]))
        with pytest.raises(RuntimeError, match="Expected target size \\[3\\], but got \\[2\\]"):
            functional.multi_margin_loss(x, lib.tensor([0, 1]))
        with pytest.raises(RuntimeError, match="Expected non-empty vector or matrix"):
            functional.multi_margin_loss(lib.zeros(2, 3, 4), lib.tensor([0, 1]))


def test_alpha_dropout():
    """torch's two values for a dropped and a kept zero, SELU's statistics kept (a unit
    Gaussian stays one), the gradient a where kept, the identity in evaluation."""
    zeros_out = F.alpha_dropout(nerve.zeros(2000), 0.5, training=True).numpy()
    theirs = TF.alpha_dropout(torch.zeros(2000), 0.5, training=True).numpy()
    np.testing.assert_allclose(np.unique(zeros_out), np.unique(theirs), rtol=1e-6)
    nerve.manual_seed(0)
    x = nerve.randn(400_000, requires_grad=True)
    out = F.alpha_dropout(x, 0.2, training=True)
    assert abs(float(out.mean())) < 0.01 and abs(float(out.std()) - 1) < 0.01
    out.sum().backward()
    a = 1 / np.sqrt((1.7580993408473766**2 * 0.2 + 1) * 0.8)
    kept = np.isclose(x.grad.numpy(), a)
    assert np.all(kept | (x.grad.numpy() == 0))  # a where kept, 0 where dropped
    assert abs(kept.mean() - 0.8) < 0.01
    layer = nn.AlphaDropout(0.2)
    assert repr(layer) == repr(torch.nn.AlphaDropout(0.2))
    ones = nerve.ones(3)
    assert layer.eval()(ones) is ones and F.alpha_dropout(ones, 0.5) is ones
    np.testing.assert_array_equal(F.alpha_dropout(ones, 1.0, training=True).numpy(), 0)
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        F.alpha_dropout(ones, 1.5, training=True)


LISTS = np.array([[3, 0, -1, 1], [2, 2, 1, -1], [-1, 0, 0, 0], [0, 1, 2, 3], [1, -1, 3, 2]])


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_multilabel_margin_loss_matches_torch(reduction, dtype):
    """Lists ended by -1 (or full), a class listed twice, an empty list, entries after the
    -1 ignored; a batch and one sample; the layer."""
    fn, theirs = F.multilabel_margin_loss, TF.multilabel_margin_loss
    check_function(fn, theirs, [X, LISTS], dtype, grads=(0,), reduction=reduction)
    check_function(fn, theirs, [X[0], LISTS[0]], dtype, grads=(0,), reduction=reduction)
    layers = (
        nn.MultiLabelMarginLoss(reduction=reduction),
        torch.nn.MultiLabelMarginLoss(reduction=reduction),
    )
    assert repr(layers[0]) == repr(layers[1])
    check_function(*layers, [X, LISTS], dtype, grads=(0,))


def test_multilabel_margin_finite_differences_and_errors():
    lists = nerve.tensor(LISTS)
    x = nerve.tensor(X, requires_grad=True)
    assert gradcheck(lambda x: F.multilabel_margin_loss(x, lists, reduction="sum"), [x])
    for functional, lib in ((F, nerve), (TF, torch)):
        scores = lib.zeros(1, 4)
        with pytest.raises(RuntimeError, match="inconsistent target size"):
            functional.multilabel_margin_loss(scores, lib.tensor([[3, 0]]))
        for bad in ([[4, 0, -1, 1]], [[-2, 0, -1, 1]], [[3, -1, 7, 1]]):
            with pytest.raises(RuntimeError, match="'target' is out of range"):
                functional.multilabel_margin_loss(scores, lib.tensor(bad))
        with pytest.raises(RuntimeError, match="Expected non-empty vector or matrix"):
            functional.multilabel_margin_loss(lib.zeros(2, 3, 4), lib.zeros(2, 3, 4).long())
