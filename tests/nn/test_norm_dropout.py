"""BatchNorm1d's running statistics and modes, LayerNorm, and Dropout's statistics."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nerve  # noqa: E402
from nerve import nn  # noqa: E402
from parity import DTYPE_IDS, DTYPES, check_module, close, copy_parameters  # noqa: E402

BATCH_NORMS = [
    ("default-2d", {}, (16, 3)),
    ("default-3d", {}, (4, 3, 5)),
    ("momentum-0.3", {"momentum": 0.3}, (16, 3)),
    ("momentum-none", {"momentum": None}, (16, 3)),
    ("momentum-none-3d", {"momentum": None}, (4, 3, 5)),
    ("affine-false", {"affine": False}, (16, 3)),
    ("eps", {"eps": 0.1}, (6, 3)),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize(
    "kwargs, shape", [c[1:] for c in BATCH_NORMS], ids=[c[0] for c in BATCH_NORMS]
)
def test_batch_norm_running_stats_after_several_steps(kwargs, shape, dtype):
    ours, theirs = nn.BatchNorm1d(3, **kwargs), torch.nn.BatchNorm1d(3, **kwargs)
    rng = np.random.default_rng(0)
    for step in range(5):
        x = rng.standard_normal(shape) * (step + 1) + step  # the statistics drift
        ours.zero_grad()
        theirs.zero_grad()
        check_module(ours, theirs, x, dtype)
        for name, buffer in theirs.named_buffers():
            close(getattr(ours, name), buffer, dtype, name)
    assert int(ours.num_batches_tracked) == 5
    assert ours.num_batches_tracked.dtype == nerve.int64
    # Evaluation uses the running estimates (and leaves them alone).
    ours.eval(), theirs.eval()
    check_module(ours, theirs, rng.standard_normal(shape), dtype)
    close(ours.running_mean, theirs.running_mean, dtype, "running_mean after eval")
    assert int(ours.num_batches_tracked) == 5


def test_batch_norm_without_running_stats_uses_batch_stats_in_eval():
    ours = nn.BatchNorm1d(3, track_running_stats=False)
    theirs = torch.nn.BatchNorm1d(3, track_running_stats=False)
    assert ours.running_mean is None and dict(ours.named_buffers()) == {}
    x = np.random.default_rng(1).standard_normal((8, 3)) * 3 + 1
    check_module(ours.eval(), theirs.eval(), x)
    out = ours(nerve.tensor(x))
    close(out.mean(dim=0), np.zeros(3), np.float64, "mean of normalized output")


def test_batch_norm_train_and_eval_outputs_differ():
    bn = nn.BatchNorm1d(2)
    x = nerve.randn(32, 2) * 5 + 3
    train_out = bn(x)
    eval_out = bn.eval()(x)
    assert not bool(nerve.allclose(train_out, eval_out))


def test_batch_norm_needs_more_than_one_value_per_channel_in_training():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(nerve.zeros(1, 3))
    nn.BatchNorm1d(3).eval()(nerve.zeros(1, 3))  # fine in evaluation mode


def test_batch_norm_functional_matches_torch():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((6, 3, 2))
    rm, rv = rng.standard_normal(3), rng.uniform(0.5, 2, 3)
    w, b = rng.standard_normal(3), rng.standard_normal(3)
    for training in (True, False):
        ours = [nerve.tensor(a.copy()) for a in (rm, rv)]
        theirs = [torch.tensor(a.copy()) for a in (rm, rv)]
        out_n = nn.functional.batch_norm(
            nerve.tensor(x), *ours, nerve.tensor(w), nerve.tensor(b), training, 0.2, 1e-3
        )
        out_t = torch.nn.functional.batch_norm(
            torch.tensor(x), *theirs, torch.tensor(w), torch.tensor(b), training, 0.2, 1e-3
        )
        close(out_n, out_t)
        close(ours[0], theirs[0], what="running_mean")
        close(ours[1], theirs[1], what="running_var")


def test_layer_norm_functional_matches_torch():
    x = np.random.default_rng(3).standard_normal((2, 3, 4))
    w, b = np.random.default_rng(4).standard_normal((2, 3, 4))[0], np.ones((3, 4)) * 0.5
    xn, xt = nerve.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    wn, wt = nerve.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    out_n = nn.functional.layer_norm(xn, (3, 4), wn, nerve.tensor(b), 1e-3)
    out_t = torch.nn.functional.layer_norm(xt, (3, 4), wt, torch.tensor(b), 1e-3)
    close(out_n, out_t)
    (out_n * out_n.detach()).sum().backward()
    (out_t * out_t.detach()).sum().backward()
    close(xn.grad, xt.grad, what="input gradient")
    close(wn.grad, wt.grad, what="weight gradient")


def test_layer_norm_rejects_wrong_trailing_shape():
    with pytest.raises(RuntimeError, match="normalized_shape"):
        nn.LayerNorm(4)(nerve.zeros(2, 5))


# -- Dropout -------------------------------------------------------------------------------


def test_dropout_in_eval_mode_is_the_identity():
    x = nerve.randn(100, requires_grad=True)
    drop = nn.Dropout(0.7).eval()
    out = drop(x)
    assert bool((out == x).all())
    out.sum().backward()
    assert bool((x.grad == 1).all())
    assert nn.functional.dropout(x, 0.7, training=False) is x


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_in_training_zeroes_about_p_and_scales_the_rest(p):
    nerve.manual_seed(0)
    n = 40_000
    x = nerve.ones(n, requires_grad=True)
    out = nn.Dropout(p)(x)
    values = out.detach().numpy()
    zeros = values == 0
    # The zeroed fraction is Binomial(n, p)/n: within 5 standard deviations.
    assert abs(zeros.mean() - p) < 5 * np.sqrt(p * (1 - p) / n)
    np.testing.assert_allclose(values[~zeros], 1 / (1 - p), rtol=1e-6)
    # The expectation is preserved, and the gradient uses the same mask and scale.
    assert abs(values.mean() - 1) < 5 * np.sqrt(p / (1 - p) / n)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), values)


def test_dropout_edge_probabilities_and_reproducibility():
    x = nerve.randn(50)
    assert bool((nn.Dropout(0.0)(x) == x).all())
    assert bool((nn.Dropout(1.0)(x) == 0).all())
    nerve.manual_seed(7)
    a = nn.Dropout(0.5)(x)
    nerve.manual_seed(7)
    b = nn.Dropout(0.5)(x)
    assert bool((a == b).all())
    assert nn.Dropout(0.5)(x).dtype == x.dtype
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)


def test_dropout_follows_module_train_and_eval():
    net = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5))
    x = nerve.ones(8, 4)
    net.eval()
    assert bool((net(x) == net(x)).all())
    net.train()
    nerve.manual_seed(1)
    assert int((net[1](nerve.ones(1000)) == 0).sum()) > 300


def test_batch_norm_parameters_copy_roundtrip_names():
    ours, theirs = nn.BatchNorm1d(4), torch.nn.BatchNorm1d(4)
    copy_parameters(ours, theirs)
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
