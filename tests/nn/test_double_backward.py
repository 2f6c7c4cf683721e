"""Second derivatives through the fused ops (activations, linear, losses) against torch:
the backward of each is itself differentiable (gradient penalties, Hessian-vector products)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nerve  # noqa: E402
import nerve.nn.functional as F  # noqa: E402
from parity import check_second_order  # noqa: E402

TF = torch.nn.functional
rng = np.random.default_rng(0)
X = rng.standard_normal((4, 5)) * 2
X[np.abs(X) < 1e-2] = 0.3
T = rng.uniform(0, 1, (4, 5))
C = np.array([0, 3, 4, 1])
W = rng.standard_normal((3, 5))


CASES = {
    "leaky_relu": lambda lib, x: (F if lib is nerve else TF).leaky_relu(x, 0.2).pow(2).sum(),
    "elu": lambda lib, x: (F if lib is nerve else TF).elu(x).sum(),
    "gelu": lambda lib, x: (F if lib is nerve else TF).gelu(x).sum(),
    "gelu-tanh": lambda lib, x: (F if lib is nerve else TF).gelu(x, approximate="tanh").sum(),
    "silu": lambda lib, x: (F if lib is nerve else TF).silu(x).sum(),
    "softplus": lambda lib, x: (F if lib is nerve else TF).softplus(x, beta=2.0).sum(),
    "hardtanh": lambda lib, x: (F if lib is nerve else TF).hardtanh(x).pow(2).sum(),
    "softmax": lambda lib, x: (F if lib is nerve else TF).softmax(x, dim=1)[:, 0].sum(),
    "log_softmax": lambda lib, x: (F if lib is nerve else TF).log_softmax(x, dim=1)[:, 1].sum(),
    "linear": lambda lib, x: (
        (F if lib is nerve else TF).linear(x, lib.tensor(W), lib.tensor(W[:, 0])).tanh().sum()
    ),
    "mse": lambda lib, x: (F if lib is nerve else TF).mse_loss(x.tanh(), lib.tensor(T)),
    "bce": lambda lib, x: (F if lib is nerve else TF).binary_cross_entropy(
        x.sigmoid(), lib.tensor(T)
    ),
    "bce_with_logits": lambda lib, x: (F if lib is nerve else TF).binary_cross_entropy_with_logits(
        x, lib.tensor(T), pos_weight=lib.tensor(W[0] ** 2)
    ),
    "cross_entropy": lambda lib, x: (F if lib is nerve else TF).cross_entropy(x, lib.tensor(C)),
    "cross_entropy-sum": lambda lib, x: (F if lib is nerve else TF).cross_entropy(
        x, lib.tensor(C), reduction="sum"
    ),
    "cross_entropy-smooth": lambda lib, x: (F if lib is nerve else TF).cross_entropy(
        x, lib.tensor(C), label_smoothing=0.1
    ),
    "nll": lambda lib, x: (F if lib is nerve else TF).nll_loss(x.log_softmax(dim=1), lib.tensor(C)),
    "layer_norm": lambda lib, x: (F if lib is nerve else TF).layer_norm(x, (5,)).pow(3).sum(),
}


@pytest.mark.parametrize("fn", CASES.values(), ids=CASES.keys())
def test_second_derivatives_match_torch(fn):
    # d/dx of sum((dL/dx)^2 * v), v fixed, in both libraries (parity.check_second_order)
    check_second_order(fn, X, rng.standard_normal(X.shape))
