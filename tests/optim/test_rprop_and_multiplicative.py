"""Rprop against torch.optim.Rprop (the same parameters after every step, torch's state and
its checks) and MultiplicativeLR against torch's (the same rates, one function or one per
group, resuming with last_epoch, torch's errors)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nerve  # noqa: E402
from parity import Pair, compare_schedules, two_group_optimizers  # noqa: E402

CASES = [
    {},
    {"lr": 0.05},
    {"lr": 0.05, "etas": (0.3, 1.5), "step_sizes": (1e-3, 0.08)},  # both clamps reached
    {"lr": 0.02, "maximize": True},
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("kwargs", CASES, ids=[str(c) for c in CASES])
def test_rprop_steps_match_torch(kwargs, dtype):
    pair = Pair(dtype)
    ours, theirs = nerve.optim.Rprop(pair.ours, **kwargs), torch.optim.Rprop(pair.theirs, **kwargs)
    # only signs count: in float32 a tiny gradient's sign may differ after many steps
    pair.run(ours, theirs, steps=25 if dtype == np.float64 else 12)
    for p, q in zip(pair.ours, pair.theirs):
        assert list(ours.state[p]) == list(theirs.state[q]) == ["step", "prev", "step_size"]
        for key, value in theirs.state[q].items():
            np.testing.assert_allclose(
                ours.state[p][key].numpy(), value.numpy(), rtol=1e-4, atol=1e-7, err_msg=key
            )
    assert sorted(ours.param_groups[0]) == sorted(theirs.param_groups[0])


def test_rprop_groups_and_closure():
    pair, ours, theirs = two_group_optimizers("Rprop")
    pair.run(ours, theirs, steps=10)
    close_n, close_t = pair.closures(ours, theirs)
    loss_n, loss_t = ours.step(close_n), theirs.step(close_t)
    np.testing.assert_allclose(loss_n.item(), loss_t.item(), rtol=1e-12)
    pair.check("after a step with a closure")


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"lr": -1.0}, "Invalid learning rate: -1.0"),
        ({"etas": (1.2, 0.5)}, "Invalid eta values: 1.2, 0.5"),
        ({"etas": (0.5, 1.0)}, "Invalid eta values: 0.5, 1.0"),
    ],
)
def test_rprop_checks_match_torch(kwargs, message):
    for lib in (nerve, torch):
        with pytest.raises(ValueError, match=message):
            lib.optim.Rprop([lib.zeros(2, requires_grad=True)], **kwargs)


@pytest.mark.parametrize(
    "make",
    [
        lambda m, opt: m.MultiplicativeLR(opt, lambda epoch: 0.9),
        lambda m, opt: m.MultiplicativeLR(opt, lambda epoch: 1.0 / (1 + 0.1 * epoch)),
        lambda m, opt: m.MultiplicativeLR(opt, [lambda e: 0.95, lambda e: 1.02 if e < 5 else 0.8]),
    ],
    ids=["constant", "epoch-dependent", "one-per-group"],
)
def test_multiplicative_lr_matches_torch(make):
    compare_schedules(make, steps=15)


def test_multiplicative_lr_resumes_and_steps_to_an_epoch():
    rates = []
    for lib in (nerve, torch):
        w = lib.zeros(1, requires_grad=True)
        opt = lib.optim.SGD([{"params": [w], "initial_lr": 0.2}], lr=0.05)
        sched = lib.optim.lr_scheduler.MultiplicativeLR(opt, lambda e: 0.5, last_epoch=3)
        run = [sched.get_last_lr()[0]]
        for _ in range(3):
            opt.step()
            sched.step()
            run.append(sched.get_last_lr()[0])
        rates.append(run)
        assert sched.state_dict()["lr_lambdas"] == [None] and sched.last_epoch == 7
    np.testing.assert_allclose(rates[0], rates[1], rtol=1e-12)
    assert rates[0][0] == 0.05  # resuming keeps the current rate, as torch


class Halving:
    """A callable object: its attributes are saved in the state_dict."""

    def __init__(self) -> None:
        self.factor = 0.5

    def __call__(self, epoch: int) -> float:
        return self.factor


def test_multiplicative_lr_state_dict_keeps_callable_objects():
    states = []
    for lib in (nerve, torch):
        opt = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=0.1)
        sched = lib.optim.lr_scheduler.MultiplicativeLR(opt, Halving())
        sched.lr_lambdas[0].factor = 0.25
        opt.step()
        sched.step()
        state = sched.state_dict()
        fresh = lib.optim.lr_scheduler.MultiplicativeLR(opt, Halving())
        fresh.load_state_dict(state)
        assert fresh.lr_lambdas[0].factor == 0.25 and fresh.last_epoch == 1
        states.append(state)
    assert states[0]["lr_lambdas"] == states[1]["lr_lambdas"] == [{"factor": 0.25}]
    assert sorted(states[0]) == sorted(states[1])


def test_multiplicative_lr_errors_match_torch():
    for lib in (nerve, torch):
        opt = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=0.1)
        with pytest.raises(ValueError, match="Expected 1 lr_lambdas, but got 2"):
            lib.optim.lr_scheduler.MultiplicativeLR(opt, [lambda e: 1.0, lambda e: 1.0])
        with pytest.raises(TypeError, match="lr_lambda should be a function, but got float"):
            lib.optim.lr_scheduler.MultiplicativeLR(opt, 0.5)
