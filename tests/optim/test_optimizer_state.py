"""Optimizer state_dict / load_state_dict: the same layout as torch's, and training continued
after a reload (also through nerve.save / nerve.load) equals uninterrupted training."""

from __future__ import annotations

import io

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nerve  # noqa: E402
from parity import Pair  # noqa: E402

OPTIMIZERS = [
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("Adam", {"lr": 0.05, "amsgrad": True}),
    ("AdamW", {"lr": 0.05}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.5, "centered": True}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01}),
]
IDS = [name for name, _ in OPTIMIZERS]


def _groups(params):
    return [{"params": [params[0]]}, {"params": [params[1]], "lr": 0.02}]


@pytest.mark.parametrize("name, kwargs", OPTIMIZERS, ids=IDS)
def test_state_dict_layout_equals_torchs(name, kwargs):
    pair = Pair()
    ours = getattr(nerve.optim, name)(_groups(pair.ours), **kwargs)
    theirs = getattr(torch.optim, name)(_groups(pair.theirs), **kwargs)
    pair.run(ours, theirs, steps=2)
    mine, expected = ours.state_dict(), theirs.state_dict()
    assert list(mine) == ["state", "param_groups"]
    assert list(mine["state"]) == list(expected["state"]) == [0, 1]
    for key, state in expected["state"].items():
        assert sorted(mine["state"][key]) == sorted(state)
        for field, value in state.items():
            np.testing.assert_allclose(
                np.asarray(mine["state"][key][field]), value.numpy(), rtol=1e-10, err_msg=field
            )
    for group, theirs_group in zip(mine["param_groups"], expected["param_groups"]):
        assert group["params"] == theirs_group["params"]
        for option, value in group.items():
            assert theirs_group[option] == value, option
    # the state dict is a snapshot: later steps do not change it
    before = np.asarray(mine["state"][0][sorted(mine["state"][0])[-1]]).copy()
    pair.run(ours, theirs, steps=1)
    np.testing.assert_array_equal(
        np.asarray(mine["state"][0][sorted(mine["state"][0])[-1]]), before
    )


@pytest.mark.parametrize("via_file", [False, True], ids=["in-memory", "nerve.save"])
@pytest.mark.parametrize("name, kwargs", OPTIMIZERS, ids=IDS)
def test_continue_after_reload_equals_uninterrupted(name, kwargs, via_file):
    pair = Pair()
    ours = getattr(nerve.optim, name)(_groups(pair.ours), **kwargs)
    theirs = getattr(torch.optim, name)(_groups(pair.theirs), **kwargs)
    pair.run(ours, theirs, steps=5)
    state = ours.state_dict()
    if via_file:
        buffer = io.BytesIO()
        nerve.save(state, buffer)
        buffer.seek(0)
        state = nerve.load(buffer)
    # A new optimizer, as after a restart: it has to continue where the old one stopped.
    fresh = getattr(nerve.optim, name)(_groups(pair.ours), **{**kwargs, "lr": 123.0})
    fresh.load_state_dict(state)
    assert [g["lr"] for g in fresh.param_groups] == [g["lr"] for g in theirs.param_groups]
    pair.run(fresh, theirs, steps=10)


def test_load_state_dict_errors():
    pair = Pair()
    opt = nerve.optim.SGD(pair.ours, lr=0.1)
    with pytest.raises(ValueError, match="state"):
        opt.load_state_dict({"param_groups": []})
    other = nerve.optim.SGD(_groups(Pair().ours), lr=0.1)
    with pytest.raises(ValueError, match="number of parameter groups"):
        opt.load_state_dict(other.state_dict())
    small = nerve.optim.SGD([Pair().ours[0]], lr=0.1)
    with pytest.raises(ValueError, match="size"):
        opt.load_state_dict(small.state_dict())


def test_loaded_state_follows_the_parameters_dtype():
    pair = Pair(np.float32)
    opt = nerve.optim.Adam(pair.ours, lr=0.1)
    pair.backward()
    opt.step()
    state = opt.state_dict()
    state["state"][0]["exp_avg"] = state["state"][0]["exp_avg"].double()
    opt.load_state_dict(state)
    assert opt.state[pair.ours[0]]["exp_avg"].dtype == nerve.float32
    opt.step()


def test_optimizer_repr_lists_groups():
    text = repr(nerve.optim.SGD(_groups(Pair().ours), lr=0.1))
    assert text.startswith("SGD (") and "Parameter Group 1" in text and "lr: 0.02" in text
