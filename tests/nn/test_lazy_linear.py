"""LazyLinear and UninitializedParameter against torch 2.13: reprs before and after the first
call, the class it becomes, parameters sized from the input (dtype from .to() before the call),
an optimizer built before the call, Linear's initialisation, a state_dict loaded into the lazy
layer, torch's error for an input that disagrees with loaded weights; one forward and backward
compared with torch's Linear holding the same weights."""

from __future__ import annotations

import copy

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nerve  # noqa: E402
from nerve import nn  # noqa: E402
from parity import check_module  # noqa: E402


@pytest.mark.parametrize("bias", [True, False])
def test_first_call_sizes_and_becomes_linear(bias: bool) -> None:
    ours, theirs = nn.LazyLinear(3, bias=bias), torch.nn.LazyLinear(3, bias=bias)
    assert repr(ours) == repr(theirs) and isinstance(ours, nn.Linear)
    assert repr(ours.weight) == repr(theirs.weight) == "<UninitializedParameter>"
    assert ours.has_uninitialized_params() and ours.in_features == 0
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours(nerve.zeros(2, 4, 5))
    theirs(torch.zeros(2, 4, 5))
    assert repr(ours) == repr(theirs) == f"Linear(in_features=5, out_features=3, bias={bias})"
    assert type(ours) is nn.Linear and type(ours.weight) is nn.Parameter
    assert ours.weight.shape == (3, 5) and ours.weight.requires_grad
    assert (ours.bias is None) == (not bias)
    assert not ours._forward_pre_hooks  # the hook is gone


def test_initialised_as_linear_and_matches_torch_with_the_same_weights() -> None:
    ours = nn.LazyLinear(40, dtype=nerve.float64)
    ours(nerve.zeros(1, 25, dtype=nerve.float64))
    w = ours.weight.detach().numpy()
    assert w.dtype == np.float64 and np.abs(w).max() <= 1 / 5 and w.std() > 0.08
    assert np.abs(ours.bias.detach().numpy()).max() <= 1 / 5
    check_module(ours, torch.nn.Linear(25, 40), np.random.default_rng(0).standard_normal((3, 25)))


def test_optimizer_before_the_first_call_and_dtype_and_deepcopy() -> None:
    layer = nn.LazyLinear(2).double()
    twin = copy.deepcopy(layer)
    assert type(twin.weight) is nn.UninitializedParameter and twin.weight is not layer.weight
    opt = nerve.optim.SGD(layer.parameters(), lr=0.1)
    weight = layer.weight
    out = layer(nerve.ones(4, 3, dtype=nerve.float64))
    assert layer.weight is weight and weight.dtype == nerve.float64
    before = weight.detach().numpy().copy()
    out.sum().backward()
    opt.step()
    np.testing.assert_allclose(weight.detach().numpy(), before - 0.1 * 4, rtol=1e-12)
    assert type(twin.weight) is nn.UninitializedParameter  # the copy is still lazy


def test_uninitialized_parameter_materializes() -> None:
    p = nn.UninitializedParameter(dtype=nerve.float64)
    assert repr(p) == repr(torch.nn.UninitializedParameter())
    p.materialize((2, 3))
    assert type(p) is nn.Parameter and p.shape == (2, 3) and p.dtype == nerve.float64
    assert p.requires_grad


def test_load_state_dict_into_a_lazy_layer_as_torch() -> None:
    source = nn.Linear(6, 2)
    state = source.state_dict()
    ours, theirs = nn.LazyLinear(2), torch.nn.LazyLinear(2)
    ours.load_state_dict(state)
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in state.items()})
    assert repr(ours) == repr(theirs)  # still lazy (in_features=0) until the first call
    assert np.array_equal(ours.weight.detach().numpy(), source.weight.detach().numpy())
    x = nerve.randn(3, 6)
    np.testing.assert_allclose(ours(x).detach().numpy(), source(x).detach().numpy())
    assert repr(ours) == "Linear(in_features=6, out_features=2, bias=True)"
    torch_state = {k: torch.tensor(v.numpy()) for k, v in state.items()}
    for lib, weights in ((nerve, state), (torch, torch_state)):
        layer = lib.nn.LazyLinear(2)
        layer.load_state_dict(weights)
        with pytest.raises(AssertionError, match="in_features inferred from input: 5 is not"):
            layer(lib.zeros(3, 5))


def test_lazy_layers_in_a_model() -> None:
    model = nn.Sequential(nn.LazyLinear(8), nn.ReLU(), nn.LazyLinear(1))
    model(nerve.randn(4, 3))
    assert [tuple(p.shape) for p in model.parameters()] == [(8, 3), (8,), (1, 8), (1,)]
