"""F.gumbel_softmax: with the noise fixed (monkeypatched, the same noise given to torch) the
values and the gradients equal torch's, soft and hard (straight-through); with nerve's own
noise, shapes, one-hot rows and sampling frequencies that follow softmax(logits); the
deprecated eps warns as in torch."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nerve  # noqa: E402
import nerve.nn.functional as F  # noqa: E402
from nerve.nn import functional_gumbel  # noqa: E402
from parity import DTYPE_IDS, DTYPES, check_function  # noqa: E402

TF = torch.nn.functional
RNG = np.random.default_rng(0)
LOGITS = RNG.standard_normal((4, 5))
NOISE = -np.log(RNG.exponential(1.0, (4, 5)))


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("hard", [False, True])
@pytest.mark.parametrize("tau,dim", [(1.0, -1), (0.3, 0), (2.0, 1)])
def test_fixed_noise_matches_torch(
    monkeypatch: Any, tau: float, dim: int, hard: bool, dtype: Any
) -> None:
    monkeypatch.setattr(
        functional_gumbel, "_gumbel_noise", lambda x: nerve.tensor(NOISE.astype(dtype))
    )

    def theirs(logits: Any) -> Any:  # torch's formula with the same noise
        y_soft = ((logits + torch.tensor(NOISE.astype(dtype))) / tau).softmax(dim)
        if not hard:
            return y_soft
        index = y_soft.max(dim, keepdim=True)[1]
        y_hard = torch.zeros_like(logits).scatter_(dim, index, 1.0)
        return y_hard - y_soft.detach() + y_soft

    def ours(logits: Any) -> Any:
        return F.gumbel_softmax(logits, tau=tau, hard=hard, dim=dim)

    check_function(ours, theirs, [LOGITS], dtype)


def test_torch_formula_with_torch_noise_is_what_torch_returns(monkeypatch: Any) -> None:
    """The reference above is torch's: its own gumbel_softmax with the noise recorded."""
    torch.manual_seed(0)
    expected = TF.gumbel_softmax(torch.tensor(LOGITS), tau=0.5, hard=True)
    torch.manual_seed(0)
    noise = -torch.empty_like(torch.tensor(LOGITS)).exponential_().log()
    monkeypatch.setattr(functional_gumbel, "_gumbel_noise", lambda x: nerve.tensor(noise.numpy()))
    ours = F.gumbel_softmax(nerve.tensor(LOGITS), tau=0.5, hard=True)
    np.testing.assert_array_equal(ours.numpy(), expected.numpy())


def test_hard_gradient_is_the_soft_gradient(monkeypatch: Any) -> None:
    monkeypatch.setattr(functional_gumbel, "_gumbel_noise", lambda x: nerve.tensor(NOISE))
    upstream = nerve.tensor(RNG.standard_normal((4, 5)))
    grads = []
    for hard in (False, True):
        logits = nerve.tensor(LOGITS, requires_grad=True)
        (F.gumbel_softmax(logits, tau=0.7, hard=hard) * upstream).sum().backward()
        grads.append(logits.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)


def test_samples_follow_the_softmax() -> None:
    nerve.manual_seed(0)
    logits = nerve.tensor([[0.0, 1.0, 2.0]]).expand(20000, 3)
    hard = F.gumbel_softmax(logits, tau=0.5, hard=True)
    assert hard.shape == (20000, 3) and hard.dtype == nerve.float32
    assert set(np.unique(hard.numpy())) == {0.0, 1.0} and (hard.numpy().sum(1) == 1).all()
    frequencies = hard.numpy().mean(0)
    expected = np.exp([0.0, 1.0, 2.0]) / np.exp([0.0, 1.0, 2.0]).sum()
    np.testing.assert_allclose(frequencies, expected, atol=0.015)
    soft = F.gumbel_softmax(logits, tau=2.0)
    assert (soft.numpy() > 0).all() and np.allclose(soft.numpy().sum(1), 1, atol=1e-6)
    a, b = F.gumbel_softmax(logits[:2]), F.gumbel_softmax(logits[:2])
    assert not np.array_equal(a.numpy(), b.numpy())  # a fresh draw each call


def test_eps_is_deprecated_as_in_torch() -> None:
    for f, t in ((F.gumbel_softmax, nerve.tensor), (TF.gumbel_softmax, torch.tensor)):
        with pytest.warns(UserWarning, match="`eps` parameter is deprecated and has no effect."):
            f(t(LOGITS), eps=1e-5)
