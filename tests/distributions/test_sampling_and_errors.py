"""nerve.distributions against torch.distributions 2.13, the random side: sample and rsample
shapes and dtypes, sampling statistics, reparameterized gradients, enumerate_support, modes,
validation errors (type and message), reprs, a REINFORCE step with the same sampled actions and
a VAE loss."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nerve  # noqa: E402
import nerve.distributions as D  # noqa: E402
from parity import assert_close  # noqa: E402

TD = torch.distributions
RNG = np.random.default_rng(1)
LOC = RNG.standard_normal(3)
SCALE = RNG.random(3) + 0.5
X = RNG.standard_normal((4, 3))
LOW = RNG.standard_normal(3)
HIGH = LOW + RNG.random(3) + 0.5
P = RNG.random(3) * 0.8 + 0.1
WEIGHTS = RNG.random((2, 4)) + 0.1  # unnormalised probabilities
LOGITS = RNG.standard_normal((2, 4)) * 2
A = RNG.standard_normal((2, 3, 3))  # covariance = A A^T + I
MV_LOC = RNG.standard_normal((2, 3))


def _cov(lib, a):
    return a @ a.mT + lib.eye(3, dtype=a.dtype)


def _lib(t):
    return nerve if isinstance(t, nerve.Tensor) else torch


SAMPLE_CASES = [
    ("normal", lambda d, v: d.Normal(v(LOC), v(SCALE))),
    ("normal-scalar", lambda d, v: d.Normal(0.0, 1.0)),
    ("uniform", lambda d, v: d.Uniform(v(LOW), v(HIGH))),
    ("bernoulli", lambda d, v: d.Bernoulli(v(P))),
    ("bernoulli-logits", lambda d, v: d.Bernoulli(logits=v(LOC))),
    ("categorical", lambda d, v: d.Categorical(v(WEIGHTS))),
    ("categorical-1d", lambda d, v: d.Categorical(logits=v(LOGITS[0]))),
    ("onehot", lambda d, v: d.OneHotCategorical(v(WEIGHTS))),
    ("independent", lambda d, v: d.Independent(d.Normal(v(X), v(X) * 0 + 1), 1)),
    ("mvn", lambda d, v: d.MultivariateNormal(v(MV_LOC), _cov(_lib(v(A)), v(A)))),
]


@pytest.mark.parametrize("sample_shape", [(), (5,), (2, 3)], ids=str)
@pytest.mark.parametrize("make", [c[1] for c in SAMPLE_CASES], ids=[c[0] for c in SAMPLE_CASES])
def test_sample_shapes_and_dtypes(make, sample_shape) -> None:
    ours = make(D, lambda a: nerve.tensor(np.asarray(a, dtype=np.float32)))
    theirs = make(TD, lambda a: torch.tensor(np.asarray(a, dtype=np.float32)))
    assert ours.batch_shape == tuple(theirs.batch_shape)
    assert ours.event_shape == tuple(theirs.event_shape)
    assert ours.has_rsample == theirs.has_rsample
    assert repr(ours) == repr(theirs).replace("torch.Size", "nerve.Size")
    nerve.manual_seed(0)
    a, b = ours.sample(sample_shape), theirs.sample(sample_shape)
    assert a.shape == tuple(b.shape) and str(a.dtype)[6:] == str(b.dtype)[6:]
    assert not a.requires_grad
    if theirs.has_rsample:
        a, b = ours.rsample(nerve.Size(sample_shape)), theirs.rsample(torch.Size(sample_shape))
        assert a.shape == tuple(b.shape) and a.dtype == nerve.float32
    assert_close(ours.log_prob(a), theirs.log_prob(torch.tensor(a.numpy())), "module")
    expanded = ours.expand((7,) + tuple(ours.batch_shape))
    assert expanded.sample().shape == (7,) + tuple(ours.batch_shape) + tuple(ours.event_shape)


def test_enumerate_support_matches_torch() -> None:
    for ours, theirs in [
        (D.Categorical(nerve.tensor(WEIGHTS)), TD.Categorical(torch.tensor(WEIGHTS))),
        (D.Bernoulli(nerve.tensor(P)), TD.Bernoulli(torch.tensor(P))),
        (D.OneHotCategorical(nerve.tensor(WEIGHTS)), TD.OneHotCategorical(torch.tensor(WEIGHTS))),
    ]:
        for expand in (True, False):
            assert_close(ours.enumerate_support(expand), theirs.enumerate_support(expand))


def test_modes_match_torch() -> None:
    probs = np.array([0.2, 0.5, 0.9])
    assert_close(D.Bernoulli(nerve.tensor(probs)).mode, TD.Bernoulli(torch.tensor(probs)).mode)
    assert_close(
        D.Categorical(nerve.tensor(WEIGHTS)).mode, TD.Categorical(torch.tensor(WEIGHTS)).mode
    )
    assert_close(
        D.OneHotCategorical(nerve.tensor(WEIGHTS)).mode,
        TD.OneHotCategorical(torch.tensor(WEIGHTS)).mode,
    )
    assert_close(D.Uniform(nerve.tensor(LOW), 3.0).mode, TD.Uniform(torch.tensor(LOW), 3.0).mode)
    assert_close(
        D.Categorical(nerve.tensor(WEIGHTS)).mean, TD.Categorical(torch.tensor(WEIGHTS)).mean
    )


def test_sampling_statistics() -> None:
    nerve.manual_seed(1)
    n = 20000
    x = D.Normal(nerve.tensor([1.0, -2.0]), nerve.tensor([0.5, 3.0])).sample((n,)).numpy()
    np.testing.assert_allclose(x.mean(0), [1.0, -2.0], atol=0.06)
    np.testing.assert_allclose(x.std(0), [0.5, 3.0], rtol=0.03)
    u = D.Uniform(-1.0, 3.0).sample((n,)).numpy()
    assert u.min() >= -1 and u.max() < 3 and abs(u.mean() - 1.0) < 0.03
    b = D.Bernoulli(nerve.tensor([0.1, 0.7])).sample((n,)).numpy()
    np.testing.assert_allclose(b.mean(0), [0.1, 0.7], atol=0.015)
    probs = np.array([0.1, 0.2, 0.3, 0.4])
    c = D.Categorical(nerve.tensor(probs * 5)).sample((n,)).numpy()
    np.testing.assert_allclose(np.bincount(c, minlength=4) / n, probs, atol=0.015)
    cov = np.array([[2.0, 0.6], [0.6, 1.0]])
    m = (
        D.MultivariateNormal(nerve.tensor([1.0, 0.0]), nerve.tensor(cov.tolist()))
        .sample((n,))
        .numpy()
    )
    np.testing.assert_allclose(np.cov(m.T), cov, atol=0.08)
    nerve.manual_seed(5)
    first = D.Categorical(logits=nerve.zeros(6)).sample((10,))
    nerve.manual_seed(5)
    assert nerve.equal(first, D.Categorical(logits=nerve.zeros(6)).sample((10,)))


def test_rsample_gradients_are_the_reparameterization() -> None:
    loc = nerve.tensor([0.5, -1.0], dtype=nerve.float64, requires_grad=True)
    scale = nerve.tensor([2.0, 0.3], dtype=nerve.float64, requires_grad=True)
    nerve.manual_seed(3)
    x = D.Normal(loc, scale).rsample((100,))
    x.sum().backward()
    eps = (x.detach() - loc.detach()) / scale.detach()
    np.testing.assert_allclose(loc.grad.numpy(), [100.0, 100.0])
    np.testing.assert_allclose(scale.grad.numpy(), eps.sum(0).numpy())
    low = nerve.tensor(1.0, requires_grad=True)
    high = nerve.tensor(3.0, requires_grad=True)
    u = D.Uniform(low, high).rsample((50,))
    u.sum().backward()
    frac = ((u.detach() - 1.0) / 2.0).sum().item()
    assert math.isclose(high.grad.item(), frac, rel_tol=1e-5)
    assert math.isclose(low.grad.item(), 50 - frac, rel_tol=1e-5)


def _error(make):
    try:
        make()
    except Exception as error:  # noqa: BLE001 - any exception: compared below
        return type(error), str(error).replace("torch.Size", "nerve.Size")
    return None, ""


@pytest.mark.parametrize(
    "make",
    [
        lambda d, v: d.Normal(v([0.0, 1.0]), v([1.0, -1.0])),
        lambda d, v: d.Normal(0.0, 0.0),
        lambda d, v: d.Bernoulli(v([0.5, 1.5])),
        lambda d, v: d.Bernoulli(),
        lambda d, v: d.Categorical(v([0.5, -0.5])),
        lambda d, v: d.Categorical(v(1.0)),
        lambda d, v: d.Categorical(probs=v([1.0]), logits=v([1.0])),
        lambda d, v: d.Uniform(v([2.0]), v([1.0])),
        lambda d, v: d.Normal(0.0, 1.0).log_prob(0.5),
        lambda d, v: d.Normal(v([0.0, 1.0]), 1.0).log_prob(v([1.0, 2.0, 3.0])),
        lambda d, v: d.Normal(0.0, 1.0).log_prob(v(float("nan"))),
        lambda d, v: d.Categorical(v([0.5, 0.5])).log_prob(v(2)),
        lambda d, v: d.Categorical(v([0.5, 0.5])).log_prob(v(0.5)),
        lambda d, v: d.Bernoulli(0.3).log_prob(v(0.5)),
        lambda d, v: d.Uniform(0.0, 1.0).log_prob(v(1.5)),
        lambda d, v: d.MultivariateNormal(v([0.0, 0.0]), v([[1.0, 2.0], [2.0, 1.0]])),
        lambda d, v: d.MultivariateNormal(v([0.0, 0.0]), scale_tril=v([[1.0, 1.0], [0.0, 1.0]])),
        lambda d, v: d.MultivariateNormal(v([0.0, 0.0])),
        lambda d, v: d.MultivariateNormal(v([0.0, 0.0]), v([1.0, 1.0])),
        lambda d, v: d.OneHotCategorical(v([0.5, 0.5])).log_prob(v([1.0, 1.0])),
        lambda d, v: d.Independent(d.Normal(v([0.0]), 1.0), 2),
        lambda d, v: (d.Normal(0.0, 1.0).mode, d.Distribution(validate_args=False).mode),
        lambda d, v: d.MultivariateNormal(v([0.0, 0.0]), precision_matrix=v([1.0, 1.0])),
        lambda d, v: d.MultivariateNormal(v([0.0, 0.0]), scale_tril=v([1.0, 1.0])),
        lambda d, v: d.MultivariateNormal(v(0.0), v([[1.0]])),
    ],
)
def test_validation_errors_match_torch(make) -> None:
    theirs = _error(lambda: make(TD, torch.tensor))
    ours = _error(lambda: make(D, nerve.tensor))
    assert theirs[0] is not None
    assert ours[0] is theirs[0]
    if "Distribution" not in theirs[1]:  # the class's module path differs
        assert ours[1] == theirs[1]


def test_validation_can_be_turned_off() -> None:
    m = D.Normal(0.0, -1.0, validate_args=False)
    assert math.isnan(m.log_prob(nerve.tensor(0.0)).item())
    assert (
        D.Categorical(nerve.tensor([0.5, 0.5]), validate_args=False)
        .log_prob(nerve.tensor(0.5))
        .item()
        < 0
    )
    D.Distribution.set_default_validate_args(False)
    try:
        D.Bernoulli(nerve.tensor(2.0))
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError, match="to satisfy the constraint"):
        D.Bernoulli(nerve.tensor(2.0))


def test_categorical_normalises_its_parameters() -> None:
    m = D.Categorical(probs=nerve.tensor([[1.0, 3.0], [2.0, 2.0]]))
    np.testing.assert_allclose(m.probs.numpy(), [[0.25, 0.75], [0.5, 0.5]])
    assert "logits" not in vars(m) and m.param_shape == (2, 2)
    z = D.Categorical(logits=nerve.tensor([10.0, 11.0, 12.0]))
    assert math.isclose(float(z.logits.exp().sum()), 1.0, rel_tol=1e-6)
    assert_close(z.logits, TD.Categorical(logits=torch.tensor([10.0, 11.0, 12.0])).logits)
    assert D.Categorical(logits=nerve.tensor([0.0, -math.inf])).entropy().item() == 0.0
    assert "probs" in repr(m) and D.constraints.simplex.check(m.probs).all()


def test_reinforce_step_matches_torch() -> None:
    nerve.manual_seed(0)
    torch.manual_seed(0)
    ours, theirs = nerve.nn.Linear(4, 3), torch.nn.Linear(4, 3)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.weight.detach().numpy()))
        theirs.bias.copy_(torch.tensor(ours.bias.detach().numpy()))
    opt_n = nerve.optim.SGD(ours.parameters(), lr=0.1)
    opt_t = torch.optim.SGD(theirs.parameters(), lr=0.1)
    rng = np.random.default_rng(7)
    for _ in range(3):
        states = rng.standard_normal((6, 4)).astype(np.float32)
        rewards = rng.standard_normal(6).astype(np.float32)
        policy = D.Categorical(logits=ours(nerve.tensor(states)))
        actions = policy.sample()
        loss_n = (
            -(policy.log_prob(actions) * nerve.tensor(rewards)).sum()
            - 0.01 * policy.entropy().mean()
        )
        policy_t = TD.Categorical(logits=theirs(torch.tensor(states)))
        loss_t = -(policy_t.log_prob(torch.tensor(actions.numpy())) * torch.tensor(rewards)).sum()
        loss_t = loss_t - 0.01 * policy_t.entropy().mean()
        opt_n.zero_grad()
        opt_t.zero_grad()
        loss_n.backward()
        loss_t.backward()
        assert_close(loss_n, loss_t, "module")
        assert_close(ours.weight.grad, theirs.weight.grad, "module")
        assert_close(ours.bias.grad, theirs.bias.grad, "module")
        opt_n.step()
        opt_t.step()


def test_vae_step_matches_torch() -> None:
    mu, log_std = RNG.standard_normal((3, 2)), RNG.standard_normal((3, 2)) * 0.3
    results = []
    for lib, dist in ((nerve, D), (torch, TD)):
        m = lib.tensor(mu, requires_grad=True)
        s = lib.tensor(log_std, requires_grad=True)
        q = dist.Normal(m, s.exp())
        prior = dist.Normal(lib.zeros(3, 2, dtype=m.dtype), lib.ones(3, 2, dtype=m.dtype))
        z = m + s.exp() * lib.tensor(X[:3, :2])  # the same noise: rsample's formula
        loss = dist.kl_divergence(q, prior).sum() + (z**2).sum() + q.log_prob(z.detach()).sum()
        loss.backward()
        results.append((loss, m.grad, s.grad))
    for a, b in zip(*results):
        assert_close(a, b, "module")


def test_import_paths() -> None:
    from nerve.distributions import Categorical

    assert nerve.distributions.Categorical is Categorical
    assert isinstance(D.constraints.positive, D.constraints.Constraint)
    assert D.constraints.is_dependent(D.Categorical.support)
    assert repr(D.constraints.integer_interval(0, 3)) == repr(TD.constraints.integer_interval(0, 3))
    assert repr(D.Independent(D.Normal(nerve.zeros(2), 1.0), 1).support) == repr(
        TD.Independent(TD.Normal(torch.zeros(2), 1.0), 1).support
    )
