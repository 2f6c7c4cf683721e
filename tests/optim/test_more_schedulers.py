"""CosineAnnealingWarmRestarts, CyclicLR, SequentialLR, ChainedScheduler, PolynomialLR,
ConstantLR and ReduceLROnPlateau (an LRScheduler) against torch.optim.lr_scheduler: the rates
and cycled momenta at every step, the state_dict keys, the errors."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nerve  # noqa: E402
from parity import compare_schedules as _compare  # noqa: E402
from parity import two_group_optimizers as _optimizers  # noqa: E402

S = nerve.optim.lr_scheduler
TS = torch.optim.lr_scheduler

SCHEDULES = {
    "constant": lambda s, o: s.ConstantLR(o),
    "constant-factor": lambda s, o: s.ConstantLR(o, factor=0.5, total_iters=7),
    "polynomial": lambda s, o: s.PolynomialLR(o),
    "polynomial-power": lambda s, o: s.PolynomialLR(o, total_iters=12, power=2.5),
    "warm-restarts": lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=5),
    "warm-restarts-mult": lambda s, o: s.CosineAnnealingWarmRestarts(o, 3, T_mult=2, eta_min=0.01),
    "cyclic": lambda s, o: s.CyclicLR(o, 0.01, 0.1, step_size_up=4),
    "cyclic-asym": lambda s, o: s.CyclicLR(o, [0.01, 0.02], 0.1, step_size_up=3, step_size_down=5),
    "cyclic-tri2": lambda s, o: s.CyclicLR(o, 0.01, 0.1, step_size_up=2, mode="triangular2"),
    "cyclic-exp": lambda s, o: s.CyclicLR(o, 0.01, 0.1, 3, mode="exp_range", gamma=0.95),
    "cyclic-custom": lambda s, o: s.CyclicLR(
        o, 0.01, 0.1, 3, scale_fn=lambda x: 1 / x, scale_mode="cycle", cycle_momentum=False
    ),
    "cyclic-no-momentum": lambda s, o: s.CyclicLR(o, 0.01, 0.1, 3, cycle_momentum=False),
    "sequential": lambda s, o: s.SequentialLR(
        o, [s.ConstantLR(o, 0.1, total_iters=3), s.ExponentialLR(o, 0.9)], milestones=[3]
    ),
    "sequential-three": lambda s, o: s.SequentialLR(
        o,
        [s.LinearLR(o, 0.2, total_iters=4), s.StepLR(o, 3), s.CosineAnnealingLR(o, 8)],
        milestones=[5, 12],
    ),
    "chained": lambda s, o: s.ChainedScheduler(
        [s.ConstantLR(o, 0.1, total_iters=4), s.ExponentialLR(o, 0.9)]
    ),
    "chained-polynomial": lambda s, o: s.ChainedScheduler(
        [s.PolynomialLR(o, total_iters=20, power=0.5), s.StepLR(o, 5, 0.5)], optimizer=o
    ),
}


@pytest.mark.parametrize("name", SCHEDULES)
def test_rates_match_torch(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's "lr_scheduler.step() before optimizer.step()"
        _compare(SCHEDULES[name], steps=30, momentum=0.9)


def test_cyclic_cycles_adams_beta1():
    _compare(lambda s, o: s.CyclicLR(o, 0.001, 0.01, 4), steps=20, name="Adam")


@pytest.mark.parametrize("name", ["warm-restarts", "cyclic", "constant", "polynomial"])
@pytest.mark.filterwarnings("ignore:Detected call of:UserWarning")
def test_state_dict_keys_and_values_as_torch(name):
    _, ours_opt, theirs_opt = _optimizers(momentum=0.9)
    ours, theirs = SCHEDULES[name](S, ours_opt), SCHEDULES[name](TS, theirs_opt)
    for _ in range(3):
        ours.step(), theirs.step()
    mine, want = ours.state_dict(), theirs.state_dict()
    assert list(mine) == list(want)
    assert mine == pytest.approx(want) if name != "cyclic" else set(mine) == set(want)


@pytest.mark.parametrize("t_mult", [1, 2, 3])
def test_warm_restarts_take_fractional_epochs(t_mult):
    _, ours_opt, theirs_opt = _optimizers()
    ours = S.CosineAnnealingWarmRestarts(ours_opt, T_0=2, T_mult=t_mult, eta_min=0.001)
    theirs = TS.CosineAnnealingWarmRestarts(theirs_opt, T_0=2, T_mult=t_mult, eta_min=0.001)
    for epoch in np.arange(0, 15, 0.3):  # per batch: epoch + i / iters
        ours.step(float(epoch)), theirs.step(float(epoch))
        np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-12)
        assert (ours.T_cur, ours.T_i, ours.last_epoch) == pytest.approx(
            (theirs.T_cur, theirs.T_i, theirs.last_epoch)
        )


def test_reduce_on_plateau_is_an_lr_scheduler():
    _, ours_opt, theirs_opt = _optimizers()
    ours = S.ReduceLROnPlateau(ours_opt, patience=1, cooldown=1, min_lr=[0.0, 0.01])
    theirs = TS.ReduceLROnPlateau(theirs_opt, patience=1, cooldown=1, min_lr=[0.0, 0.01])
    assert isinstance(ours, S.LRScheduler)
    for metric in [1.0, 0.9, 0.95, 0.95, 0.97, 0.99, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]:
        ours.step(metric), theirs.step(metric)
        assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-12)
    assert ours.state_dict() == theirs.state_dict()
    fresh = S.ReduceLROnPlateau(ours_opt, mode="max")
    fresh.load_state_dict(ours.state_dict())
    assert fresh.mode == "min" and fresh.mode_worse == math.inf


@pytest.mark.filterwarnings("ignore:Detected call of:UserWarning")
def test_composites_save_their_members_and_resume():
    _, ours_opt, theirs_opt = _optimizers()
    make = SCHEDULES["sequential"]
    ours, theirs = make(S, ours_opt), make(TS, theirs_opt)
    for _ in range(4):
        ours.step(), theirs.step()
    saved = ours.state_dict()
    assert list(saved) == list(theirs.state_dict())
    assert [list(m) for m in saved["_schedulers"]] == [
        list(m) for m in theirs.state_dict()["_schedulers"]
    ]
    # Rebuilt on the same optimizer (which that changes) and reloaded, in both libraries.
    theirs_saved = theirs.state_dict()
    ours, theirs = make(S, ours_opt), make(TS, theirs_opt)
    ours.load_state_dict(saved), theirs.load_state_dict(theirs_saved)
    for _ in range(5):
        ours.step(), theirs.step()
        assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-12)


ERRORS = [
    ("ConstantLR factor", lambda s, o: s.ConstantLR(o, factor=1.5), ValueError),
    ("warm restarts T_0", lambda s, o: s.CosineAnnealingWarmRestarts(o, 0), ValueError),
    ("warm restarts float T_0", lambda s, o: s.CosineAnnealingWarmRestarts(o, 2.0), ValueError),
    (
        "warm restarts T_mult",
        lambda s, o: s.CosineAnnealingWarmRestarts(o, 2, T_mult=0),
        ValueError,
    ),
    (
        "warm restarts eta_min",
        lambda s, o: s.CosineAnnealingWarmRestarts(o, 2, eta_min="0"),
        ValueError,
    ),
    ("cyclic mode", lambda s, o: s.CyclicLR(o, 0.01, 0.1, mode="sine"), ValueError),
    ("cyclic max_lr list", lambda s, o: s.CyclicLR(o, 0.01, [0.1, 0.2]), ValueError),
    ("sequential empty", lambda s, o: s.SequentialLR(o, [], []), ValueError),
    ("sequential milestones", lambda s, o: s.SequentialLR(o, [s.StepLR(o, 2)], [3]), ValueError),
    (
        "sequential plateau",
        lambda s, o: s.SequentialLR(o, [s.StepLR(o, 2), s.ReduceLROnPlateau(o)], [3]),
        ValueError,
    ),
    ("sequential not a scheduler", lambda s, o: s.SequentialLR(o, [object()], []), TypeError),
    ("chained empty", lambda s, o: s.ChainedScheduler([]), ValueError),
    ("plateau mode", lambda s, o: s.ReduceLROnPlateau(o, mode="up"), ValueError),
    ("plateau factor", lambda s, o: s.ReduceLROnPlateau(o, factor=1.0), ValueError),
]


@pytest.mark.parametrize("what, make, error", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_as_torch(what, make, error):
    messages = []
    for lib, s in ((nerve, S), (torch, TS)):
        opt = lib.optim.SGD([lib.nn.Parameter(lib.ones(2))], lr=0.1, momentum=0.9)
        with pytest.raises(error) as info:
            make(s, opt)
        messages.append(str(info.value))
    assert messages[0] == messages[1]


def test_cyclic_without_momentum_option_refused():
    opt = nerve.optim.Adagrad([nerve.nn.Parameter(nerve.ones(2))])
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        S.CyclicLR(opt, 0.01, 0.1)
    with pytest.raises(ValueError, match="Expected non-negative epoch"):
        S.CosineAnnealingWarmRestarts(opt, 2).step(-1)


def test_sequential_refuses_a_member_of_another_optimizer():
    a = nerve.optim.SGD([nerve.nn.Parameter(nerve.ones(2))])
    b = nerve.optim.SGD([nerve.nn.Parameter(nerve.ones(2))])
    with pytest.raises(ValueError, match="expects all schedulers to belong to the same optimizer"):
        S.SequentialLR(a, [S.StepLR(a, 2), S.StepLR(b, 2)], [3])
