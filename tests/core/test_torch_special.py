"""nerve.special against torch.special 2.13: values and gradients in float32 and float64,
edge values, finite differences of first and second order, integer inputs' dtypes, the
aliases of ops nerve already has, torch's errors where it has no derivative, and the NumPy
fallbacks used without SciPy."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nerve  # noqa: E402
import nerve.special  # noqa: E402
from nerve.special import kernels  # noqa: E402
from parity import (  # noqa: E402
    DTYPE_IDS,
    DTYPES,
    check_function,
    check_second_order,
    gradcheck,
    gradgradcheck,
)

RNG = np.random.default_rng(0)
ANY = RNG.standard_normal((3, 4)) * 2
POSITIVE = RNG.uniform(0.2, 5.0, (3, 4))
PROBABILITY = RNG.uniform(0.05, 0.95, (3, 4))
ABOVE_ONE = RNG.uniform(1.2, 5.0, (3, 4))
TAIL = np.array([-30.0, -10.0, -3.0, -0.5, 0.0, 0.7, 4.0, 9.0])  # log_ndtr's lower tail

# the new one-argument functions -> an input inside their domain
UNARY = {
    "entr": POSITIVE, "ndtr": ANY, "ndtri": PROBABILITY, "log_ndtr": ANY, "erfcx": ANY,
    "i0e": ANY, "i1": ANY, "i1e": ANY,
}  # fmt: skip
# every name of torch.special that nerve provides -> (inputs, keyword arguments)
ALL = {
    **{name: ([x], {}) for name, x in UNARY.items()},
    "bessel_j0": ([ANY * 5], {}), "bessel_j1": ([ANY * 5], {}),
    "digamma": ([POSITIVE], {}), "psi": ([POSITIVE], {}), "erf": ([ANY], {}),
    "erfc": ([ANY], {}), "erfinv": ([PROBABILITY - 0.5], {}), "exp2": ([ANY], {}),
    "expit": ([ANY], {}), "expm1": ([ANY], {}), "gammaln": ([ANY], {}), "i0": ([ANY], {}),
    "log1p": ([POSITIVE], {}), "logit": ([PROBABILITY], {}), "sinc": ([ANY], {}),
    "round": ([ANY * 10], {}), "softmax": ([ANY], {"dim": 1}),
    "log_softmax": ([ANY], {"dim": 1}), "logsumexp": ([ANY], {"dim": 1}),
    "multigammaln": ([POSITIVE + 2], {"p": 3}), "xlogy": ([ANY, POSITIVE], {}),
    "xlog1py": ([ANY, POSITIVE - 0.1], {}), "zeta": ([ABOVE_ONE, POSITIVE], {}),
    "gammainc": ([POSITIVE, POSITIVE], {}), "gammaincc": ([POSITIVE, POSITIVE], {}),
}  # fmt: skip
NO_GRAD = {"bessel_j0", "bessel_j1", "round"}  # (round: torch's gradient is zero)
# torch's float64 bessel_j0/j1 are accurate to about 2e-7 only (nerve's: SciPy's, or ours)
BESSEL_ATOL = 1e-6
SECOND_ONLY = {"zeta", "gammainc", "gammaincc"}  # torch: no derivative in the first argument


def _polygamma(lib, x):
    return lib.special.polygamma(2, x)


def test_every_name_is_checked():
    assert set(nerve.special.__all__) == set(ALL) | {"polygamma"}
    for name in nerve.special.__all__:
        assert callable(getattr(torch.special, name))
        assert getattr(nerve.special, name).__doc__


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name", sorted(ALL))
def test_values_and_gradients_match_torch(name, dtype):
    inputs, kwargs = ALL[name]
    if name in NO_GRAD:
        grads: tuple[int, ...] = ()
    elif name in SECOND_ONLY:
        grads = (1,)
    else:
        grads = tuple(range(len(inputs)))
    if name in ("digamma", "psi"):  # torch's trigamma is accurate to about 1e-9
        grads = () if dtype == np.float64 else grads
    ours, theirs = getattr(nerve.special, name), getattr(torch.special, name)
    if name.startswith("bessel"):
        x = inputs[0].astype(dtype)
        got, want = ours(nerve.tensor(x)), theirs(torch.tensor(x))
        assert got.dtype == getattr(nerve, str(want.dtype).split(".")[1])
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=BESSEL_ATOL)
        return
    check_function(ours, theirs, inputs, dtype, grads, **kwargs)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
def test_polygamma_and_the_lower_tail(dtype):
    x = POSITIVE.astype(dtype)
    np.testing.assert_allclose(
        _polygamma(nerve, nerve.tensor(x)).numpy(),
        _polygamma(torch, torch.tensor(x)).numpy(),
        rtol=1e-5 if dtype == np.float32 else 1e-8,
    )
    check_function(nerve.special.log_ndtr, torch.special.log_ndtr, [TAIL], dtype)


def test_same_functions_as_nerve():
    for name in ("erf", "erfc", "erfinv", "digamma", "polygamma", "logit", "xlogy", "i0"):
        assert getattr(nerve.special, name) is getattr(nerve, name)
    for name in ("sinc", "expm1", "exp2", "log1p", "softmax", "log_softmax", "logsumexp"):
        assert getattr(nerve.special, name) is getattr(nerve, name)
    out = nerve.empty(2)  # round: nerve.round's function, out= included
    assert nerve.special.round(nerve.tensor([0.25, 1.5]), decimals=1, out=out) is out
    np.testing.assert_allclose(out.numpy(), [0.2, 1.5])


EDGES = np.array([0.0, -0.0, 1.0, -1.0, 0.5, 2.0, -2.5, 40.0, -40.0, 1e-20])
EDGES = np.concatenate([EDGES, [np.inf, -np.inf, np.nan, 700.0, -750.0, 30.0, 1e5]])
UNARY_EDGES = sorted(UNARY) + ["bessel_j0", "bessel_j1"]


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name", UNARY_EDGES)
def test_edge_values(name, dtype):
    x = EDGES.astype(dtype)
    ours = getattr(nerve.special, name)(nerve.tensor(x)).numpy()
    theirs = getattr(torch.special, name)(torch.tensor(x)).numpy()
    atol = 0.0
    if name.startswith("bessel"):  # (torch's float32 kernel computes in float32)
        atol = BESSEL_ATOL if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(ours, theirs, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=atol)


GRID = np.array([0.0, -0.5, 0.5, 1.0, 2.0, -1.0, -2.0, 3.5, 20.0, np.inf, -np.inf, np.nan])


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name", ["xlog1py", "zeta", "gammainc", "gammaincc"])
def test_edge_values_of_two_arguments(name, dtype):
    a, b = (g.astype(dtype) for g in np.meshgrid(GRID, GRID, indexing="ij"))
    ours = getattr(nerve.special, name)(nerve.tensor(a), nerve.tensor(b)).numpy()
    theirs = getattr(torch.special, name)(torch.tensor(a), torch.tensor(b)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-5 if dtype == np.float32 else 1e-12)


def _leaf(values):
    return nerve.tensor(values, dtype=nerve.float64, requires_grad=True)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_finite_differences(name):
    x = _leaf(UNARY[name])
    fn = getattr(nerve.special, name)
    assert gradcheck(fn, (x,)) and gradgradcheck(fn, (x,))


def test_finite_differences_at_zero_and_of_two_arguments():
    x = _leaf([0.0, 0.7, -1.3])  # (i0e and i1e have a kink at 0: first derivatives there)
    assert gradcheck(nerve.special.i1e, (x,)) and gradcheck(nerve.special.i0e, (x,))
    assert gradgradcheck(nerve.special.i1, (x,))
    a, b = _leaf(ANY), _leaf(POSITIVE)
    assert gradcheck(nerve.special.xlog1py, (a, b)) and gradgradcheck(nerve.special.xlog1py, (a, b))
    s, q = nerve.tensor(ABOVE_ONE, dtype=nerve.float64), _leaf(POSITIVE)
    assert gradgradcheck(lambda t: nerve.special.zeta(s, t), (q,))
    shape = nerve.tensor(POSITIVE, dtype=nerve.float64)
    for fn in (nerve.special.gammainc, nerve.special.gammaincc):
        assert gradgradcheck(lambda t, fn=fn: fn(shape, t), (_leaf(POSITIVE),))


@pytest.mark.parametrize("name", ["log_ndtr", "erfcx", "ndtri", "i1e", "entr"])
def test_second_order_matches_torch(name):
    x = PROBABILITY if name == "ndtri" else POSITIVE
    v = RNG.standard_normal(x.shape)
    check_second_order(lambda lib, t: getattr(lib.special, name)(t).sum(), x, v)


def test_gradients_at_the_edges_of_the_domains():
    for name, values in (("entr", [0.0, -1.0, 1.0]), ("xlog1py", None)):
        if values is None:
            a, b = [0.0, 0.0, 1.0], [-1.0, 2.0, -1.0]
            ours = nerve.special.xlog1py(*(_leaf(v) for v in (a, b)))
            leaves_t = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (a, b)]
            theirs = torch.special.xlog1py(*leaves_t)
        else:
            ours, theirs = getattr(nerve.special, name)(_leaf(values)), None
            leaves_t = [torch.tensor(values, dtype=torch.float64, requires_grad=True)]
            theirs = torch.special.entr(leaves_t[0])
        leaves = list(ours.grad_fn.inputs)
        ours.sum().backward()
        theirs.sum().backward()
        for mine, their in zip(leaves, leaves_t):
            np.testing.assert_allclose(mine.grad.numpy(), their.grad.numpy())


@pytest.mark.parametrize("name", UNARY_EDGES + ["gammaln", "expit", "psi"])
def test_integer_inputs_give_the_default_float_dtype(name):
    assert getattr(nerve.special, name)(nerve.tensor([0, 1])).dtype == nerve.float32
    assert getattr(torch.special, name)(torch.tensor([0, 1])).dtype == torch.float32


def test_two_arguments_promote_as_torch():
    for name in ("xlog1py", "zeta"):
        fn, ref = getattr(nerve.special, name), getattr(torch.special, name)
        for a, b in (([1, 2], [1, 2]), ([1.0, 2.0], 2.0), ([1, 2], 2.0), ([1, 2], [1.0, 2.0])):
            ours = fn(nerve.tensor(a), nerve.tensor(b) if isinstance(b, list) else b)
            theirs = ref(torch.tensor(a), torch.tensor(b) if isinstance(b, list) else b)
            assert str(ours.dtype).split(".")[1] == str(theirs.dtype).split(".")[1]
            np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
        ours, theirs = fn(2.0, nerve.tensor([1.0, 2.0])), ref(2.0, torch.tensor([1.0, 2.0]))
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    half, double = nerve.tensor([1.0, 2.0]), nerve.tensor([1.0, 2.0], dtype=nerve.float64)
    assert nerve.special.gammainc(half, double).dtype == nerve.float64


def test_errors_match_torch():
    ints = nerve.tensor([1, 2])
    with pytest.raises(NotImplementedError, match="\"igamma_cpu\" not implemented for 'Long'"):
        nerve.special.gammainc(ints, ints)
    with pytest.raises(NotImplementedError, match="igammac_cpu"):
        nerve.special.gammaincc(ints, ints)
    with pytest.raises(TypeError, match="argument 'other' \\(position 2\\) must be Tensor"):
        nerve.special.gammainc(nerve.tensor([1.0]), 2.0)
    with pytest.raises(TypeError, match="argument 'input' \\(position 1\\) must be Tensor"):
        nerve.special.gammaincc(2.0, nerve.tensor([1.0]))
    a, x = _leaf([2.0]), _leaf([1.5])
    for fn, what in ((nerve.special.zeta, "'zeta'"), (nerve.special.gammainc, "'igamma: input'")):
        with pytest.raises(NotImplementedError, match=f"the derivative for {what} is not"):
            fn(a, x).sum().backward()
    with pytest.raises(NotImplementedError, match="'igammac: input'"):
        nerve.special.gammaincc(a, x).sum().backward()


@pytest.mark.parametrize("name", ["bessel_j0", "bessel_j1"])
def test_bessel_j_has_no_gradient_as_in_torch(name):
    out = getattr(nerve.special, name)(_leaf([1.0, 2.0]))
    theirs = getattr(torch.special, name)(torch.tensor([1.0, 2.0], requires_grad=True))
    assert out.requires_grad is theirs.requires_grad is False and out.grad_fn is None
    with pytest.raises(RuntimeError):
        theirs.sum().backward()
    with pytest.raises(RuntimeError):
        out.sum().backward()


WIDE = np.concatenate([RNG.standard_normal(64) * 4, RNG.standard_normal(16) * 60, EDGES])
FALLBACKS = {
    "erfcx": (kernels._erfcx_fallback, WIDE),
    "log_ndtr": (kernels._log_ndtr_fallback, WIDE),
    "ndtri": (kernels._ndtri_fallback, np.concatenate([RNG.uniform(0, 1, 64), GRID, [1e-300]])),
    "i0e": (lambda x: kernels._scaled_i_fallback(0, x), WIDE),
    "i1e": (lambda x: kernels._scaled_i_fallback(1, x), WIDE),
    "bessel_j0": (lambda x: kernels._bessel_j_fallback(0, x), WIDE),
    "bessel_j1": (lambda x: kernels._bessel_j_fallback(1, x), WIDE),
}


@pytest.mark.parametrize("name", sorted(FALLBACKS))
def test_numpy_fallbacks_without_scipy(name):
    fallback, x = FALLBACKS[name]
    theirs = getattr(torch.special, name)(torch.tensor(x)).numpy()
    atol = BESSEL_ATOL if name.startswith("bessel") else 1e-15
    np.testing.assert_allclose(fallback(x), theirs, rtol=1e-12, atol=atol)
    ours = getattr(nerve.special, name)(nerve.tensor(x)).numpy()  # (SciPy's where installed)
    np.testing.assert_allclose(fallback(x), ours, rtol=1e-12, atol=1e-14)


def test_numpy_fallbacks_of_two_arguments():
    a, b = (g.ravel() for g in np.meshgrid(GRID, GRID, indexing="ij"))
    a = np.concatenate([a, RNG.uniform(0.01, 30, 64), ABOVE_ONE.ravel()])
    b = np.concatenate([b, RNG.uniform(0, 40, 64), POSITIVE.ravel() * 3 - 4])
    ours = np.vectorize(kernels._zeta_scalar)(a, b)
    theirs = torch.special.zeta(torch.tensor(a), torch.tensor(b)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    for upper, name in ((False, "gammainc"), (True, "gammaincc")):
        with np.errstate(invalid="ignore"):
            ours = np.vectorize(lambda u, v, up=upper: kernels._gammainc_scalar(u, v, up))(a, b)
        theirs = getattr(torch.special, name)(torch.tensor(a), torch.tensor(b)).numpy()
        # (torch's igamma is accurate to about 5e-10 for large a; SciPy's and ours to 1e-14)
        np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=1e-9)
        scipy_or_ours = getattr(nerve.special, name)(nerve.tensor(a), nerve.tensor(b)).numpy()
        np.testing.assert_allclose(ours, scipy_or_ours, rtol=1e-12, atol=1e-14)
