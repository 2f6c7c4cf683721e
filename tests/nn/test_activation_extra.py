"""The later activations (nn/functional_activation.py, nn/activation_extra.py) against torch
2.13: values and gradients in float64 and float32, the gradient at each kink, finite
differences of first and second order, the layers' reprs, the in-place forms, and torch's
errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nerve  # noqa: E402
import nerve.nn.functional as F  # noqa: E402
from nerve import nn  # noqa: E402
from parity import (  # noqa: E402
    DTYPE_IDS,
    DTYPES,
    check_function,
    check_module,
    gradcheck,
    gradgradcheck,
)

TF = torch.nn.functional
RNG = np.random.default_rng(0)
X = RNG.standard_normal((4, 6, 4)) * 3
X[np.abs(np.abs(X) - 0.5) < 1e-3] = 1.0  # (no value at a kink of the shrinks: checked apart)

FUNCTIONS = [
    ("selu", {}),
    ("celu", {}),
    ("celu", {"alpha": 2.5}),
    ("hardsigmoid", {}),
    ("hardswish", {}),
    ("mish", {}),
    ("softsign", {}),
    ("logsigmoid", {}),
    ("threshold", {"threshold": 0.3, "value": -2.0}),
    ("glu", {}),
    ("glu", {"dim": 1}),
    ("softmin", {"dim": 1}),
    ("softmin", {"dim": -1}),
    ("hardshrink", {}),
    ("hardshrink", {"lambd": 1.5}),
    ("softshrink", {}),
    ("softshrink", {"lambd": 1.5}),
    ("tanhshrink", {}),
    ("rrelu", {}),  # evaluation: a leaky ReLU with the slopes' mean
    ("rrelu", {"lower": 0.05, "upper": 0.5}),
]
IDS = [f"{name}-{kwargs}" for name, kwargs in FUNCTIONS]


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name,kwargs", FUNCTIONS, ids=IDS)
def test_functions_match_torch(name, kwargs, dtype):
    if name == "hardsigmoid" and dtype == np.float64:
        _check_hardsigmoid_in_float64(F.hardsigmoid, TF.hardsigmoid)
        return
    check_function(getattr(F, name), getattr(TF, name), [X], dtype, **kwargs)


def _check_hardsigmoid_in_float64(ours_fn, theirs_fn):
    """torch's hardsigmoid backward multiplies by ``1.0f / 6.0f``, float32's 1/6, in float64
    too (3e-8 from 1/6); nerve's divides by 6. The values agree to the last bit. (torch's
    celu backward likewise takes 1 / alpha in float32: exact for the alphas tested here.)"""
    ours_x, theirs_x = nerve.tensor(X, requires_grad=True), torch.tensor(X, requires_grad=True)
    ours, theirs = ours_fn(ours_x), theirs_fn(theirs_x)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-15)
    ours.sum().backward()
    theirs.sum().backward()
    inside = np.abs(X) < 3
    np.testing.assert_array_equal(ours_x.grad.numpy()[inside], 1 / 6)
    np.testing.assert_allclose(theirs_x.grad.numpy()[inside], 1 / 6, rtol=1e-7)
    np.testing.assert_array_equal(ours_x.grad.numpy()[~inside], 0)
    np.testing.assert_array_equal(theirs_x.grad.numpy()[~inside], 0)


@pytest.mark.parametrize("name,kwargs", FUNCTIONS, ids=IDS)
def test_finite_differences_first_and_second_order(name, kwargs):
    x = nerve.tensor(RNG.standard_normal((3, 4)) * 2, requires_grad=True)

    def fn(x: nerve.Tensor) -> nerve.Tensor:
        return getattr(F, name)(x, **kwargs)

    assert gradcheck(fn, [x])
    if name not in ("threshold", "hardshrink", "softshrink"):  # (piecewise linear or flat)
        assert gradgradcheck(fn, [x])


KINKS = [
    ("hardswish", {}, [-3.0, 3.0, -3.5, 3.5]),
    ("hardsigmoid", {}, [-3.0, 3.0]),
    ("hardshrink", {"lambd": 0.5}, [-0.5, 0.5]),
    ("softshrink", {"lambd": 0.5}, [-0.5, 0.5]),
    ("threshold", {"threshold": 0.5, "value": 1.0}, [0.5]),
    ("rrelu", {}, [0.0]),
    ("celu", {"alpha": 2.0}, [0.0]),
    ("selu", {}, [0.0]),
    ("softsign", {}, [0.0]),
]


@pytest.mark.parametrize("name,kwargs,points", KINKS, ids=[k[0] for k in KINKS])
def test_gradient_at_each_kink_is_torchs(name, kwargs, points):
    ours_x = nerve.tensor(points, requires_grad=True)
    theirs_x = torch.tensor(points, requires_grad=True)
    ours, theirs = getattr(F, name)(ours_x, **kwargs), getattr(TF, name)(theirs_x, **kwargs)
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
    ours.sum().backward()
    theirs.sum().backward()
    np.testing.assert_allclose(ours_x.grad.numpy(), theirs_x.grad.numpy(), rtol=1e-12)


LAYERS = [
    ("SELU", (), {}),
    ("SELU", (True,), {}),
    ("CELU", (), {}),
    ("CELU", (2.0, True), {}),
    ("Hardsigmoid", (True,), {}),
    ("Hardswish", (), {}),
    ("Mish", (True,), {}),
    ("Softsign", (), {}),
    ("LogSigmoid", (), {}),
    ("Threshold", (0.1, 20.0), {}),
    ("Threshold", (0.1, 20.0, True), {}),
    ("GLU", (), {}),
    ("GLU", (1,), {}),
    ("Softmin", (), {"dim": 1}),
    ("Softmax2d", (), {}),
    ("Hardshrink", (), {}),
    ("Softshrink", (0.3,), {}),
    ("Tanhshrink", (), {}),
    ("RReLU", (0.1, 0.3, True), {}),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name,args,kwargs", LAYERS, ids=[f"{n}{a}" for n, a, _ in LAYERS])
def test_layers_match_torch(name, args, kwargs, dtype):
    ours = getattr(nn, name)(*args, **kwargs)
    theirs = getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    if getattr(theirs, "inplace", False):  # nerve's layers compute out of place: compared so
        theirs.inplace = False  # (torch's in-place backward rounds SELU's constants to float)
    if name == "Hardsigmoid" and dtype == np.float64:
        _check_hardsigmoid_in_float64(ours, theirs.double())
        return
    if name == "RReLU":  # (random slopes in training: compared in evaluation)
        ours.eval()
        theirs.eval()
    check_module(ours, theirs, RNG.standard_normal((2, 4, 3, 6)), dtype)


@pytest.mark.parametrize(
    "name,kwargs",
    [("selu", {}), ("celu", {"alpha": 2.0}), ("hardsigmoid", {}), ("hardswish", {}),
     ("mish", {}), ("threshold", {"threshold": 0.2, "value": 5.0}), ("rrelu", {})],
)  # fmt: skip
def test_in_place_forms_change_the_tensor_as_torch(name, kwargs):
    """``inplace=True`` writes into the tensor and returns it; the values and the gradient
    through the changed tensor are those of torch's out-of-place function (torch's own in-place
    backward rounds some constants to float32); the underscored forms do the same."""
    ours_x, theirs_x = nerve.tensor(X, requires_grad=True), torch.tensor(X, requires_grad=True)
    ours_y = ours_x * 1.0
    assert getattr(F, name)(ours_y, inplace=True, **kwargs) is ours_y
    theirs = getattr(TF, name)(theirs_x * 1.0, **kwargs)
    np.testing.assert_allclose(ours_y.detach().numpy(), theirs.detach().numpy(), rtol=1e-12)
    (ours_y * ours_y).sum().backward()
    (theirs * theirs).sum().backward()
    rtol = 1e-7 if name == "hardsigmoid" else 1e-10  # (see _check_hardsigmoid_in_float64)
    np.testing.assert_allclose(ours_x.grad.numpy(), theirs_x.grad.numpy(), rtol=rtol)
    if hasattr(F, name + "_"):
        plain = nerve.tensor(X)
        assert getattr(F, name + "_")(plain, **kwargs) is plain
        np.testing.assert_allclose(plain.numpy(), theirs.detach().numpy(), rtol=1e-12)


def test_rrelu_in_training_draws_a_slope_per_negative_element():
    """In training each negative element is scaled by its own slope from [lower, upper);
    positive ones pass; the gradient of a negative element is its slope."""
    x = nerve.tensor(-np.ones(20_000), requires_grad=True)
    out = F.rrelu(x, 0.1, 0.3, training=True)
    slopes = -out.detach().numpy()
    assert slopes.min() >= 0.1 and slopes.max() < 0.3
    assert abs(slopes.mean() - 0.2) < 0.005 and len(np.unique(slopes)) > 1000
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), slopes)
    positive = nerve.tensor([1.0, 2.0])
    np.testing.assert_array_equal(F.rrelu(positive, training=True).numpy(), [1.0, 2.0])
    layer = nn.RReLU(0.1, 0.3)
    assert not np.array_equal(layer(x).detach().numpy(), layer.eval()(x).detach().numpy())


def test_softmin_without_dim_warns_as_torch():
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmin"):
        ours = F.softmin(nerve.tensor(X[0]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = TF.softmin(torch.tensor(X[0]))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


@pytest.mark.parametrize(
    "call,message",
    [
        (
            lambda m: m.glu(m.ones(2, 3)),
            "Halving dimension must be even, but dimension 1 is size 3",
        ),
        (lambda m: m.glu(m.ones(())), "glu does not support scalars"),
        (lambda m: m.celu(m.ones(2), 0.0), "alpha cannot be 0 for CELU"),
        (lambda m: m.softshrink(m.ones(2), -0.5), r"lambda must be in range \[0, 3.40282e\+38\]"),
    ],
)
def test_errors_as_torch(call, message):
    for module in (F, TF):
        lib = nerve if module is F else torch
        namespace = type("M", (), {})()
        for name in ("glu", "celu", "softshrink"):
            setattr(namespace, name, getattr(module, name))
        namespace.ones = lambda *shape, lib=lib: lib.ones(*shape)
        with pytest.raises(RuntimeError, match=message):
            call(namespace)
    for module, lib in ((nn, nerve), (torch.nn, torch)):
        with pytest.raises(ValueError, match="Softmax2d: expected input to be 3D or 4D, got 2D"):
            module.Softmax2d()(lib.ones(2, 3))


def test_infinities_nan_and_signed_zeros():
    """Where torch's value is defined, the same bits, with no NumPy warning (no inf * 0 is
    ever computed): threshold and hardshrink pass NaN and keep -inf; softshrink's zeros keep
    torch's float32 signs; hardswish is -0.0 from -3 down (torch's 0 * -inf is NaN at -inf)."""
    x = np.array([-np.inf, -4.0, -3.0, -0.3, -0.0, 0.2, 0.5, 3.0, 3.5, np.inf, np.nan])
    cases = [("threshold", {"threshold": 0.5, "value": 5.0}), ("hardshrink", {})]
    cases += [("softshrink", {}), ("hardswish", {})]
    for name, kwargs in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            ours = getattr(F, name)(nerve.tensor(x.astype(np.float32)), **kwargs).numpy()
        theirs = getattr(TF, name)(torch.tensor(x.astype(np.float32)), **kwargs).numpy()
        if name == "hardswish":
            assert ours[0] == 0 and np.signbit(ours[0])
            ours, theirs = ours[1:], theirs[1:]
        assert ours.tobytes() == theirs.tobytes(), name
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.hinge_embedding_loss(nerve.tensor([0.3, np.inf]), nerve.ones(2), reduction="none")
    np.testing.assert_array_equal(loss.numpy(), [np.float32(0.3), np.inf])
