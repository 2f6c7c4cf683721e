"""xlogy, hypot, logaddexp(2), copysign, float_power, fmax/fmin, ldexp, the alias names and
the in-place forms (ops/binary_more.py), and the integer and bool ops of ops/predicates.py,
against torch 2.13."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nerve  # noqa: E402
from parity import DTYPE_IDS, DTYPES, check_function, gradcheck, gradgradcheck  # noqa: E402

RNG = np.random.default_rng(1)
A = RNG.standard_normal((3, 4))
B = RNG.standard_normal((3, 4))
POS = RNG.uniform(0.2, 3.0, (3, 4))
NAMES = ["xlogy", "hypot", "logaddexp", "logaddexp2", "copysign", "fmax", "fmin"]


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("name", NAMES)
def test_values_and_gradients_match_torch(name, dtype):
    second = POS if name == "xlogy" else B
    check_function(getattr(nerve, name), getattr(torch, name), [A, second], dtype, (0, 1))
    check_function(getattr(nerve, name), getattr(torch, name), [A, second[:1]], dtype, (0, 1))


@pytest.mark.parametrize("name", NAMES)
def test_finite_differences(name):
    a = nerve.tensor(A, requires_grad=True)
    b = nerve.tensor(POS if name == "xlogy" else B, requires_grad=True)
    assert gradcheck(getattr(nerve, name), (a, b))
    assert gradgradcheck(getattr(nerve, name), (a, b))


def test_edge_values():
    x = np.array([0.0, 0.0, np.inf, -np.inf, np.nan, 1.0, 2.0])
    y = np.array([0.0, np.nan, np.inf, -np.inf, 1.0, np.nan, -0.0])
    for name in NAMES + ["float_power", "ldexp"]:
        ours = getattr(nerve, name)(nerve.tensor(x), nerve.tensor(y)).numpy()
        theirs = getattr(torch, name)(torch.tensor(x), torch.tensor(y)).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, err_msg=name)


def test_compositions_and_dtypes():
    check_function(nerve.float_power, torch.float_power, [POS, A], np.float32, (0, 1))
    check_function(nerve.ldexp, torch.ldexp, [A, np.array([1, 2, 3, 0])], np.float64, (0,))
    i = nerve.tensor([0, 1, 2])
    assert nerve.float_power(i, 2).dtype == nerve.float64
    assert nerve.xlogy(i, i).dtype == nerve.copysign(i, -1).dtype == nerve.float32
    assert nerve.fmax(i, nerve.tensor([1, 1, 1])).dtype == nerve.int64
    assert nerve.ldexp(i, i).tolist() == [0.0, 2.0, 8.0]
    for name in ("hypot", "logaddexp", "logaddexp2"):
        with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
            getattr(nerve, name)(i, i)


def test_aliases():
    x, y = nerve.tensor([7, -7]), nerve.tensor([2, 2])
    assert nerve.divide(x, y, rounding_mode="floor").tolist() == [3, -4]
    assert nerve.true_divide(x, y).tolist() == [3.5, -3.5]
    assert nerve.multiply(x, y).tolist() == [14, -14]
    assert nerve.subtract(x, y, alpha=2).tolist() == [3, -11]
    for name in ("greater", "greater_equal", "less", "less_equal", "not_equal"):
        assert (
            getattr(nerve, name)(x, 0).tolist()
            == getattr(torch, name)(torch.tensor([7, -7]), 0).tolist()
        )
        assert getattr(x, name)(0).tolist() == getattr(nerve, name)(x, 0).tolist()
    assert nerve.clamp_min(x, 0).tolist() == [7, 0] and x.clamp_max(0).tolist() == [0, -7]


INPLACE = [
    ("xlogy_", POS),
    ("hypot_", B),
    ("copysign_", B),
    ("ldexp_", B),
    ("multiply_", B),
    ("divide_", POS),
    ("true_divide_", POS),
    ("subtract_", B),
    ("clamp_min_", B),
    ("clamp_max_", B),
    ("float_power_", POS),
]


@pytest.mark.parametrize("name,other", INPLACE, ids=[n for n, _ in INPLACE])
def test_inplace_forms(name, other):
    results = []
    for lib in (nerve, torch):
        leaf = lib.tensor(POS, requires_grad=True)
        y = leaf * 1.5
        arg = lib.tensor(other) if name not in ("clamp_min_", "clamp_max_") else 0.5
        assert getattr(y, name)(arg) is y
        y.sum().backward()
        results.append((y.detach().numpy(), leaf.grad.numpy()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-10)


def test_boolean_inplace_forms():
    for name in (
        "eq_",
        "ne_",
        "lt_",
        "le_",
        "gt_",
        "ge_",
        "greater_",
        "less_equal_",
        "logical_and_",
        "logical_or_",
        "logical_xor_",
    ):
        for lib in (nerve, torch):
            leaf = lib.tensor([1.0, 2.0, 0.0], requires_grad=True)
            y = leaf * 1.0
            assert getattr(y, name)(lib.tensor([1.0, 0.0, 0.0])) is y
            y.sum().backward()
            if lib is nerve:
                ours = (y.detach().numpy(), leaf.grad.numpy())
            else:
                np.testing.assert_array_equal(ours[0], y.detach().numpy(), err_msg=name)
                np.testing.assert_array_equal(ours[1], [0.0, 0.0, 0.0], err_msg=name)
    x = nerve.tensor([0, 3])
    assert x.logical_not_() is x and x.tolist() == [1, 0]
    z = nerve.tensor([7.0, -7.0])
    assert z.remainder_(3).tolist() == [1.0, 2.0] and z.floor_divide_(2).tolist() == [0.0, 1.0]
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type Long"):
        nerve.tensor([1, 2]).clamp_min_(1.5)
    with pytest.raises(RuntimeError, match="requires dtype Double"):
        nerve.tensor([2.0]).float_power_(2)


def test_predicates_match_torch():
    f = np.array([-1.0, -0.0, 0.0, np.inf, -np.inf, np.nan])
    for name in ("signbit", "isposinf", "isneginf", "isreal"):
        assert (
            getattr(nerve, name)(nerve.tensor(f)).tolist()
            == getattr(torch, name)(torch.tensor(f)).tolist()
        )
    a, b = [12, -4, 0, 7], [18, 6, 0, -3]
    for name in (
        "gcd",
        "lcm",
        "bitwise_and",
        "bitwise_or",
        "bitwise_xor",
        "bitwise_left_shift",
        "bitwise_right_shift",
    ):
        ours = getattr(nerve, name)(nerve.tensor(a), nerve.tensor(b).abs())
        assert (
            ours.tolist() == getattr(torch, name)(torch.tensor(a), torch.tensor(b).abs()).tolist()
        )
        assert getattr(nerve.tensor(a), name)(nerve.tensor(b).abs()).tolist() == ours.tolist()
    assert (
        nerve.bitwise_not(nerve.tensor(a)).tolist() == torch.bitwise_not(torch.tensor(a)).tolist()
    )
    x = nerve.tensor([12, 10])
    assert x.bitwise_and_(6) is x and x.tolist() == [4, 2]
    m, e = nerve.frexp(nerve.tensor([8.0, 3.0, -0.1]))
    tm, te = torch.frexp(torch.tensor([8.0, 3.0, -0.1]))
    assert m.tolist() == tm.tolist() and e.tolist() == te.tolist() and e.dtype == nerve.int32
    one = nerve.tensor([1.0])
    assert (
        nerve.nextafter(one, one * 2).item()
        == torch.nextafter(torch.tensor([1.0]), torch.tensor([2.0])).item()
    )
    assert not nerve.is_complex(one) and nerve.is_signed(one) and one.is_signed() is True
    assert not nerve.is_signed(nerve.tensor([True])) and nerve.is_same_size(one, one)
    assert nerve.is_nonzero(nerve.tensor([[2]])) and (nerve.tensor([3]) << 1).tolist() == [6]


def test_predicate_errors_as_torch():
    for lib in (nerve, torch):
        with pytest.raises(NotImplementedError, match="not implemented for 'Float'"):
            lib.gcd(lib.tensor([1.0]), lib.tensor([2.0]))
        with pytest.raises(NotImplementedError, match="bitwise_and_cpu"):
            lib.bitwise_and(lib.tensor([1.0]), lib.tensor([2.0]))
        with pytest.raises(RuntimeError, match="only supports floating-point dtypes"):
            lib.frexp(lib.tensor([1]))
        with pytest.raises(RuntimeError, match="with no values is ambiguous"):
            lib.is_nonzero(lib.tensor([]))
        with pytest.raises(RuntimeError, match="more than one value is ambiguous"):
            lib.is_nonzero(lib.tensor([1, 2]))


def test_xlogy_gradient_where_x_is_zero_as_torch():
    # log(y) where x == 0 and y > 0; 0 where y <= 0 (the product is 0 there); NaN stays NaN
    xs, ys = [0.0, 0.0, 0.0, 1.0, 0.0], [2.0, 0.0, -1.0, -1.0, float("nan")]
    grads = []
    for lib in (nerve, torch):
        x = lib.tensor(xs, requires_grad=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            lib.xlogy(x, lib.tensor(ys)).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6)
