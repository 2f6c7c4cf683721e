"""Every loss (module and function) against torch: values and input gradients for each
reduction, weights, ignore_index, label smoothing, probability targets, (N, C, d) inputs."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nerve  # noqa: E402
from nerve import nn  # noqa: E402
from parity import DTYPE_IDS, DTYPES, check_function, close  # noqa: E402

REDUCTIONS = ["none", "mean", "sum"]
rng = np.random.default_rng(0)
X = rng.standard_normal((6, 4)) * 2
Y = rng.standard_normal((6, 4)) * 2
P = rng.uniform(0.02, 0.98, (6, 4))
T01 = rng.uniform(0, 1, (6, 4))
W4 = rng.uniform(0.2, 2, 4)
W64 = rng.uniform(0.2, 2, (6, 4))


def _loss_pair(name: str, **kwargs):
    """nerve's and torch's loss modules of the same name, as functions of arrays' tensors."""
    ours, theirs = getattr(nn, name), getattr(torch.nn, name)

    def wrap(cls, lib):
        def call(*tensors):
            options = {
                k: (lib.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in kwargs.items()
            }
            if lib is torch:  # same dtype as the input (nerve converts, torch needs it)
                options = {
                    k: (v.to(tensors[0].dtype) if isinstance(v, torch.Tensor) else v)
                    for k, v in options.items()
                }
            return cls(**options)(*tensors)

        return call

    return wrap(ours, nerve), wrap(theirs, torch)


REGRESSION = [
    ("MSELoss", {}),
    ("L1Loss", {}),
    ("HuberLoss", {}),
    ("HuberLoss", {"delta": 0.5}),
    ("HuberLoss", {"delta": 3.0}),
    ("SmoothL1Loss", {}),
    ("SmoothL1Loss", {"beta": 0.5}),
    ("SmoothL1Loss", {"beta": 0.0}),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name, kwargs", REGRESSION, ids=[f"{n}-{k}" for n, k in REGRESSION])
def test_regression_losses(name, kwargs, reduction, dtype):
    ours, theirs = _loss_pair(name, reduction=reduction, **kwargs)
    check_function(ours, theirs, [X, Y], dtype, grads=(0, 1))


@pytest.mark.parametrize("name", ["l1_loss", "mse_loss", "smooth_l1_loss", "huber_loss"])
def test_regression_loss_gradient_at_zero_difference(name):
    x = np.array([0.0, 1.0, -2.0, 0.5])
    check_function(getattr(nn.functional, name), getattr(torch.nn.functional, name), [x, x])


BINARY = [
    ("BCELoss", {}, P),
    ("BCELoss", {"weight": W64}, P),
    ("BCELoss", {"weight": W4}, P),
    ("BCEWithLogitsLoss", {}, X),
    ("BCEWithLogitsLoss", {"weight": W4}, X),
    ("BCEWithLogitsLoss", {"pos_weight": W4}, X),
    ("BCEWithLogitsLoss", {"weight": W64, "pos_weight": W4 * 3}, X),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "name, kwargs, x", BINARY, ids=[f"{n}-{'-'.join(k)}" for n, k, _ in BINARY]
)
def test_binary_losses(name, kwargs, x, reduction, dtype):
    ours, theirs = _loss_pair(name, reduction=reduction, **kwargs)
    for target in (T01, (T01 > 0.5).astype(float)):
        check_function(ours, theirs, [x, target], dtype)


@pytest.mark.parametrize("pos_weight", [None, np.array([3.0])])
def test_bce_with_logits_is_stable_for_extreme_logits(pos_weight):
    x = np.array([-100.0, -100.0, 100.0, 100.0, -1000.0, 1000.0, 0.0])
    y = np.array([0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0])
    for dtype in DTYPES:
        for reduction in REDUCTIONS:
            ours, theirs = _loss_pair(
                "BCEWithLogitsLoss", reduction=reduction, pos_weight=pos_weight
            )
            check_function(ours, theirs, [x, y], dtype)
    out = nn.functional.binary_cross_entropy_with_logits(nerve.tensor(x), nerve.tensor(y))
    assert np.isfinite(out.item())


def test_bce_clamps_log_at_minus_100_for_probabilities_0_and_1():
    p = np.array([0.0, 1.0, 0.0, 1.0, 0.5])
    y = np.array([0.0, 1.0, 1.0, 0.0, 1.0])
    for reduction in REDUCTIONS:
        ours, theirs = _loss_pair("BCELoss", reduction=reduction)
        check_function(ours, theirs, [p, y], np.float64, grads=())
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        nn.BCELoss()(nerve.tensor([1.5]), nerve.tensor([1.0]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("p0", [1e-45, 3e-44, 1e-43, 2e-43, 1e-30])
def test_bce_clamps_exactly_where_torch_does_near_0_and_1(p0, dtype):
    # The clamp (and NumPy's errstate) is skipped when no log can fall below -100; at the
    # edge of that decision the values still equal torch's.
    one_below = float(np.nextafter(dtype(1), dtype(0)))
    p = np.array([p0, 0.5, one_below, p0], dtype=dtype)
    y = np.array([1.0, 1.0, 0.0, 0.0], dtype=dtype)
    ours, theirs = _loss_pair("BCELoss", reduction="none")
    check_function(ours, theirs, [p, y], dtype, grads=())


# -- classification ------------------------------------------------------------------------

LOGITS = rng.standard_normal((8, 5)) * 2
TARGET = np.array([0, 4, 2, 2, 1, 3, 0, 4])
TARGET_IGNORED = np.array([0, -100, 2, 2, 1, 7, 0, 7])  # -100 and 7 used as ignore_index
CW = rng.uniform(0.3, 2, 5)
PROBS = rng.dirichlet(np.ones(5), 8)

CLASSIFICATION = [
    ("plain", {}, TARGET),
    ("weight", {"weight": CW}, TARGET),
    ("ignore-default", {}, TARGET_IGNORED * (TARGET_IGNORED != 7)),
    ("ignore-7", {"ignore_index": 7}, np.where(TARGET_IGNORED == -100, 3, TARGET_IGNORED)),
    (
        "ignore-weight",
        {"weight": CW, "ignore_index": 7},
        np.where(TARGET_IGNORED < 0, 1, TARGET_IGNORED),
    ),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "kwargs, target", [c[1:] for c in CLASSIFICATION], ids=[c[0] for c in CLASSIFICATION]
)
def test_nll_loss(kwargs, target, reduction, dtype):
    log_p = torch.log_softmax(torch.tensor(LOGITS), dim=1).numpy()
    ours, theirs = _loss_pair("NLLLoss", reduction=reduction, **kwargs)
    check_function(ours, theirs, [log_p, target], dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize(
    "kwargs, target", [c[1:] for c in CLASSIFICATION], ids=[c[0] for c in CLASSIFICATION]
)
def test_cross_entropy_with_class_indices(kwargs, target, smoothing, reduction, dtype):
    ours, theirs = _loss_pair(
        "CrossEntropyLoss", reduction=reduction, label_smoothing=smoothing, **kwargs
    )
    check_function(ours, theirs, [LOGITS, target], dtype)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
@pytest.mark.parametrize("weight", [None, CW], ids=["noweight", "weight"])
def test_cross_entropy_with_class_probabilities(weight, smoothing, reduction):
    ours, theirs = _loss_pair(
        "CrossEntropyLoss", reduction=reduction, label_smoothing=smoothing, weight=weight
    )
    for dtype in DTYPES:
        check_function(ours, theirs, [LOGITS, PROBS], dtype)
    # One sample, no batch dimension.
    check_function(ours, theirs, [LOGITS[0], PROBS[0]])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "kwargs",
    [{}, {"weight": CW}, {"ignore_index": 1}, {"label_smoothing": 0.1, "weight": CW}],
    ids=["plain", "weight", "ignore", "smooth-weight"],
)
def test_cross_entropy_and_nll_on_n_c_d_inputs(kwargs, reduction):
    x = rng.standard_normal((3, 5, 4, 2))
    target = rng.integers(0, 5, (3, 4, 2))
    ours, theirs = _loss_pair("CrossEntropyLoss", reduction=reduction, **kwargs)
    check_function(ours, theirs, [x, target])
    probs = rng.dirichlet(np.ones(5), (3, 4, 2)).transpose(0, 3, 1, 2).copy()
    if "ignore_index" in kwargs:  # not for probabilities, in torch as in nerve
        with pytest.raises(RuntimeError, match="ignore_index is not supported"):
            ours(nerve.tensor(x), nerve.tensor(probs))
    else:
        check_function(ours, theirs, [x, probs])
    kwargs.pop("label_smoothing", None)
    ours, theirs = _loss_pair("NLLLoss", reduction=reduction, **kwargs)
    check_function(ours, theirs, [x, target])


def test_cross_entropy_on_a_single_unbatched_sample():
    for reduction in REDUCTIONS:
        ours, theirs = _loss_pair("CrossEntropyLoss", reduction=reduction)
        check_function(ours, theirs, [LOGITS[0], np.array(3)])


def test_cross_entropy_is_stable_for_large_logits():
    x = np.array([[1000.0, -1000.0, 0.0], [-500.0, 500.0, 499.0]])
    for dtype in DTYPES:
        ours, theirs = _loss_pair("CrossEntropyLoss")
        check_function(ours, theirs, [x, np.array([1, 2])], dtype)


def test_classification_target_errors():
    with pytest.raises(IndexError, match="out of bounds"):
        nn.CrossEntropyLoss()(nerve.zeros(2, 3), nerve.tensor([0, 3]))
    with pytest.raises(IndexError, match="out of bounds"):
        nn.NLLLoss()(nerve.zeros(2, 3), nerve.tensor([-1, 0]))
    # The fused op's one-reduction check (a negative class read as a huge unsigned one), for
    # both index dtypes torch takes: a class below 0 or past the last is refused, never picked.
    for dtype, classes in ((nerve.int64, (-1, 3, -100, 2**40)), (nerve.uint8, (3, 255))):
        for bad in classes:
            target = nerve.tensor([0, bad], dtype=dtype)
            with pytest.raises(IndexError, match="out of bounds"):
                nn.CrossEntropyLoss(ignore_index=1)(nerve.zeros(2, 3), target)
            if bad != -100:  # (-100 is the default ignore_index: ignored, as in torch)
                with pytest.raises(IndexError, match="out of bounds"):
                    nn.CrossEntropyLoss()(nerve.zeros(2, 3), target)
    with pytest.raises(ValueError, match="batch_size"):
        nn.CrossEntropyLoss()(nerve.zeros(2, 3), nerve.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction="avg")


@pytest.mark.parametrize("dtype", ["bool", "int8", "int16", "int32", "uint8", "int64"])
@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss"])
def test_class_index_dtypes_accepted_and_refused_as_torch(loss: str, dtype: str) -> None:
    scores = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    target = np.array([0, 1, 1])
    theirs = getattr(torch.nn.functional, loss)
    ours = getattr(nn.functional, loss)
    try:
        expected = theirs(torch.tensor(scores), torch.tensor(target).to(getattr(torch, dtype)))
    except RuntimeError as error:
        with pytest.raises(RuntimeError, match=str(error)):
            ours(nerve.tensor(scores), nerve.tensor(target).to(getattr(nerve, dtype)))
        return
    close(
        ours(nerve.tensor(scores), nerve.tensor(target).to(getattr(nerve, dtype))),
        expected,
        np.float32,
    )


def test_loss_modules_hold_weights_as_buffers_like_torch():
    for name, kwargs in [
        ("CrossEntropyLoss", {"weight": CW}),
        ("NLLLoss", {"weight": CW}),
        ("BCELoss", {"weight": W4}),
        ("BCEWithLogitsLoss", {"weight": W4, "pos_weight": W4}),
    ]:
        ours = getattr(nn, name)(**{k: nerve.tensor(v) for k, v in kwargs.items()})
        theirs = getattr(torch.nn, name)(**{k: torch.tensor(v) for k, v in kwargs.items()})
        assert list(ours.state_dict()) == list(theirs.state_dict())
        assert list(ours.parameters()) == []


def test_mse_loss_warns_on_broadcasting_like_torch():
    x, y = nerve.zeros(4, 1), nerve.ones(4)
    with pytest.warns(UserWarning, match="target size"):
        loss = nn.functional.mse_loss(x, y)
    with pytest.warns(UserWarning):
        expected = torch.nn.functional.mse_loss(torch.zeros(4, 1), torch.ones(4))
    close(loss, expected, np.float32)


@pytest.mark.parametrize("weight", [None, CW], ids=["noweight", "weight"])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_a_batch_with_every_target_ignored_gives_nan_but_zero_gradients(weight, smoothing):
    target = np.full(8, -100)
    for name, kwargs in (
        ("CrossEntropyLoss", {"label_smoothing": smoothing}),
        ("NLLLoss", {}),
    ):
        ours, theirs = _loss_pair(name, weight=weight, **kwargs)
        check_function(ours, theirs, [LOGITS, target])  # value nan (equal), gradients 0
        x = nerve.tensor(LOGITS, requires_grad=True)
        ours(x, nerve.tensor(target)).backward()
        assert bool((x.grad == 0).all())
