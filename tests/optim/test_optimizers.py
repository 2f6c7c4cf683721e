"""Each optimizer against torch.optim: from the same weights and data, 20 steps give the
same parameters (float64 tightly, float32 within float tolerance)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nerve  # noqa: E402
from parity import Pair  # noqa: E402

CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 1.0}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.5}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.1, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.5, "weight_decay": 0.1, "nesterov": True}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "maximize": True}),
    ("Adam", {}),
    ("Adam", {"lr": 0.05, "betas": (0.8, 0.9), "eps": 1e-6}),
    ("Adam", {"lr": 0.05, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.05, "amsgrad": True}),
    ("Adam", {"lr": 0.05, "maximize": True}),
    ("Adam", {"lr": 0.05, "amsgrad": True, "weight_decay": 0.05, "maximize": True}),
    ("AdamW", {}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.3}),
    ("AdamW", {"lr": 0.05, "amsgrad": True}),
    ("RMSprop", {}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.8}),
    ("RMSprop", {"lr": 0.01, "centered": True}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "maximize": True}),
    ("Adagrad", {}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05}),
    ("Adagrad", {"lr": 0.1, "weight_decay": 0.2}),
    ("Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.5, "eps": 1e-6}),
    ("Adagrad", {"lr": 0.1, "maximize": True}),
]


def _ids(cases):
    return [f"{name}-" + "-".join(f"{k}={v}" for k, v in kw.items()) for name, kw in cases]


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("name, kwargs", CASES, ids=_ids(CASES))
def test_twenty_steps_match_torch(name, kwargs, dtype):
    pair = Pair(dtype)
    ours = getattr(nerve.optim, name)(pair.ours, **kwargs)
    theirs = getattr(torch.optim, name)(pair.theirs, **kwargs)
    pair.run(ours, theirs)
    assert not np.allclose(pair.ours[0].detach().numpy(), Pair().ours[0].detach().numpy())


@pytest.mark.parametrize("name, kwargs", CASES[::3], ids=_ids(CASES[::3]))
def test_step_with_closure_returns_the_loss(name, kwargs):
    pair = Pair()
    ours = getattr(nerve.optim, name)(pair.ours, **kwargs)
    theirs = getattr(torch.optim, name)(pair.theirs, **kwargs)
    closures = pair.closures(ours, theirs)
    for _ in range(5):
        loss_n, loss_t = ours.step(closures[0]), theirs.step(closures[1])
        np.testing.assert_allclose(loss_n.item(), loss_t.item(), rtol=1e-12)
        pair.check()


def test_two_param_groups_with_different_options():
    pair = Pair()

    def groups(params):
        return [{"params": [params[0]]}, {"params": [params[1]], "lr": 0.5, "momentum": 0.0}]

    ours = nerve.optim.SGD(groups(pair.ours), lr=0.05, momentum=0.9)
    theirs = torch.optim.SGD(groups(pair.theirs), lr=0.05, momentum=0.9)
    assert [g["lr"] for g in ours.param_groups] == [0.05, 0.5]
    assert [g["momentum"] for g in ours.param_groups] == [0.9, 0.0]
    pair.run(ours, theirs)


def test_add_param_group():
    pair = Pair()
    ours = nerve.optim.Adam([pair.ours[0]], lr=0.05)
    theirs = torch.optim.Adam([pair.theirs[0]], lr=0.05)
    pair.run(ours, theirs, steps=3)  # the bias is not trained yet (its grad is ignored)
    ours.add_param_group({"params": pair.ours[1], "lr": 0.2, "amsgrad": True})
    theirs.add_param_group({"params": pair.theirs[1], "lr": 0.2, "amsgrad": True})
    assert ours.param_groups[1]["betas"] == (0.9, 0.999)
    pair.run(ours, theirs, steps=10)
    with pytest.raises(ValueError, match="more than one parameter group"):
        ours.add_param_group({"params": [pair.ours[0]]})


def test_zero_grad_set_to_none_or_zero():
    pair = Pair()
    opt = nerve.optim.SGD(pair.ours, lr=0.1)
    pair.backward()
    opt.zero_grad(set_to_none=False)
    assert all(p.grad is not None and bool((p.grad == 0).all()) for p in pair.ours)
    opt.zero_grad()
    assert all(p.grad is None for p in pair.ours)
    opt.step()  # no gradients: nothing changes
    pair.check()


def test_parameters_without_gradient_are_skipped():
    pair = Pair()
    ours = nerve.optim.Adam(pair.ours, lr=0.1)
    theirs = torch.optim.Adam(pair.theirs, lr=0.1)
    for _ in range(3):
        ours.zero_grad(), theirs.zero_grad()
        pair.backward()
        pair.ours[1].grad, pair.theirs[1].grad = None, None
        ours.step(), theirs.step()
        pair.check()
    assert pair.ours[1] not in ours.state


@pytest.mark.parametrize("name, kwargs", [("Adam", {"lr": 0.1}), ("AdamW", {"amsgrad": True})])
def test_a_gradient_missing_now_and_then_keeps_adam_equal_to_torch(name, kwargs):
    # Adam steps a group's parameters together over flat buffers; a step where one parameter
    # has no gradient goes one by one, and the step counts then differ between parameters.
    pair = Pair()
    ours = getattr(nerve.optim, name)(pair.ours, **kwargs)
    theirs = getattr(torch.optim, name)(pair.theirs, **kwargs)
    for step in range(8):
        ours.zero_grad(), theirs.zero_grad()
        pair.backward()
        if step in (2, 3, 6):
            pair.ours[0].grad, pair.theirs[0].grad = None, None
        ours.step(), theirs.step()
        pair.check(f"after step {step + 1}")
        for p, q in zip(pair.ours, pair.theirs):
            for key in ("exp_avg", "exp_avg_sq", "step"):
                np.testing.assert_allclose(
                    ours.state[p][key].numpy(), theirs.state[q][key].numpy(), rtol=1e-10
                )


def test_adam_state_tensors_follow_every_step_and_changed_parameters():
    pair = Pair()
    ours, theirs = nerve.optim.Adam(pair.ours, lr=0.1), torch.optim.Adam(pair.theirs, lr=0.1)
    pair.run(ours, theirs, steps=2)
    exp_avg = ours.state[pair.ours[0]]["exp_avg"]
    before = exp_avg.numpy().copy()
    pair.run(ours, theirs, steps=1)
    assert not np.array_equal(before, exp_avg.numpy())  # the state tensor itself moved on
    # Replacing a parameter's data or an optimizer state tensor is seen at the next step.
    with torch.no_grad(), nerve.no_grad():
        pair.ours[1].data = nerve.zeros(3, dtype=nerve.float64)
        pair.theirs[1].data = torch.zeros(3, dtype=torch.float64)
    ours.state[pair.ours[0]]["exp_avg"] = nerve.zeros(3, 4, dtype=nerve.float64)
    theirs.state[pair.theirs[0]]["exp_avg"] = torch.zeros(3, 4, dtype=torch.float64)
    pair.run(ours, theirs, steps=3)


def test_optimizer_argument_errors():
    p = [nerve.nn.Parameter(nerve.ones(2))]
    with pytest.raises(ValueError, match="Invalid learning rate"):
        nerve.optim.SGD(p, lr=-1)
    with pytest.raises(ValueError, match="Nesterov"):
        nerve.optim.SGD(p, lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="beta parameter at index 1"):
        nerve.optim.Adam(p, betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="empty parameter list"):
        nerve.optim.Adam([])
    with pytest.raises(TypeError, match="iterable of Tensors"):
        nerve.optim.SGD(p[0], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        nerve.optim.SGD([p[0] * 2], lr=0.1)


def test_sgd_default_lr_is_torchs():
    # torch 2.6 gave SGD a default lr (1e-3); before, SGD(params) raised for the missing lr.
    p = [nerve.nn.Parameter(nerve.ones(2))]
    assert nerve.optim.SGD(p).defaults["lr"] == torch.optim.SGD([torch.ones(2)]).defaults["lr"]
    pair = Pair()
    pair.run(nerve.optim.SGD(pair.ours), torch.optim.SGD(pair.theirs), steps=3)


def test_optimizer_state_names_like_torch():
    for name, kwargs in [
        ("SGD", {"lr": 0.1, "momentum": 0.9}),
        ("Adam", {"amsgrad": True}),
        ("RMSprop", {"momentum": 0.9, "centered": True}),
        ("Adagrad", {}),
    ]:
        pair = Pair()
        ours = getattr(nerve.optim, name)(pair.ours, **kwargs)
        theirs = getattr(torch.optim, name)(pair.theirs, **kwargs)
        pair.run(ours, theirs, steps=1)
        assert sorted(ours.state[pair.ours[0]]) == sorted(theirs.state[pair.theirs[0]]), name
        assert set(ours.param_groups[0]) - {"params"} <= set(theirs.param_groups[0]), name


def test_adam_copies_pickles_and_follows_a_step_count_set_by_hand():
    import copy
    import pickle

    pair = Pair()
    ours, theirs = nerve.optim.Adam(pair.ours, lr=0.1), torch.optim.Adam(pair.theirs, lr=0.1)
    pair.run(ours, theirs, steps=2)
    pickle.dumps(ours)
    assert copy.deepcopy(ours).state_dict()["state"][0]["step"].item() == 2
    ours.state[pair.ours[1]]["step"].fill_(10)  # one parameter's bias correction restarts late
    theirs.state[pair.theirs[1]]["step"].fill_(10)
    pair.run(ours, theirs, steps=3)


def test_a_parameter_listed_twice_steps_twice_as_torch():
    pair = Pair()
    ours = nerve.optim.Adam([pair.ours[0], pair.ours[0], pair.ours[1]], lr=0.1)
    with pytest.warns(UserWarning):
        theirs = torch.optim.Adam([pair.theirs[0], pair.theirs[0], pair.theirs[1]], lr=0.1)
    pair.run(ours, theirs, steps=3)
