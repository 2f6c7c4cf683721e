"""Learning-rate schedules against torch.optim.lr_scheduler: the learning rates (and cycled
momentum) over ~30 steps, and whole optimizer + scheduler trajectories."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nerve  # noqa: E402
from parity import Pair  # noqa: E402

S = nerve.optim.lr_scheduler
TS = torch.optim.lr_scheduler


def _optimizers(name="SGD", **kwargs):
    """Two groups with different learning rates, in nerve and in torch."""
    pair = Pair()
    kwargs.setdefault("lr", 0.1)

    def groups(params):
        return [{"params": [params[0]]}, {"params": [params[1]], "lr": 0.03}]

    ours = getattr(nerve.optim, name)(groups(pair.ours), **kwargs)
    theirs = getattr(torch.optim, name)(groups(pair.theirs), **kwargs)
    return pair, ours, theirs


def _momenta(optimizer):
    return [g["betas"][0] if "betas" in g else g.get("momentum") for g in optimizer.param_groups]


def _compare(make, steps=30, name="SGD", **opt_kwargs):
    """Step both schedules, comparing lr (and momentum) before the first and after each step."""
    _, ours_opt, theirs_opt = _optimizers(name, **opt_kwargs)
    ours, theirs = make(S, ours_opt), make(TS, theirs_opt)
    for step in range(steps + 1):
        np.testing.assert_allclose(
            ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-12, atol=1e-15, err_msg=f"{step}"
        )
        np.testing.assert_allclose(
            [g["lr"] for g in ours_opt.param_groups],
            [g["lr"] for g in theirs_opt.param_groups],
            rtol=1e-12,
            atol=1e-15,
        )
        assert _momenta(ours_opt) == pytest.approx(_momenta(theirs_opt), rel=1e-12, abs=1e-15)
        if step < steps:
            ours_opt.step(), theirs_opt.step()
            ours.step(), theirs.step()
    assert ours.last_epoch == theirs.last_epoch


SCHEDULES = {
    "step": lambda s, o: s.StepLR(o, step_size=4),
    "step-gamma": lambda s, o: s.StepLR(o, step_size=3, gamma=0.5),
    "multistep": lambda s, o: s.MultiStepLR(o, milestones=[3, 10, 10, 25], gamma=0.3),
    "exponential": lambda s, o: s.ExponentialLR(o, gamma=0.9),
    "cosine": lambda s, o: s.CosineAnnealingLR(o, T_max=30),
    "cosine-restart": lambda s, o: s.CosineAnnealingLR(o, T_max=7, eta_min=0.001),
    "lambda": lambda s, o: s.LambdaLR(o, lambda epoch: 1 / (1 + epoch)),
    "lambda-per-group": lambda s, o: s.LambdaLR(o, [lambda e: 0.9**e, lambda e: e % 3 + 1]),
    "linear": lambda s, o: s.LinearLR(o),
    "linear-decay": lambda s, o: s.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=20),
    "onecycle": lambda s, o: s.OneCycleLR(o, max_lr=1.0, total_steps=30),
    "onecycle-groups": lambda s, o: s.OneCycleLR(
        o, max_lr=[1.0, 0.5], epochs=3, steps_per_epoch=10
    ),
    "onecycle-linear": lambda s, o: s.OneCycleLR(
        o, max_lr=0.5, total_steps=30, anneal_strategy="linear", pct_start=0.4
    ),
    "onecycle-three-phase": lambda s, o: s.OneCycleLR(
        o, max_lr=0.5, total_steps=30, three_phase=True, div_factor=10, final_div_factor=100
    ),
    "onecycle-no-momentum": lambda s, o: s.OneCycleLR(
        o, max_lr=0.5, total_steps=30, cycle_momentum=False
    ),
}


@pytest.mark.parametrize("make", SCHEDULES.values(), ids=SCHEDULES.keys())
def test_schedule_matches_torch(make):
    _compare(make, momentum=0.9)


@pytest.mark.parametrize(
    "make",
    [SCHEDULES["onecycle"], SCHEDULES["onecycle-three-phase"], SCHEDULES["onecycle-linear"]],
)
def test_one_cycle_cycles_adams_beta1(make):
    _compare(make, name="Adam")


def test_one_cycle_needs_momentum_to_cycle():
    _, opt, _ = _optimizers("Adagrad")
    with pytest.raises(ValueError, match="momentum"):
        S.OneCycleLR(opt, max_lr=0.1, total_steps=10)
    S.OneCycleLR(opt, max_lr=0.1, total_steps=10, cycle_momentum=False)


def test_one_cycle_refuses_to_step_past_the_end():
    _, opt, _ = _optimizers()
    scheduler = S.OneCycleLR(opt, max_lr=0.1, total_steps=5)
    for _ in range(4):
        scheduler.step()
    with pytest.raises(ValueError, match="total steps is 5"):
        scheduler.step()
        scheduler.step()
    with pytest.raises(ValueError, match="total_steps"):
        S.OneCycleLR(opt, max_lr=0.1)


PLATEAU = [
    {},
    {"mode": "max"},
    {"patience": 2, "factor": 0.5},
    {"patience": 1, "threshold": 0.1, "threshold_mode": "abs"},
    {"patience": 1, "threshold": 0.05, "threshold_mode": "rel", "mode": "max"},
    {"patience": 0, "cooldown": 3, "factor": 0.5},
    {"patience": 1, "min_lr": 0.01, "factor": 0.2},
    {"patience": 1, "min_lr": [0.05, 0.0], "factor": 0.5},
    {"patience": 1, "eps": 0.02, "factor": 0.9},
]


@pytest.mark.parametrize("kwargs", PLATEAU, ids=[str(k) for k in PLATEAU])
def test_reduce_lr_on_plateau_matches_torch(kwargs):
    _, ours_opt, theirs_opt = _optimizers()
    ours, theirs = (
        S.ReduceLROnPlateau(ours_opt, **kwargs),
        TS.ReduceLROnPlateau(theirs_opt, **kwargs),
    )
    rng = np.random.default_rng(0)
    # improving, then flat with noise, then improving a little, then worse
    metrics = np.concatenate(
        [np.linspace(1, 0.5, 8), 0.5 + rng.normal(0, 0.01, 12), np.linspace(0.5, 0.45, 6)]
    )
    metrics = np.concatenate([metrics, np.linspace(0.6, 0.9, 8)])
    for i, metric in enumerate(metrics):
        ours.step(float(metric))
        theirs.step(float(metric))
        assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-12), i
        assert [g["lr"] for g in ours_opt.param_groups] == pytest.approx(
            [g["lr"] for g in theirs_opt.param_groups], rel=1e-12
        )
        assert ours.num_bad_epochs == theirs.num_bad_epochs, i
    assert ours.best == theirs.best
    ours.step(nerve.tensor(0.1))  # a 0-d tensor metric works too


def test_reduce_lr_on_plateau_errors():
    _, opt, _ = _optimizers()
    with pytest.raises(ValueError, match="Factor"):
        S.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode"):
        S.ReduceLROnPlateau(opt, mode="up")
    with pytest.raises(ValueError, match="threshold mode"):
        S.ReduceLROnPlateau(opt, threshold_mode="pct")


TRAJECTORIES = [
    ("SGD", {"lr": 0.5, "momentum": 0.9}, lambda s, o: s.StepLR(o, 5, 0.5)),
    ("SGD", {"lr": 0.5, "momentum": 0.9, "nesterov": True}, SCHEDULES["onecycle"]),
    ("Adam", {"lr": 0.05}, SCHEDULES["cosine"]),
    ("Adam", {"lr": 0.05}, SCHEDULES["onecycle-three-phase"]),
    ("AdamW", {"lr": 0.05}, SCHEDULES["linear"]),
    ("RMSprop", {"lr": 0.01, "momentum": 0.5}, SCHEDULES["exponential"]),
    ("Adagrad", {"lr": 0.1}, SCHEDULES["multistep"]),
]


@pytest.mark.parametrize(
    "name, kwargs, make", TRAJECTORIES, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(TRAJECTORIES)]
)
def test_optimizer_and_scheduler_trajectories_match_torch(name, kwargs, make):
    pair = Pair()
    ours_opt = getattr(nerve.optim, name)(pair.ours, **kwargs)
    theirs_opt = getattr(torch.optim, name)(pair.theirs, **kwargs)
    pair.run(ours_opt, theirs_opt, steps=30, schedulers=(make(S, ours_opt), make(TS, theirs_opt)))


def test_scheduler_sets_initial_lr_and_resumes_like_torch():
    _, opt, _ = _optimizers()
    assert all("initial_lr" not in g for g in opt.param_groups)
    with pytest.raises(KeyError, match="initial_lr"):
        S.StepLR(opt, step_size=2, last_epoch=3)
    scheduler = S.StepLR(opt, step_size=2)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.03]
    for _ in range(5):
        opt.step()
        scheduler.step()
    state = scheduler.state_dict()
    _, opt2, _ = _optimizers()
    resumed = S.StepLR(opt2, step_size=2)
    opt2.load_state_dict(opt.state_dict())  # the current rates live in the optimizer
    resumed.load_state_dict(state)
    assert resumed.last_epoch == 5
    opt2.step()
    resumed.step()
    opt.step()
    scheduler.step()
    assert resumed.get_last_lr() == scheduler.get_last_lr()
    assert math.isclose(scheduler.get_last_lr()[0], 0.1 * 0.1**3)


def test_scheduler_rejects_non_optimizers():
    with pytest.raises(TypeError, match="Optimizer"):
        S.StepLR(object(), step_size=1)


def test_chained_schedules_and_manual_changes_compose_like_torch():
    """Two schedules on one optimizer multiply (warm-up times decay), as in torch's docs."""
    pair = Pair()
    ours_opt = nerve.optim.SGD(pair.ours, lr=0.5, momentum=0.9)
    theirs_opt = torch.optim.SGD(pair.theirs, lr=0.5, momentum=0.9)
    ours = [S.LinearLR(ours_opt, 0.1, total_iters=5), S.ExponentialLR(ours_opt, 0.9)]
    theirs = [TS.LinearLR(theirs_opt, 0.1, total_iters=5), TS.ExponentialLR(theirs_opt, 0.9)]
    for step in range(20):
        pair.run(ours_opt, theirs_opt, steps=1)
        for a, b in zip(ours, theirs):
            a.step(), b.step()
        if step == 10:  # a learning rate set by hand stays set
            ours_opt.param_groups[0]["lr"] = theirs_opt.param_groups[0]["lr"] = 0.05
        assert ours_opt.param_groups[0]["lr"] == pytest.approx(
            theirs_opt.param_groups[0]["lr"], rel=1e-12
        )


@pytest.mark.parametrize(
    "make", [SCHEDULES["cosine-restart"], SCHEDULES["step"], SCHEDULES["multistep"]]
)
def test_two_cosine_step_and_multistep_chains(make):
    _, ours_opt, theirs_opt = _optimizers()
    ours = [make(S, ours_opt), S.CosineAnnealingLR(ours_opt, T_max=5)]
    theirs = [make(TS, theirs_opt), TS.CosineAnnealingLR(theirs_opt, T_max=5)]
    for _ in range(25):
        ours_opt.step(), theirs_opt.step()
        for a, b in zip(ours, theirs):
            a.step(), b.step()
        assert [g["lr"] for g in ours_opt.param_groups] == pytest.approx(
            [g["lr"] for g in theirs_opt.param_groups], rel=1e-10
        )


def test_step_with_an_explicit_epoch_uses_the_closed_form():
    for make in (SCHEDULES["cosine"], SCHEDULES["step"], SCHEDULES["lambda"], SCHEDULES["linear"]):
        _, ours_opt, theirs_opt = _optimizers()
        ours, theirs = make(S, ours_opt), make(TS, theirs_opt)
        for epoch in (7, 3, 12):
            ours.step(epoch)
            with pytest.warns(UserWarning):
                theirs.step(epoch)
            assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-12)
