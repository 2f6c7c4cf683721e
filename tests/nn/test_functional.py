"""nerve.nn.functional against torch.nn.functional: activations, linear, softmax, losses as
functions, one_hot."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nerve  # noqa: E402
import nerve.nn.functional as F  # noqa: E402
from parity import DTYPE_IDS, DTYPES, check_function  # noqa: E402

TF = torch.nn.functional
rng = np.random.default_rng(0)
X = rng.standard_normal((4, 3, 5)) * 3
X[np.abs(X) < 1e-3] = 0.5

ACTIVATIONS = [
    ("relu", {}),
    ("relu6", {}),
    ("leaky_relu", {}),
    ("leaky_relu", {"negative_slope": 0.3}),
    ("elu", {}),
    ("elu", {"alpha": 2.0}),
    ("gelu", {}),
    ("gelu", {"approximate": "tanh"}),
    ("silu", {}),
    ("softplus", {}),
    ("softplus", {"beta": 0.5, "threshold": 2.0}),
    ("hardtanh", {}),
    ("hardtanh", {"min_val": -2.0, "max_val": 0.5}),
    ("sigmoid", {}),
    ("tanh", {}),
    ("softmax", {"dim": 1}),
    ("softmax", {"dim": -1}),
    ("log_softmax", {"dim": 0}),
    ("log_softmax", {"dim": 2}),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize(
    "name, kwargs",
    ACTIVATIONS,
    ids=[f"{n}-{'-'.join(map(str, k.values()))}" for n, k in ACTIVATIONS],
)
def test_activation_functions(name, kwargs, dtype):
    ours, theirs = getattr(F, name), getattr(TF, name)
    check_function(ours, theirs, [X], dtype, **kwargs)


# A map above the sizes where kernels change their way (backend.select.MIN_SIZE for a
# branch-free where, ops.unary's vectorized sigmoid and erf), with the values where the ways
# could differ at its start: NaN, infinities, signed zeros, overflow of exp, Softplus's
# threshold, subnormal products.
X_LARGE = rng.standard_normal((2, 4, 48, 48)) * 3
X_LARGE.flat[:10] = [np.nan, np.inf, -np.inf, 0.0, -0.0, 100.0, -100.0, 20.0, 2.0, 1e-30]
X_LARGE.flat[10:18] = [-1e-30, 4.0, -4.0, 3.9, 1e-3, -1e-3, 89.0, -89.0]
ELEMENTWISE = [(name, kwargs) for name, kwargs in ACTIVATIONS if "softmax" not in name]


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize(
    "name, kwargs",
    ELEMENTWISE
    + [("leaky_relu", {"negative_slope": -0.5}), ("leaky_relu", {"negative_slope": 2.0})],
    ids=[f"{n}-{'-'.join(map(str, k.values()))}" for n, k in ELEMENTWISE]
    + ["leaky-neg", "leaky-2"],
)
def test_activation_functions_on_large_maps(name, kwargs, dtype):
    ours, theirs = getattr(F, name), getattr(TF, name)
    x = X_LARGE
    if (name, kwargs, dtype) == ("gelu", {}, np.float32):
        x = np.where(x == np.inf, 50.0, x)  # torch's float32 gelu(inf) is nan; nerve's is inf
    check_function(ours, theirs, [x], dtype, **kwargs)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_large_maps_clip_at_zero_with_torchs_signed_zero(dtype, monkeypatch):
    """From MIN_CLIP_BYTES a ReLU is np.clip (lowered here to X_LARGE's size): torch's values
    and gradients, and -0.0 kept as torch keeps it; below, maximum gives 0.0. ELU and Softplus
    clip as well."""
    from nerve.backend import constants

    small = F.relu(nerve.tensor(X_LARGE, dtype=getattr(nerve, np.dtype(dtype).name)))
    assert not np.signbit(small.numpy().flat[4])
    monkeypatch.setattr(constants, "MIN_CLIP_BYTES", 1)
    for name in ("relu", "elu", "softplus"):
        check_function(getattr(F, name), getattr(TF, name), [X_LARGE], dtype)
    ours = F.relu(nerve.tensor(X_LARGE.astype(dtype))).numpy()
    theirs = TF.relu(torch.tensor(X_LARGE.astype(dtype))).numpy()
    assert np.array_equal(np.signbit(ours), np.signbit(theirs)) and np.signbit(ours.flat[4])


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_linear_function_with_and_without_bias(dtype):
    w, b = rng.standard_normal((2, 5)), rng.standard_normal(2)
    check_function(F.linear, TF.linear, [X, w, b], dtype, grads=(0, 1, 2))
    check_function(F.linear, TF.linear, [X, w], dtype, grads=(0, 1))
    check_function(F.linear, TF.linear, [X[0, 0], w, b], dtype, grads=(0, 1, 2))


@pytest.mark.parametrize("weight", [np.array([0.25]), np.array([0.1, -0.2, 0.7])])
def test_prelu_function(weight):
    check_function(F.prelu, TF.prelu, [X, weight], grads=(0, 1))


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_loss_functions(dtype):
    y = rng.standard_normal(X.shape)
    p = rng.uniform(0.05, 0.95, X.shape)
    t = rng.uniform(0, 1, X.shape)
    for name in ("mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss"):
        check_function(getattr(F, name), getattr(TF, name), [X, y], dtype, grads=(0, 1))
    check_function(F.binary_cross_entropy, TF.binary_cross_entropy, [p, t], dtype)
    check_function(
        F.binary_cross_entropy_with_logits, TF.binary_cross_entropy_with_logits, [X, t], dtype
    )
    target = rng.integers(0, 3, (4, 5))
    check_function(F.cross_entropy, TF.cross_entropy, [X, target], dtype)
    check_function(F.nll_loss, TF.nll_loss, [X, target], dtype, reduction="sum")
    check_function(
        F.cross_entropy, TF.cross_entropy, [X[:, :, 0], target[:, 0]], dtype, label_smoothing=0.1
    )


def test_functional_losses_take_keyword_options():
    x, y = rng.standard_normal(6), rng.standard_normal(6)
    check_function(F.huber_loss, TF.huber_loss, [x, y], reduction="sum", delta=0.3)
    check_function(F.smooth_l1_loss, TF.smooth_l1_loss, [x, y], reduction="none", beta=2.0)
    w = rng.uniform(0.5, 1.5, 6)
    t = (y > 0).astype(float)
    ours = lambda a, b: F.binary_cross_entropy_with_logits(  # noqa: E731
        a, b, pos_weight=nerve.tensor(w), reduction="sum"
    )
    theirs = lambda a, b: TF.binary_cross_entropy_with_logits(  # noqa: E731
        a, b, pos_weight=torch.tensor(w), reduction="sum"
    )
    check_function(ours, theirs, [x, t])


@pytest.mark.parametrize("num_classes", [-1, 6])
def test_one_hot(num_classes):
    for target in (np.array([0, 2, 1, 4]), np.array([[1, 0], [3, 3]]), np.array(2)):
        ours = F.one_hot(nerve.tensor(target), num_classes)
        theirs = TF.one_hot(torch.tensor(target), num_classes)
        assert ours.dtype == nerve.int64
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_one_hot_errors():
    with pytest.raises(RuntimeError, match="LongTensor"):
        F.one_hot(nerve.tensor([0.0, 1.0]))
    with pytest.raises(RuntimeError, match="smaller than num_classes"):
        F.one_hot(nerve.tensor([0, 3]), 3)


def test_functional_names_match_torch():
    for name in F.__all__:
        assert hasattr(TF, name), f"nerve.nn.functional.{name} is not a torch name"
    for name in ("relu", "softmax", "cross_entropy", "nll_loss", "dropout", "one_hot", "linear"):
        assert callable(getattr(F, name))


def test_softmax_with_dtype_argument():
    x = rng.standard_normal((3, 4)).astype(np.float32)
    ours = F.softmax(nerve.tensor(x), dim=1, dtype=nerve.float64)
    theirs = TF.softmax(torch.tensor(x), dim=1, dtype=torch.float64)
    assert ours.dtype == nerve.float64
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


INPLACE = [
    ("relu", {}),
    ("relu6", {}),
    ("leaky_relu", {"negative_slope": 0.2}),
    ("elu", {"alpha": 0.5}),
    ("hardtanh", {"min_val": -0.5, "max_val": 1.5}),
    ("silu", {}),
]


@pytest.mark.parametrize("name,kwargs", INPLACE, ids=[f"{n}-{k}" for n, k in INPLACE])
def test_activations_in_place_as_torch(name, kwargs):
    """``inplace=True`` (torchvision's models write ``F.relu(x, inplace=True)``) changes the
    tensor itself and returns it, with torch's values, its gradient through the changed
    tensor, and an untouched tensor when ``inplace`` is False."""
    for inplace in (True, False):
        ours_x = nerve.tensor(X, requires_grad=True)
        theirs_x = torch.tensor(X, requires_grad=True)
        ours_y, theirs_y = ours_x * 1.5, theirs_x * 1.5
        ours = getattr(F, name)(ours_y, inplace=inplace, **kwargs)
        theirs = getattr(TF, name)(theirs_y, inplace=inplace, **kwargs)
        assert (ours is ours_y) == inplace
        np.testing.assert_allclose(ours_y.detach().numpy(), theirs_y.detach().numpy())
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy())
        (ours * ours).sum().backward()
        (theirs * theirs).sum().backward()
        np.testing.assert_allclose(ours_x.grad.numpy(), theirs_x.grad.numpy(), rtol=1e-10)
    with torch.no_grad(), nerve.no_grad():  # no graph: written straight into the array
        plain = nerve.tensor(X)
        assert getattr(F, name)(plain, inplace=True, **kwargs) is plain
        want = getattr(TF, name)(torch.tensor(X), **kwargs).numpy()
        np.testing.assert_allclose(plain.numpy(), want)


@pytest.mark.parametrize("name", ["relu_", "leaky_relu_", "elu_", "hardtanh_"])
def test_underscore_activations_and_the_leaf_error(name):
    x = nerve.tensor(X)
    assert getattr(F, name)(x) is x
    np.testing.assert_allclose(x.numpy(), getattr(TF, name)(torch.tensor(X)).numpy())
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        getattr(F, name)(nerve.tensor(X, requires_grad=True))


@pytest.mark.parametrize("function", ["dropout", "dropout1d", "dropout2d"])
def test_dropout_in_place(function):
    """In training the tensor itself is zeroed and scaled; in evaluation (or p=0) it is
    returned as it is, unchanged and at the same version, as torch does."""
    x = nerve.ones(4, 6, 5)
    assert getattr(F, function)(x, 0.5, training=True, inplace=True) is x
    assert set(np.unique(x.numpy())) <= {0.0, 2.0} and 0 < (x.numpy() == 0).sum() < x.numel()
    y = nerve.ones(4, 6, 5)
    version = y._version
    assert getattr(F, function)(y, 0.5, training=False, inplace=True) is y
    assert getattr(F, function)(y, 0.0, training=True, inplace=True) is y
    assert y._version == version and bool((y == 1).all())
    with pytest.raises(ValueError, match="between 0 and 1"):
        getattr(F, function)(nerve.ones(4, 6, 5), 1.5, training=True, inplace=True)
