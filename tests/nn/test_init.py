"""Initialisation: torch's default distributions for each layer, nerve.nn.init's functions
(checked by bounds and Kolmogorov-Smirnov-like statistics) and calculate_gain's values."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nerve  # noqa: E402
from nerve import nn  # noqa: E402
from nerve.nn import init  # noqa: E402

# Kolmogorov-Smirnov critical value at the 0.1% level is about 1.95 / sqrt(n); seeds are fixed,
# so these tests are deterministic, and a wrong distribution misses by far more.
KS = 1.95


def _ks(sample: np.ndarray, cdf) -> float:
    """The largest distance between the sample's empirical CDF and ``cdf``."""
    x = np.sort(sample.ravel())
    n = x.size
    expected = cdf(x)
    return float(
        max(np.max(np.arange(1, n + 1) / n - expected), np.max(expected - np.arange(n) / n))
    )


def _uniform_cdf(a: float, b: float):
    return lambda x: np.clip((x - a) / (b - a), 0, 1)


def _normal_cdf(mean: float, std: float):
    erf = np.vectorize(math.erf)
    return lambda x: 0.5 * (1 + erf((x - mean) / (std * math.sqrt(2))))


def _assert_uniform(values: np.ndarray, bound: float) -> None:
    assert values.min() >= -bound and values.max() <= bound
    assert values.max() > 0.99 * bound and values.min() < -0.99 * bound
    assert _ks(values, _uniform_cdf(-bound, bound)) < KS / math.sqrt(values.size)


def _assert_normal(values: np.ndarray, std: float, mean: float = 0.0) -> None:
    assert _ks(values, _normal_cdf(mean, std)) < KS / math.sqrt(values.size)


@pytest.mark.parametrize("in_features, out_features", [(300, 200), (7, 3000)])
def test_linear_default_init_is_uniform_in_one_over_sqrt_fan_in(in_features, out_features):
    nerve.manual_seed(0)
    layer = nn.Linear(in_features, out_features)
    bound = 1 / math.sqrt(in_features)
    _assert_uniform(layer.weight.detach().numpy(), bound)
    bias = layer.bias.detach().numpy()
    assert bias.min() >= -bound and bias.max() <= bound
    if bias.size >= 1000:
        _assert_uniform(bias, bound)
    # torch's layer has the same bound (compare its extremes, not its random values)
    theirs = torch.nn.Linear(in_features, out_features)
    assert abs(theirs.weight.abs().max().item() - bound) < 0.01 * bound


def test_init_is_reproducible_and_uses_the_default_generator():
    nerve.manual_seed(5)
    a = nn.Linear(4, 3).weight.detach().numpy().copy()
    nerve.manual_seed(5)
    b = nn.Linear(4, 3).weight.detach().numpy().copy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, nn.Linear(4, 3).weight.detach().numpy())


def test_normalization_and_prelu_defaults_like_torch():
    pairs = [
        (nn.BatchNorm1d(5), torch.nn.BatchNorm1d(5)),
        (nn.LayerNorm((2, 3)), torch.nn.LayerNorm((2, 3))),
        (nn.PReLU(), torch.nn.PReLU()),
        (nn.PReLU(4, init=0.1), torch.nn.PReLU(4, init=0.1)),
    ]
    for ours, theirs in pairs:
        mine = ours.state_dict()
        for key, value in theirs.state_dict().items():
            np.testing.assert_array_equal(mine[key].numpy(), value.numpy(), err_msg=key)
            assert mine[key].dtype == getattr(nerve, str(value.dtype).removeprefix("torch."))


@pytest.mark.parametrize(
    "nonlinearity, param",
    [
        ("linear", None),
        ("conv1d", None),
        ("conv2d", None),
        ("conv_transpose2d", None),
        ("sigmoid", None),
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", None),
        ("leaky_relu", 0.2),
        ("leaky_relu", 2),
        ("leaky_relu", math.sqrt(5)),
        ("selu", None),
    ],
)
def test_calculate_gain_equals_torch(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == torch.nn.init.calculate_gain(
        nonlinearity, param
    )


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="negative_slope"):
        init.calculate_gain("leaky_relu", True)


def test_constant_zeros_ones_and_no_graph():
    w = nn.Parameter(nerve.empty(3, 4))
    assert init.constant_(w, 0.5) is w
    assert bool((w == 0.5).all()) and w.requires_grad and w.grad_fn is None
    init.zeros_(w)
    assert bool((w == 0).all())
    init.ones_(w)
    assert bool((w == 1).all())
    init.eye_(w)
    np.testing.assert_array_equal(w.detach().numpy(), np.eye(3, 4))


def test_uniform_and_normal():
    nerve.manual_seed(1)
    w = nerve.empty(200, 100)
    init.uniform_(w, -2.0, 3.0)
    values = w.numpy()
    assert values.min() >= -2 and values.max() <= 3
    assert _ks(values, _uniform_cdf(-2, 3)) < KS / math.sqrt(values.size)
    init.normal_(w, mean=1.0, std=0.5)
    _assert_normal(w.numpy(), 0.5, mean=1.0)
    assert w.dtype == nerve.float32


def test_trunc_normal_stays_in_its_absolute_bounds():
    nerve.manual_seed(6)
    w = nerve.empty(100, 100)
    init.trunc_normal_(w, mean=0.5, std=1.0, a=-0.5, b=1.0)
    values = w.numpy()
    assert values.min() >= -0.5 and values.max() <= 1.0
    cdf = _normal_cdf(0.5, 1.0)
    low, high = cdf(np.array(-0.5)), cdf(np.array(1.0))
    truncated = lambda x: (cdf(x) - low) / (high - low)  # noqa: E731
    assert _ks(values, truncated) < KS / math.sqrt(values.size)


def test_init_with_a_generator_is_reproducible():
    w1, w2 = nerve.empty(10), nerve.empty(10)
    init.normal_(w1, generator=nerve.Generator().manual_seed(3))
    init.normal_(w2, generator=nerve.Generator().manual_seed(3))
    assert bool((w1 == w2).all())


@pytest.mark.parametrize("gain", [1.0, 2.0])
def test_xavier(gain):
    nerve.manual_seed(2)
    w = nerve.empty(300, 200)
    init.xavier_uniform_(w, gain=gain)
    _assert_uniform(w.numpy(), gain * math.sqrt(6 / 500))
    init.xavier_normal_(w, gain=gain)
    _assert_normal(w.numpy(), gain * math.sqrt(2 / 500))


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
@pytest.mark.parametrize(
    "nonlinearity, a", [("relu", 0), ("leaky_relu", 0), ("leaky_relu", 0.2), ("tanh", 0)]
)
def test_kaiming(mode, nonlinearity, a):
    nerve.manual_seed(3)
    w = nerve.empty(400, 150)  # fan_in 150, fan_out 400
    fan = 150 if mode == "fan_in" else 400
    std = torch.nn.init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    init.kaiming_uniform_(w, a=a, mode=mode, nonlinearity=nonlinearity)
    _assert_uniform(w.numpy(), math.sqrt(3) * std)
    init.kaiming_normal_(w, a=a, mode=mode, nonlinearity=nonlinearity)
    _assert_normal(w.numpy(), std)


def test_fans_of_higher_dimensional_tensors():
    nerve.manual_seed(4)
    w = nerve.empty(64, 32, 3, 3)  # a conv kernel: fan_in 32*9, fan_out 64*9
    init.kaiming_uniform_(w, mode="fan_out")
    bound = math.sqrt(3) * init.calculate_gain("leaky_relu", 0) / math.sqrt(64 * 9)
    _assert_uniform(w.numpy(), bound)


def test_init_errors():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(nerve.empty(5))
    with pytest.raises(ValueError, match="fan_in, fan_out"):
        init.kaiming_normal_(nerve.empty(2, 2), mode="fan_avg")
    init.kaiming_uniform_(nerve.empty(0, 3))  # nothing to fill: no error, as torch
