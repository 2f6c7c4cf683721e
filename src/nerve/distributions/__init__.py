"""Probability distributions to sample from, score and differentiate (torch.distributions'
everyday part): Normal, Uniform, Bernoulli, Categorical, OneHotCategorical,
MultivariateNormal, Independent, and ``kl_divergence``.

Every value is computed with nerve's tensor ops, so ``log_prob``, ``entropy``,
``kl_divergence`` and reparameterized samples (``rsample``) carry gradients back to the
parameters, as REINFORCE, actor-critic and VAE code needs. Samples come from nerve's own
generator (``nerve.manual_seed``): seeded draws are reproducible but differ from torch's.

Example:
    >>> import nerve
    >>> import nerve.distributions as D
    >>> logits = nerve.tensor([1.0, 2.0, 0.5], requires_grad=True)
    >>> m = D.Categorical(logits=logits)
    >>> loss = -m.log_prob(nerve.tensor(1)) * 2.0  # REINFORCE: -log pi(a) * reward
    >>> loss.backward()
    >>> logits.grad
    tensor([ 0.4624, -0.7429,  0.2805])
"""

from __future__ import annotations

from . import constraints
from .bernoulli import Bernoulli
from .categorical import Categorical, OneHotCategorical
from .distribution import Distribution
from .independent import Independent
from .kl import kl_divergence, register_kl
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .uniform import Uniform

__all__ = [
    "Bernoulli",
    "Categorical",
    "Distribution",
    "Independent",
    "MultivariateNormal",
    "Normal",
    "OneHotCategorical",
    "Uniform",
    "constraints",
    "kl_divergence",
    "register_kl",
]
