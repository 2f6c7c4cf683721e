"""state_dict / load_state_dict against torch: the same keys, strict errors, and a torch
model's weights (converted via NumPy) in the same nerve architecture give the same outputs."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nerve  # noqa: E402
from nerve import nn  # noqa: E402
from parity import close  # noqa: E402


def _mlp(m):
    return m.Sequential(
        m.Linear(6, 16),
        m.BatchNorm1d(16),
        m.ReLU(),
        m.Dropout(0.3),
        m.Linear(16, 8),
        m.LayerNorm(8),
        m.PReLU(8),
        m.Linear(8, 3),
        m.LogSoftmax(dim=1),
    )


def test_state_dict_keys_and_shapes_equal_torchs():
    ours, theirs = _mlp(nn).state_dict(), _mlp(torch.nn).state_dict()
    assert list(ours) == list(theirs)
    assert "1.num_batches_tracked" in ours
    for key in theirs:
        assert tuple(ours[key].shape) == tuple(theirs[key].shape), key
        assert str(ours[key].dtype).removeprefix("nerve.") == str(theirs[key].dtype).removeprefix(
            "torch."
        )


def test_state_dict_values_are_detached_views():
    net = nn.Linear(2, 2)
    state = net.state_dict()
    assert not state["weight"].requires_grad
    with nerve.no_grad():
        net.weight.fill_(3.0)
    assert bool((state["weight"] == 3).all())  # shares memory, as torch's
    assert net.state_dict(keep_vars=True)["weight"] is net.weight
    assert list(net.state_dict(prefix="model.")) == ["model.weight", "model.bias"]


def _to_nerve_state(state):
    return {k: nerve.tensor(v.detach().numpy().copy()) for k, v in state.items()}


def test_loading_a_trained_torch_model_gives_the_same_outputs():
    torch.manual_seed(0)
    theirs = _mlp(torch.nn).double()
    optimizer = torch.optim.SGD(theirs.parameters(), lr=0.1)
    for _ in range(3):  # train a little so that the running statistics are not the defaults
        optimizer.zero_grad()
        theirs(torch.randn(32, 6, dtype=torch.float64)).sum().backward()
        optimizer.step()
    ours = _mlp(nn).double()
    params = list(ours.parameters())
    result = ours.load_state_dict(_to_nerve_state(theirs.state_dict()))
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert list(ours.parameters()) == params  # loaded in place: optimizers still hold them
    assert int(ours[1].num_batches_tracked) == 3
    x = np.random.default_rng(0).standard_normal((10, 6))
    ours.eval(), theirs.eval()
    close(ours(nerve.tensor(x)), theirs(torch.tensor(x)), np.float64, "eval output")
    # And back: nerve's state into torch.
    back = _mlp(torch.nn).double().eval()
    back.load_state_dict(
        {k: torch.from_numpy(v.numpy().copy()) for k, v in ours.state_dict().items()}
    )
    close(ours(nerve.tensor(x)), back(torch.tensor(x)), np.float64, "round trip")


def test_loading_converts_dtype_to_the_module_like_torch():
    net = nn.Linear(2, 1)
    net.load_state_dict({"weight": nerve.ones(1, 2, dtype=nerve.float64), "bias": nerve.zeros(1)})
    assert net.weight.dtype == nerve.float32 and bool((net.weight == 1).all())
    net.load_state_dict({"weight": np.full((1, 2), 2.0), "bias": np.zeros(1)})  # arrays too
    assert bool((net.weight == 2).all())


def test_strict_loading_reports_missing_and_unexpected_keys():
    net = _mlp(nn)
    state = net.state_dict()
    del state["4.bias"]
    state["extra.weight"] = nerve.zeros(1)
    with pytest.raises(RuntimeError) as error:
        net.load_state_dict(state)
    message = str(error.value)
    assert 'Missing key(s) in state_dict: "4.bias"' in message
    assert 'Unexpected key(s) in state_dict: "extra.weight"' in message
    assert "Sequential" in message
    result = net.load_state_dict(state, strict=False)
    assert result.missing_keys == ["4.bias"] and result.unexpected_keys == ["extra.weight"]
    # torch returns the same lists
    tnet = _mlp(torch.nn)
    tstate = tnet.state_dict()
    del tstate["4.bias"]
    tstate["extra.weight"] = torch.zeros(1)
    assert tuple(result) == tuple(tnet.load_state_dict(tstate, strict=False))


def test_size_mismatch_is_an_error_even_when_not_strict():
    net = nn.Linear(3, 2)
    state = {"weight": nerve.zeros(2, 4), "bias": nerve.zeros(2)}
    for strict in (True, False):
        with pytest.raises(RuntimeError, match=r"size mismatch for weight.*\[2, 4\].*\[2, 3\]"):
            net.load_state_dict(state, strict=strict)


def test_non_persistent_buffers_are_not_saved_or_expected():
    class WithCache(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)
            self.register_buffer("cache", nerve.zeros(2), persistent=False)
            self.register_buffer("count", nerve.zeros(1))

    m = WithCache()
    assert list(m.state_dict()) == ["count", "fc.weight", "fc.bias"]  # own state first, as torch
    m.load_state_dict(m.state_dict())  # strict: cache is not required


def test_state_dict_of_shared_modules_lists_every_name_like_torch():
    shared, tshared = nn.Linear(2, 2), torch.nn.Linear(2, 2)
    ours, theirs = nn.Sequential(shared, shared), torch.nn.Sequential(tshared, tshared)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict(ours.state_dict())


def test_load_state_dict_type_errors():
    with pytest.raises(TypeError, match="dict"):
        nn.Linear(1, 1).load_state_dict([("weight", nerve.zeros(1, 1))])
