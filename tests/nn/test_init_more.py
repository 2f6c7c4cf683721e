"""nn.init.orthogonal_, dirac_ and sparse_: the properties torch's give (orthogonal rows or
columns times the gain, the identity convolution, the zeros per column), torch's errors, and
dirac_'s values equal to torch's (no randomness there)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nerve  # noqa: E402
from nerve.nn import init  # noqa: E402


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 4), (6, 2, 3, 2), (2, 3, 4)])
@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_orthogonal_is_orthogonal_times_gain(shape: tuple[int, ...], gain: float) -> None:
    w = init.orthogonal_(nerve.empty(*shape, dtype=nerve.float64), gain=gain)
    assert tuple(w.shape) == shape
    flat = w.numpy().reshape(shape[0], -1)
    small = min(flat.shape)
    product = flat @ flat.T if flat.shape[0] <= flat.shape[1] else flat.T @ flat
    np.testing.assert_allclose(product, gain**2 * np.eye(small), atol=1e-12)


def test_orthogonal_is_random_follows_the_generator_and_keeps_the_parameter() -> None:
    layer = nerve.nn.Linear(4, 4)
    weight = layer.weight
    init.orthogonal_(layer.weight)
    assert layer.weight is weight and weight.requires_grad and weight.grad_fn is None
    a = init.orthogonal_(nerve.empty(4, 4), generator=nerve.Generator().manual_seed(3))
    b = init.orthogonal_(nerve.empty(4, 4), generator=nerve.Generator().manual_seed(3))
    c = init.orthogonal_(nerve.empty(4, 4))
    assert np.array_equal(a.numpy(), b.numpy()) and not np.array_equal(a.numpy(), c.numpy())
    # the mean over many draws of a uniformly distributed orthogonal matrix is near zero
    draws = np.stack([init.orthogonal_(nerve.empty(3, 3)).numpy() for _ in range(400)])
    assert np.abs(draws.mean(axis=0)).max() < 0.15


@pytest.mark.parametrize("lib", ["nerve", "torch"])
def test_errors_match_torch(lib: str) -> None:
    module = init if lib == "nerve" else torch.nn.init
    make = nerve.empty if lib == "nerve" else torch.empty
    with pytest.raises(ValueError, match="Only tensors with 2 or more dimensions are supported"):
        module.orthogonal_(make(3))
    with pytest.raises(ValueError, match="Only tensors with 3, 4, or 5 dimensions are supported"):
        module.dirac_(make(3, 3))
    with pytest.raises(ValueError, match="dim 0 must be divisible by groups"):
        module.dirac_(make(3, 2, 3), groups=2)
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        module.sparse_(make(3, 2, 2), 0.5)


@pytest.mark.parametrize(
    "shape,groups",
    [((4, 4, 3), 1), ((6, 2, 3, 3), 3), ((3, 5, 2, 4), 1), ((4, 2, 3, 3, 3), 2), ((5, 3, 1), 1)],
)
def test_dirac_equals_torch(shape: tuple[int, ...], groups: int) -> None:
    ours = init.dirac_(nerve.empty(*shape), groups=groups)
    theirs = torch.nn.init.dirac_(torch.empty(*shape), groups=groups)
    assert np.array_equal(ours.numpy(), theirs.numpy())


def test_dirac_convolution_is_the_identity() -> None:
    conv = nerve.nn.Conv2d(3, 3, 3, padding=1, bias=False)
    init.dirac_(conv.weight)
    x = nerve.randn(2, 3, 5, 5)
    np.testing.assert_allclose(conv(x).detach().numpy(), x.numpy(), atol=1e-6)


@pytest.mark.parametrize("sparsity", [0.0, 0.1, 0.5, 1.0])
def test_sparse_zeros_per_column_and_std(sparsity: float) -> None:
    w = init.sparse_(nerve.empty(400, 30, dtype=nerve.float64), sparsity, std=0.5).numpy()
    zeros = int(np.ceil(sparsity * 400))
    assert ((w == 0).sum(axis=0) == zeros).all()
    if zeros < 400:
        assert abs(w[w != 0].std() - 0.5) < 0.03
