"""nerve.distributions against torch.distributions 2.13, the deterministic side: log_prob, cdf,
icdf, entropy, moments and KL divergences with their gradients (float64 and float32), and
finite differences. Sampling, validation and training steps: test_sampling_and_errors.py."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nerve  # noqa: E402
import nerve.distributions as D  # noqa: E402
from parity import DTYPE_IDS, DTYPES, assert_close, check_function, gradcheck  # noqa: E402

TD = torch.distributions
RNG = np.random.default_rng(0)
LOC = RNG.standard_normal(3)
SCALE = RNG.random(3) + 0.5
X = RNG.standard_normal((4, 3))
LOW = RNG.standard_normal(3)
HIGH = LOW + RNG.random(3) + 0.5
INSIDE = LOW + RNG.random((4, 3)) * (HIGH - LOW)
P = RNG.random(3) * 0.8 + 0.1
BITS = RNG.integers(0, 2, (4, 3)).astype(np.float64)
WEIGHTS = RNG.random((2, 4)) + 0.1  # unnormalised probabilities
LOGITS = RNG.standard_normal((2, 4)) * 2
INDEX = RNG.integers(0, 4, (5, 2))
ONE_HOT = np.eye(4)[INDEX]
Q01 = RNG.random((4, 3)) * 0.9 + 0.05
A = RNG.standard_normal((2, 3, 3))  # covariance = A A^T + I
MV_LOC = RNG.standard_normal((2, 3))
MV_X = RNG.standard_normal((4, 2, 3))


def _cov(lib, a):
    return a @ a.mT + lib.eye(3, dtype=a.dtype)


def _tril(lib, a):
    return lib.linalg.cholesky(_cov(lib, a))


def _lib(t):
    return nerve if isinstance(t, nerve.Tensor) else torch


def _dist(t):
    return D if isinstance(t, nerve.Tensor) else TD


# (id, function of tensors (nerve's or torch's), inputs, differentiable inputs)
CASES = [
    (
        "normal.log_prob",
        lambda m, s, x: _dist(m).Normal(m, s).log_prob(x),
        [LOC, SCALE, X],
        (0, 1, 2),
    ),
    ("normal.cdf", lambda m, s, x: _dist(m).Normal(m, s).cdf(x), [LOC, SCALE, X], (0, 1, 2)),
    ("normal.icdf", lambda m, s, q: _dist(m).Normal(m, s).icdf(q), [LOC, SCALE, Q01], (0, 1, 2)),
    ("normal.entropy", lambda m, s: _dist(m).Normal(m, s).entropy(), [LOC, SCALE], (0, 1)),
    ("normal.variance", lambda m, s: _dist(m).Normal(m, s).variance, [LOC, SCALE], (0, 1)),
    ("normal.stddev", lambda m, s: _dist(m).Normal(m, s).stddev, [LOC, SCALE], (1,)),
    ("normal.mean", lambda m, s: _dist(m).Normal(m, s).mean, [LOC, SCALE], (0,)),
    ("normal.mode", lambda m, s: _dist(m).Normal(m, s).mode, [LOC, SCALE], (0,)),
    ("normal.scalar-scale", lambda m, x: _dist(m).Normal(m, 2.0).log_prob(x), [LOC, X], (0, 1)),
    (
        "uniform.log_prob",
        lambda a, b, x: _dist(a).Uniform(a, b).log_prob(x),
        [LOW, HIGH, INSIDE],
        (0, 1),
    ),
    ("uniform.cdf", lambda a, b, x: _dist(a).Uniform(a, b).cdf(x), [LOW, HIGH, INSIDE], (0, 1, 2)),
    ("uniform.icdf", lambda a, b, q: _dist(a).Uniform(a, b).icdf(q), [LOW, HIGH, Q01], (0, 1, 2)),
    ("uniform.entropy", lambda a, b: _dist(a).Uniform(a, b).entropy(), [LOW, HIGH], (0, 1)),
    ("uniform.mean", lambda a, b: _dist(a).Uniform(a, b).mean, [LOW, HIGH], (0, 1)),
    ("uniform.variance", lambda a, b: _dist(a).Uniform(a, b).variance, [LOW, HIGH], (0, 1)),
    ("uniform.stddev", lambda a, b: _dist(a).Uniform(a, b).stddev, [LOW, HIGH], (0, 1)),
    ("bernoulli.log_prob", lambda p, x: _dist(p).Bernoulli(p).log_prob(x), [P, BITS], (0,)),
    ("bernoulli.entropy", lambda p: _dist(p).Bernoulli(p).entropy(), [P], (0,)),
    ("bernoulli.variance", lambda p: _dist(p).Bernoulli(p).variance, [P], (0,)),
    ("bernoulli.logits", lambda p: _dist(p).Bernoulli(p).logits, [P], (0,)),
    ("bernoulli.mean", lambda p: _dist(p).Bernoulli(p).mean, [P], (0,)),
    (
        "bernoulli-logits.log_prob",
        lambda z, x: _dist(z).Bernoulli(logits=z).log_prob(x),
        [LOC, BITS],
        (0,),
    ),
    ("bernoulli-logits.probs", lambda z: _dist(z).Bernoulli(logits=z).probs, [LOC], (0,)),
    ("bernoulli-logits.entropy", lambda z: _dist(z).Bernoulli(logits=z).entropy(), [LOC], (0,)),
    (
        "categorical.log_prob",
        lambda w, i: _dist(w).Categorical(w).log_prob(i),
        [WEIGHTS, INDEX],
        (0,),
    ),
    ("categorical.entropy", lambda w: _dist(w).Categorical(w).entropy(), [WEIGHTS], (0,)),
    ("categorical.probs", lambda w: _dist(w).Categorical(w).probs, [WEIGHTS], (0,)),
    ("categorical.logits", lambda w: _dist(w).Categorical(w).logits, [WEIGHTS], (0,)),
    (
        "categorical-logits.log_prob",
        lambda z, i: _dist(z).Categorical(logits=z).log_prob(i),
        [LOGITS, INDEX],
        (0,),
    ),
    (
        "categorical-logits.entropy",
        lambda z: _dist(z).Categorical(logits=z).entropy(),
        [LOGITS],
        (0,),
    ),
    ("categorical-logits.logits", lambda z: _dist(z).Categorical(logits=z).logits, [LOGITS], (0,)),
    ("categorical-logits.probs", lambda z: _dist(z).Categorical(logits=z).probs, [LOGITS], (0,)),
    (
        "onehot.log_prob",
        lambda z, x: _dist(z).OneHotCategorical(logits=z).log_prob(x),
        [LOGITS, ONE_HOT],
        (0,),
    ),
    ("onehot.entropy", lambda w: _dist(w).OneHotCategorical(w).entropy(), [WEIGHTS], (0,)),
    ("onehot.mean", lambda w: _dist(w).OneHotCategorical(w).mean, [WEIGHTS], (0,)),
    ("onehot.variance", lambda w: _dist(w).OneHotCategorical(w).variance, [WEIGHTS], (0,)),
    (
        "independent.log_prob",
        lambda m, s, x: _dist(m).Independent(_dist(m).Normal(m, s), 1).log_prob(x),
        [LOC, SCALE, X],
        (0, 1, 2),
    ),
    (
        "independent.entropy",
        lambda m, s: _dist(m).Independent(_dist(m).Normal(m, s), 1).entropy(),
        [LOC, SCALE],
        (0, 1),
    ),
    (
        "mvn-cov.log_prob",
        lambda m, a, x: _dist(m).MultivariateNormal(m, _cov(_lib(a), a)).log_prob(x),
        [MV_LOC, A, MV_X],
        (0, 1, 2),
    ),
    (
        "mvn-tril.log_prob",
        lambda m, a, x: _dist(m).MultivariateNormal(m, scale_tril=_tril(_lib(a), a)).log_prob(x),
        [MV_LOC, A, MV_X],
        (0, 1, 2),
    ),
    (
        "mvn-precision.log_prob",
        lambda m, a, x: (
            _dist(m).MultivariateNormal(m, precision_matrix=_cov(_lib(a), a)).log_prob(x)
        ),
        [MV_LOC, A, MV_X],
        (0, 1, 2),
    ),
    (
        "mvn.entropy",
        lambda m, a: _dist(m).MultivariateNormal(m, _cov(_lib(a), a)).entropy(),
        [MV_LOC, A],
        (1,),
    ),
    (
        "mvn.variance",
        lambda m, a: _dist(m).MultivariateNormal(m, _cov(_lib(a), a)).variance,
        [MV_LOC, A],
        (1,),
    ),
    (
        "mvn.precision_matrix",
        lambda m, a: _dist(m).MultivariateNormal(m, scale_tril=_tril(_lib(a), a)).precision_matrix,
        [MV_LOC, A],
        (1,),
    ),
    (
        "mvn.covariance_matrix",
        lambda m, a: _dist(m).MultivariateNormal(m, scale_tril=_tril(_lib(a), a)).covariance_matrix,
        [MV_LOC, A],
        (1,),
    ),
]

KL_CASES = [
    (
        "normal",
        lambda m, s, n, t: kl(_dist(m).Normal(m, s), _dist(m).Normal(n, t)),
        [LOC, SCALE, X[0], SCALE[::-1] + 0.1],
    ),
    (
        "categorical",
        lambda w, z: kl(_dist(w).Categorical(w), _dist(w).Categorical(logits=z)),
        [WEIGHTS, LOGITS],
    ),
    (
        "onehot",
        lambda w, z: kl(_dist(w).OneHotCategorical(w), _dist(w).OneHotCategorical(logits=z)),
        [WEIGHTS, LOGITS],
    ),
    (
        "bernoulli",
        lambda p, q: kl(_dist(p).Bernoulli(p), _dist(p).Bernoulli(q)),
        [P, P[::-1] * 0.9],
    ),
    (
        "uniform",
        lambda a, b, c, d: kl(_dist(a).Uniform(a, b), _dist(a).Uniform(c, d)),
        [LOW, HIGH, LOW - 1.0, HIGH + 0.5],
    ),
    (
        "independent",
        lambda m, s, n: kl(
            _dist(m).Independent(_dist(m).Normal(m, s), 1),
            _dist(m).Independent(_dist(m).Normal(n, s * 2), 1),
        ),
        [LOC, SCALE, X[1]],
    ),
    (
        "mvn",
        lambda m, a, n, b: kl(
            _dist(m).MultivariateNormal(m, _cov(_lib(a), a)),
            _dist(m).MultivariateNormal(n, scale_tril=_tril(_lib(b), b)),
        ),
        [MV_LOC, A, MV_LOC[::-1], A[:, ::-1] * 0.7],
    ),
]


def kl(p, q):
    return (D if isinstance(p, D.Distribution) else TD).kl_divergence(p, q)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize(
    ("fn", "inputs", "grads"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_values_and_gradients_match_torch(fn, inputs, grads, dtype) -> None:
    check_function(fn, fn, inputs, dtype, grads)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize(("fn", "inputs"), [c[1:] for c in KL_CASES], ids=[c[0] for c in KL_CASES])
def test_kl_divergence_matches_torch(fn, inputs, dtype) -> None:
    check_function(fn, fn, inputs, dtype, tuple(range(len(inputs))))


def test_kl_infinite_and_unregistered() -> None:
    ours = D.kl_divergence(D.Uniform(0.0, 2.0), D.Uniform(nerve.tensor([0.0, 0.5]), 1.0))
    theirs = TD.kl_divergence(TD.Uniform(0.0, 2.0), TD.Uniform(torch.tensor([0.0, 0.5]), 1.0))
    assert_close(ours, theirs)
    probs = nerve.tensor([0.5, 0.5, 0.0])
    assert_close(
        D.kl_divergence(D.Categorical(probs), D.Categorical(nerve.tensor([1.0, 0.0, 1.0]))),
        TD.kl_divergence(
            TD.Categorical(torch.tensor([0.5, 0.5, 0.0])),
            TD.Categorical(torch.tensor([1.0, 0.0, 1.0])),
        ),
    )
    with pytest.raises(NotImplementedError, match="No KL.*Categorical and q type Normal"):
        D.kl_divergence(D.Categorical(probs), D.Normal(0.0, 1.0))


def test_register_kl_picks_the_most_specific_pair() -> None:
    class Mine(D.Normal):
        pass

    assert_close(D.kl_divergence(Mine(0.0, 1.0), D.Normal(1.0, 1.0)), torch.tensor(0.5))

    @D.register_kl(Mine, Mine)
    def _kl(p, q):
        return nerve.tensor(42.0)

    assert D.kl_divergence(Mine(0.0, 1.0), Mine(1.0, 1.0)).item() == 42.0
    assert D.kl_divergence(Mine(0.0, 1.0), D.Normal(1.0, 1.0)).item() == 0.5
    with pytest.raises(TypeError):
        D.register_kl(int, Mine)


def test_finite_differences() -> None:
    def leaf(a):
        return nerve.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)

    assert gradcheck(lambda m, s, q: D.Normal(m, s).icdf(q), (leaf(LOC), leaf(SCALE), leaf(Q01)))
    assert gradcheck(lambda m, s, x: D.Normal(m, s).log_prob(x), (leaf(LOC), leaf(SCALE), leaf(X)))
    assert gradcheck(lambda z: D.Categorical(logits=z).entropy(), (leaf(LOGITS),))
    assert gradcheck(
        lambda m, a: D.MultivariateNormal(m, _cov(nerve, a)).log_prob(nerve.tensor(MV_X)),
        (leaf(MV_LOC), leaf(A)),
    )
