"""BatchNorm2d, GroupNorm, InstanceNorm1d/2d and Dropout1d/2d against torch 2.13: outputs,
gradients and running statistics over several steps (float64 and float32), evaluation mode,
finite differences (first and second order), reprs, state_dict keys and torch's errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import torch.nn.functional as TF  # noqa: E402

import nerve  # noqa: E402
import nerve.nn.functional as F  # noqa: E402
from nerve import nn  # noqa: E402
from parity import (  # noqa: E402
    DTYPE_IDS,
    DTYPES,
    check_function,
    check_module,
    close,
    gradgradcheck,
)

RNG = np.random.default_rng(0)

LAYERS = [
    ("bn2d", lambda m: m.BatchNorm2d(3), (4, 3, 3, 2)),
    ("bn2d-momentum-none", lambda m: m.BatchNorm2d(3, momentum=None), (4, 3, 3, 2)),
    ("bn2d-untracked", lambda m: m.BatchNorm2d(3, track_running_stats=False), (4, 3, 3, 2)),
    ("bn2d-no-affine", lambda m: m.BatchNorm2d(3, affine=False), (4, 3, 3, 2)),
    ("bn3d", lambda m: m.BatchNorm3d(2), (2, 2, 2, 2, 3)),
    ("groupnorm", lambda m: m.GroupNorm(2, 6), (3, 6, 2, 3)),
    ("groupnorm-no-affine", lambda m: m.GroupNorm(3, 6, affine=False), (3, 6, 2, 3)),
    ("instancenorm2d", lambda m: m.InstanceNorm2d(3), (2, 3, 3, 4)),
    (
        "instancenorm2d-tracked",
        lambda m: m.InstanceNorm2d(3, affine=True, track_running_stats=True),
        (2, 3, 3, 4),
    ),
    ("instancenorm2d-unbatched", lambda m: m.InstanceNorm2d(3, affine=True), (3, 3, 4)),
    ("instancenorm1d", lambda m: m.InstanceNorm1d(3, track_running_stats=True), (2, 3, 5)),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("make, shape", [c[1:] for c in LAYERS], ids=[c[0] for c in LAYERS])
def test_training_steps_then_evaluation(make, shape, dtype):
    ours, theirs = make(nn), make(torch.nn)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for step in range(3):
        x = RNG.standard_normal(shape) * (step + 1) + step  # the statistics drift
        ours.zero_grad()
        theirs.zero_grad()
        check_module(ours, theirs, x, dtype)
        for name, buffer in theirs.named_buffers():
            close(getattr(ours, name), buffer, dtype, name)
    ours.eval()
    theirs.eval()
    check_module(ours, theirs, RNG.standard_normal(shape), dtype)


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: F.group_norm(x, 2),
        lambda x: F.instance_norm(x),
        lambda x: nn.BatchNorm2d(2).double()(x),
    ],
    ids=["group_norm", "instance_norm", "batch_norm2d"],
)
def test_second_order_finite_differences(fn):
    x = nerve.tensor(RNG.standard_normal((2, 2, 2, 3)), requires_grad=True)
    assert gradgradcheck(fn, [x])


def test_functionals_against_torch():
    x = RNG.standard_normal((2, 4, 3, 3))
    weight, bias = RNG.standard_normal(4), RNG.standard_normal(4)
    check_function(F.group_norm, TF.group_norm, [x, 2, weight, bias], grads=(0, 2, 3))
    check_function(F.instance_norm, TF.instance_norm, [x], eps=0.1)


def test_convert_sync_batchnorm_takes_batchnorm2d():
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    converted = nn.parallel.SyncBatchNorm.convert_sync_batchnorm(net)
    assert type(converted[1]).__name__ == "SyncBatchNorm"
    assert converted[1].running_mean is net[1].running_mean
    # in one process it normalizes as BatchNorm2d does, with the same running statistics
    x = nerve.randn(4, 2, 3, 3)
    reference = nn.BatchNorm2d(2)
    close(converted[1](x), reference(x))
    close(converted[1].running_var, reference.running_var)


@pytest.mark.parametrize("p", [0.0, 0.3, 1.0])
def test_dropout2d_zeroes_whole_channels(p):
    nerve.manual_seed(0)
    x = nerve.ones(40, 30, 2, 3)
    out = nn.Dropout2d(p)(x).numpy()
    assert (out == out[:, :, :1, :1]).all()  # each channel kept or zeroed whole
    kept = out[:, :, 0, 0]
    assert set(np.unique(kept).tolist()) <= {0.0, float(np.float32(1 / (1 - p))) if p < 1 else 0.0}
    assert abs((kept == 0).mean() - p) < 0.06
    assert np.array_equal(nn.Dropout2d(p).eval()(x).numpy(), x.numpy())


def test_dropout1d_and_gradient():
    nerve.manual_seed(1)
    x = nerve.ones(20, 8, 5, requires_grad=True)
    out = F.dropout1d(x, 0.5)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), out.detach().numpy())  # the mask, scaled
    mask = out.detach().numpy()
    assert (mask == mask[:, :, :1]).all()
    unbatched = nn.Dropout1d(0.5)(nerve.ones(8, 5)).numpy()
    assert (unbatched == unbatched[:, :1]).all()


def test_dropout2d_warns_as_torch_on_3d_input():
    for lib in (F, TF):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            lib.dropout2d((nerve if lib is F else torch).ones(2, 3, 4), 0.5)
        assert any("Received a 3D input to dropout2d" in str(w.message) for w in caught)


ERRORS = [
    (lambda m, x: m.BatchNorm2d(3)(x[0]), ValueError, "expected 4D input (got 3D input)"),
    (lambda m, x: m.BatchNorm2d(3)(x[:1, :, :1, :1]), ValueError, "more than 1 value per channel"),
    (lambda m, x: m.GroupNorm(2, 3), ValueError, "must be divisible by num_groups"),
    (lambda m, x: m.InstanceNorm2d(3)(x[0, 0]), ValueError, "expected 3D or 4D input"),
    (lambda m, x: m.InstanceNorm2d(3)(x[:, :, :1, :1]), ValueError, "more than 1 spatial"),
    (lambda m, x: m.InstanceNorm2d(2, affine=True)(x), ValueError, "to match num_features"),
    (lambda m, x: m.Dropout2d(1.5), ValueError, "between 0 and 1"),
]


@pytest.mark.parametrize("call, kind, message", ERRORS, ids=[e[2] for e in ERRORS])
def test_errors_as_torch(call, kind, message):
    x = RNG.standard_normal((2, 3, 4, 4))
    for lib, array in ((torch.nn, torch.tensor(x)), (nn, nerve.tensor(x))):
        with pytest.raises(kind) as raised:
            call(lib, array)
        assert message in str(raised.value)


def test_group_norm_and_dropout1d_errors():
    with pytest.raises(RuntimeError, match="divisible by num_groups"):
        F.group_norm(nerve.ones(1, 3, 2, 2), 2)
    with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input"):
        F.dropout1d(nerve.ones(1, 3, 2, 2), 0.5)
