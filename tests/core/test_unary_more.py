"""asin ... atanh, exp2, erfc, erfinv, the gamma family, i0, sinc, logit, deg2rad/rad2deg and
torch's alias names (ops/unary_more.py) against torch 2.13: values and gradients in float32 and
float64, edge values, finite differences of first and second order, integer inputs' dtypes,
the in-place forms and torch's errors."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nerve  # noqa: E402
from nerve.ops import special_arrays  # noqa: E402
from parity import DTYPE_IDS, DTYPES, check_function, gradcheck, gradgradcheck  # noqa: E402

RNG = np.random.default_rng(0)
UNIT = RNG.uniform(-0.9, 0.9, (3, 4))  # inside (-1, 1)
ANY = RNG.standard_normal((3, 4)) * 2
ABOVE_ONE = RNG.uniform(1.1, 4.0, (3, 4))
POSITIVE = RNG.uniform(0.2, 5.0, (3, 4))
PROBABILITY = RNG.uniform(0.05, 0.95, (3, 4))

# name -> input inside its domain
DOMAINS = {
    "asin": UNIT, "acos": UNIT, "atan": ANY, "sinh": ANY, "cosh": ANY, "asinh": ANY,
    "acosh": ABOVE_ONE, "atanh": UNIT, "arcsin": UNIT, "arccos": UNIT, "arctan": ANY,
    "arcsinh": ANY, "arccosh": ABOVE_ONE, "arctanh": UNIT, "exp2": ANY, "erfc": ANY,
    "erfinv": UNIT, "lgamma": ANY, "digamma": POSITIVE, "i0": ANY, "sinc": ANY,
    "logit": PROBABILITY, "deg2rad": ANY, "rad2deg": ANY, "sgn": ANY, "fix": ANY,
    "negative": ANY, "absolute": ANY, "positive": ANY,
}  # fmt: skip
# torch's trigamma and higher (its digamma's gradient) are accurate to about 1e-9 only
LOOSE = {"digamma", "sgn"}  # and sgn's gradient is a ZeroTensor, which has no numpy()


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name", sorted(DOMAINS))
def test_values_and_gradients_match_torch(name, dtype):
    grads = () if name in LOOSE else (0,)
    check_function(getattr(nerve, name), getattr(torch, name), [DOMAINS[name]], dtype, grads)
    if name == "digamma":
        _close_to_torch(lambda lib, x: lib.digamma(x), POSITIVE)


def _close_to_torch(fn, x):
    """The gradient at float64 against torch's, to torch's own accuracy (1e-8)."""
    grads = []
    for lib in (nerve, torch):
        leaf = lib.tensor(x, requires_grad=True)
        fn(lib, leaf).sum().backward()
        grads.append(leaf.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-8)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("n", [0, 1, 2, 3])
def test_polygamma(n, dtype):
    x = POSITIVE.astype(dtype)
    ours, theirs = nerve.polygamma(n, nerve.tensor(x)), torch.polygamma(n, torch.tensor(x))
    np.testing.assert_allclose(
        ours.numpy(), theirs.numpy(), rtol=1e-5 if dtype == np.float32 else 1e-8
    )
    _close_to_torch(lambda lib, x: lib.polygamma(n, x), POSITIVE)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_mvlgamma_and_logit_with_eps(dtype):
    check_function(nerve.mvlgamma, torch.mvlgamma, [POSITIVE + 2], dtype, p=3)
    x = np.array([0.0, 1e-4, 0.3, 0.9999, 1.0])
    check_function(nerve.logit, torch.logit, [x], dtype, eps=1e-3)


EDGES = np.array([0.0, -0.0, 1.0, -1.0, 2.0, -2.5, np.inf, -np.inf, np.nan, 1e-20, 30.0])


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name", sorted(DOMAINS) + ["digamma", "lgamma", "logit"])
def test_edge_values(name, dtype):
    x = EDGES.astype(dtype)
    ours = getattr(nerve, name)(nerve.tensor(x)).numpy()
    theirs = getattr(torch, name)(torch.tensor(x)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-5 if dtype == np.float32 else 1e-12)


def test_polygamma_edge_values():
    x = np.array([0.0, 1.0, 0.5, np.nan, 3.0])  # (torch: NaN at inf for n >= 2)
    for n in (1, 2, 3):
        ours = nerve.polygamma(n, nerve.tensor(x)).numpy()
        np.testing.assert_allclose(ours, torch.polygamma(n, torch.tensor(x)).numpy(), rtol=1e-7)


@pytest.mark.parametrize(
    "name",
    [
        "asin",
        "acosh",
        "erfinv",
        "lgamma",
        "digamma",
        "i0",
        "sinc",
        "exp2",
        "erfc",
        "sinh",
        "cosh",
        "atan",
        "atanh",
        "asinh",
        "acos",
    ],
)
def test_finite_differences(name):
    x = nerve.tensor(DOMAINS.get(name, POSITIVE), requires_grad=True)
    assert gradcheck(getattr(nerve, name), (x,))
    assert gradgradcheck(getattr(nerve, name), (x,))


def test_second_derivatives_at_zero():
    def leaf(values):
        return nerve.tensor(values, dtype=nerve.float64, requires_grad=True)

    x = leaf([0.0, 0.7, -1.3])
    assert gradcheck(nerve.sinc, (x,)) and gradgradcheck(nerve.i0, (x,))
    # (at 0 sinc's second derivative is 0 as in torch, whose backward masks 0 out)
    assert gradgradcheck(nerve.sinc, (leaf([0.3, 0.7, -1.3]),))
    assert gradgradcheck(lambda t: nerve.polygamma(2, t), (leaf([2.0, 2.7, 0.7]),))
    assert gradcheck(lambda t: nerve.logit(t, eps=0.1), (leaf([0.05, 0.3, 0.7]),))
    assert gradgradcheck(lambda t: nerve.mvlgamma(t, 2), (leaf([3.0, 3.7, 1.7]),))


@pytest.mark.parametrize(
    "name",
    ["asin", "exp2", "erfc", "lgamma", "i0", "sinc", "logit", "deg2rad", "rad2deg", "digamma"],
)
def test_integer_inputs_give_the_default_float_dtype(name):
    assert getattr(nerve, name)(nerve.tensor([0, 1])).dtype == nerve.float32
    assert getattr(torch, name)(torch.tensor([0, 1])).dtype == torch.float32
    assert nerve.polygamma(1, nerve.tensor([1, 2])).dtype == nerve.float32
    assert nerve.mvlgamma(nerve.tensor([2, 3]), 2).dtype == nerve.float32


def test_aliases_keep_integer_dtypes():
    for name in ("fix", "negative", "absolute", "sgn", "positive"):
        assert getattr(nerve, name)(nerve.tensor([-2, 3])).dtype == nerve.int64
    assert nerve.sgn(nerve.tensor([True, False])).tolist() == [True, False]


INPLACE = [
    "asin",
    "acos",
    "atan",
    "sinh",
    "cosh",
    "asinh",
    "atanh",
    "exp2",
    "erfc",
    "erfinv",
    "lgamma",
    "digamma",
    "i0",
    "sinc",
    "logit",
    "deg2rad",
    "rad2deg",
    "expm1",
    "log1p",
    "log2",
    "log10",
    "rsqrt",
    "erf",
    "tan",
    "frac",
    "negative",
    "absolute",
    "fix",
    "square",
    "arcsin",
    "arctanh",
]


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_forms(name):
    """Written in place, the same object returned, recorded on a non-leaf: the gradient is
    torch's of the out-of-place op (torch has no derivative for some in-place forms)."""
    x = PROBABILITY * 0.5 + 0.2
    leaf = nerve.tensor(x, requires_grad=True)
    y = leaf * 1.5 - 0.2  # a non-leaf: the in-place op is recorded on it
    assert getattr(y, name + "_")() is y
    y.sum().backward()
    theirs = torch.tensor(x, requires_grad=True)
    want = getattr(torch, name)(theirs * 1.5 - 0.2)
    want.sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), want.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(leaf.grad.numpy(), theirs.grad.numpy(), rtol=1e-8)
    plain = nerve.tensor(x)
    assert getattr(plain, name + "_")() is plain  # without a graph: written directly
    np.testing.assert_allclose(plain.numpy(), getattr(torch, name)(torch.tensor(x)).numpy())


def test_inplace_with_arguments_and_errors():
    x = nerve.tensor([1.0, 2.0])
    assert x.polygamma_(1) is x
    np.testing.assert_allclose(x.numpy(), [1.644934, 0.644934], rtol=1e-5)
    y = nerve.tensor([2.0, 3.0])
    np.testing.assert_allclose(y.mvlgamma_(2).numpy(), [0.4516, 1.5502], atol=1e-4)
    np.testing.assert_allclose(nerve.tensor([0.0]).logit_(0.25).numpy(), [np.log(1 / 3)], rtol=1e-6)
    for method in ("asin_", "exp2_", "sinc_"):
        with pytest.raises(RuntimeError, match="can't be cast to the desired output type Long"):
            getattr(nerve.tensor([1, 2]), method)()
        with pytest.raises(RuntimeError, match="can't be cast to the desired output type Long"):
            getattr(torch.tensor([1, 2]), method)()


def test_errors_as_torch():
    for lib in (nerve, torch):
        with pytest.raises(RuntimeError, match="does not support negative n"):
            lib.polygamma(-1, lib.tensor([1.0]))
        with pytest.raises(RuntimeError, match="p has to be greater than or equal to 1"):
            lib.mvlgamma(lib.tensor([2.0]), 0)
        with pytest.raises(RuntimeError, match="on a bool tensor is not supported"):
            lib.positive(lib.tensor([True]))


def test_methods_exist_as_torch():
    x = nerve.tensor([0.25])
    for name in DOMAINS:
        if hasattr(torch.Tensor, name):
            np.testing.assert_allclose(getattr(x, name)().numpy(), getattr(nerve, name)(x).numpy())
    assert x.polygamma(1).item() == nerve.polygamma(1, x).item()


def test_fallbacks_without_scipy_agree():
    x = np.array([0.1, 0.5, 2.5, 7.3, 30.0, -0.5, -2.7, 0.0])
    for n in (0, 1, 3):
        want = torch.polygamma(n, torch.tensor(x)).numpy()
        got = special_arrays._polygamma_fallback(n, x)
        np.testing.assert_allclose(got, want, rtol=1e-8)
    y = np.array([-0.999, -0.5, 0.0, 0.3, 1.0, -1.0, 2.0])
    got = special_arrays._erfinv_fallback(y)
    np.testing.assert_allclose(got, torch.erfinv(torch.tensor(y)).numpy(), rtol=1e-12, atol=1e-14)
    z = np.array([0.0, 0.3, -2.0, 10.0, 50.0, 300.0])
    want = torch.special.i1(torch.tensor(z)).numpy()
    np.testing.assert_allclose(special_arrays._i1_fallback(z), want, rtol=1e-12, atol=1e-15)
