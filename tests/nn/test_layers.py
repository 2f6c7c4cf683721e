"""Every layer against torch.nn: the same parameters and input give the same output and the
same gradients of the input and of every parameter, in float64 and float32."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nerve  # noqa: E402
from nerve import nn  # noqa: E402
from parity import DTYPE_IDS, DTYPES, check_module  # noqa: E402


def _values(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """Normal values plus some far from zero, but none at a kink (0, +-1, 6)."""
    x = np.random.default_rng(seed).standard_normal(shape) * 2.5
    for kink in (0.0, 1.0, -1.0, 6.0, 0.5, -0.5):
        x[np.abs(x - kink) < 1e-3] += 0.01
    return x


# (id, nerve factory, torch factory, input shape): factories take the module namespace.
LAYERS = [
    ("linear-1d", lambda m: m.Linear(5, 3), (5,)),
    ("linear-2d", lambda m: m.Linear(5, 3), (4, 5)),
    ("linear-3d", lambda m: m.Linear(5, 3), (2, 4, 5)),
    ("linear-nobias-1d", lambda m: m.Linear(5, 3, bias=False), (5,)),
    ("linear-nobias-3d", lambda m: m.Linear(5, 3, bias=False), (2, 4, 5)),
    ("identity", lambda m: m.Identity(), (3, 4)),
    ("flatten", lambda m: m.Flatten(), (2, 3, 4)),
    ("flatten-0", lambda m: m.Flatten(0, 1), (2, 3, 4)),
    ("unflatten", lambda m: m.Unflatten(1, (3, 4)), (2, 12)),
    ("relu", lambda m: m.ReLU(), (4, 6)),
    ("leaky_relu", lambda m: m.LeakyReLU(), (4, 6)),
    ("leaky_relu-0.2", lambda m: m.LeakyReLU(0.2), (4, 6)),
    ("prelu-1", lambda m: m.PReLU(), (4, 3, 5)),
    ("prelu-channels-2d", lambda m: m.PReLU(3, init=0.1), (4, 3)),
    ("prelu-channels-3d", lambda m: m.PReLU(3), (4, 3, 5)),
    ("prelu-1-1d", lambda m: m.PReLU(), (7,)),
    ("elu", lambda m: m.ELU(), (4, 6)),
    ("elu-alpha", lambda m: m.ELU(alpha=0.5), (4, 6)),
    ("gelu", lambda m: m.GELU(), (4, 6)),
    ("gelu-tanh", lambda m: m.GELU("tanh"), (4, 6)),
    ("silu", lambda m: m.SiLU(), (4, 6)),
    ("sigmoid", lambda m: m.Sigmoid(), (4, 6)),
    ("tanh", lambda m: m.Tanh(), (4, 6)),
    ("hardtanh", lambda m: m.Hardtanh(), (4, 6)),
    ("hardtanh-range", lambda m: m.Hardtanh(-0.5, 2.0), (4, 6)),
    ("relu6", lambda m: m.ReLU6(), (4, 6)),
    ("softplus", lambda m: m.Softplus(), (4, 6)),
    ("softplus-beta", lambda m: m.Softplus(beta=2.0, threshold=3.0), (4, 6)),
    ("softmax-1", lambda m: m.Softmax(dim=1), (4, 6)),
    ("softmax-0", lambda m: m.Softmax(dim=0), (4, 6)),
    ("softmax-last", lambda m: m.Softmax(dim=-1), (2, 3, 4)),
    ("log_softmax-1", lambda m: m.LogSoftmax(dim=1), (4, 6)),
    ("log_softmax-0", lambda m: m.LogSoftmax(dim=0), (2, 3, 4)),
    ("layer_norm", lambda m: m.LayerNorm(6), (4, 6)),
    ("layer_norm-2d", lambda m: m.LayerNorm((3, 4)), (2, 3, 4)),
    ("layer_norm-noaffine", lambda m: m.LayerNorm(6, elementwise_affine=False), (4, 6)),
    ("layer_norm-nobias", lambda m: m.LayerNorm(6, bias=False), (4, 6)),
    ("batch_norm-2d", lambda m: m.BatchNorm1d(3), (8, 3)),
    ("batch_norm-3d", lambda m: m.BatchNorm1d(3), (4, 3, 5)),
    ("batch_norm-noaffine", lambda m: m.BatchNorm1d(3, affine=False), (8, 3)),
    ("batch_norm-untracked", lambda m: m.BatchNorm1d(3, track_running_stats=False), (8, 3)),
    (
        "mlp",
        lambda m: m.Sequential(m.Linear(4, 8), m.Tanh(), m.Linear(8, 8), m.ReLU(), m.Linear(8, 2)),
        (5, 4),
    ),
]


def _randomize(module: nerve.nn.Module) -> None:
    """Parameters away from their constant defaults, so gradients depend on them."""
    rng = np.random.default_rng(3)
    for p in module.parameters():
        p.data = nerve.tensor(rng.uniform(0.2, 1.5, tuple(p.shape)), dtype=p.dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("make, shape", [c[1:] for c in LAYERS], ids=[c[0] for c in LAYERS])
def test_layer_matches_torch(make, shape, dtype):
    ours, theirs = make(nn), make(torch.nn)
    _randomize(ours)
    check_module(ours, theirs, _values(shape), dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("make, shape", [c[1:] for c in LAYERS], ids=[c[0] for c in LAYERS])
def test_layer_in_eval_mode_matches_torch(make, shape, dtype):
    ours, theirs = make(nn).eval(), make(torch.nn).eval()
    _randomize(ours)
    check_module(ours, theirs, _values(shape, seed=1), dtype)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_on_extreme_inputs(approximate):
    x = np.array([-40.0, -8.0, -3.0, 3.0, 8.0, 40.0])
    check_module(nn.GELU(approximate), torch.nn.GELU(approximate), x)


def test_softplus_above_threshold_is_identity_like_torch():
    x = np.array([-30.0, -5.0, 19.0, 21.0, 50.0])
    check_module(nn.Softplus(), torch.nn.Softplus(), x)
    check_module(nn.Softplus(beta=3, threshold=5), torch.nn.Softplus(beta=3, threshold=5), x)


def test_kinks_have_torchs_subgradient():
    """At the kinks (relu at 0, hardtanh at its bounds, leaky relu at 0) torch picks a side."""
    x = np.array([-1.0, 0.0, 1.0, -6.0, 6.0, 2.0])
    for make in (
        lambda m: m.ReLU(),
        lambda m: m.LeakyReLU(0.1),
        lambda m: m.Hardtanh(),
        lambda m: m.ReLU6(),
        lambda m: m.ELU(),
        lambda m: m.PReLU(),
    ):
        check_module(make(nn), make(torch.nn), x)


def test_layers_keep_float32_by_default():
    x = nerve.randn(4, 5)
    for layer in (nn.Linear(5, 3), nn.BatchNorm1d(5), nn.LayerNorm(5), nn.PReLU(), nn.GELU()):
        assert layer(x).dtype == nerve.float32
        assert all(p.dtype == nerve.float32 for p in layer.parameters())


def test_linear_rejects_wrong_input_size_with_shapes_in_message():
    with pytest.raises(RuntimeError, match=r"\[4, 6\].*\[3, 5\]"):
        nn.Linear(5, 3)(nerve.zeros(4, 6))


def test_batch_norm_rejects_wrong_feature_count():
    with pytest.raises(ValueError, match="3"):
        nn.BatchNorm1d(3)(nerve.zeros(4, 5))
