"""NAdam, RAdam, Adadelta, Adamax, ASGD and LBFGS against torch.optim: the same parameters
after N steps (the parity harness's "steps" tolerance), torch's state and group keys, torch's
checks of the hyper-parameters."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nerve  # noqa: E402
from parity import Pair  # noqa: E402

CASES = [
    ("NAdam", {}),
    ("NAdam", {"lr": 0.05, "betas": (0.8, 0.95), "momentum_decay": 0.01}),
    ("NAdam", {"lr": 0.05, "weight_decay": 0.1}),
    ("NAdam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("NAdam", {"lr": 0.05, "maximize": True}),
    ("RAdam", {}),
    ("RAdam", {"lr": 0.05, "betas": (0.5, 0.6)}),  # rho_t > 5 from step 3 on: both branches
    ("RAdam", {"lr": 0.05, "betas": (0.5, 0.6), "weight_decay": 0.1}),
    (
        "RAdam",
        {"lr": 0.05, "betas": (0.5, 0.6), "weight_decay": 0.1, "decoupled_weight_decay": True},
    ),
    ("RAdam", {"lr": 0.05, "betas": (0.5, 0.6), "maximize": True}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.5, "eps": 1e-4}),
    ("Adadelta", {"weight_decay": 0.1, "maximize": True}),
    ("Adamax", {}),
    ("Adamax", {"lr": 0.05, "betas": (0.8, 0.9), "eps": 1e-4}),
    ("Adamax", {"lr": 0.05, "weight_decay": 0.1, "maximize": True}),
    ("ASGD", {}),
    ("ASGD", {"lr": 0.1, "lambd": 0.01, "alpha": 0.5, "t0": 5}),  # averaging from step 5 on
    ("ASGD", {"lr": 0.1, "t0": 3, "weight_decay": 0.1, "maximize": True}),
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
    # The state: torch's keys, and the same values (ASGD's averaged weights "ax" among them).
    for p, q in zip(pair.ours, pair.theirs):
        assert list(ours.state[p]) == list(theirs.state[q]), name
        for key, value in theirs.state[q].items():
            np.testing.assert_allclose(
                ours.state[p][key].numpy(), value.numpy(), rtol=1e-4, atol=1e-7, err_msg=key
            )


@pytest.mark.parametrize("name", ["NAdam", "RAdam", "Adadelta", "Adamax", "ASGD", "LBFGS"])
def test_defaults_and_state_dict_layout_as_torch(name):
    pair = Pair()
    ours = getattr(nerve.optim, name)(pair.ours)
    theirs = getattr(torch.optim, name)(pair.theirs)
    ours_groups = ours.state_dict()["param_groups"]
    theirs_groups = theirs.state_dict()["param_groups"]
    assert ours_groups == theirs_groups  # keys, their order and the default values


BAD = [
    ("NAdam", {"lr": math.nan}, "Invalid learning rate: nan"),
    ("NAdam", {"eps": -1.0}, "Invalid epsilon value: -1.0"),
    ("NAdam", {"betas": (1.0, 0.9)}, "Invalid beta parameter at index 0: 1.0"),
    ("NAdam", {"weight_decay": -0.1}, "Invalid weight_decay value: -0.1"),
    ("NAdam", {"momentum_decay": -0.1}, "Invalid momentum_decay value: -0.1"),
    ("RAdam", {"betas": (0.9, math.nan)}, "Invalid beta parameter at index 1: nan"),
    ("Adamax", {"lr": -1.0}, "Invalid learning rate: -1.0"),
    ("Adadelta", {"rho": 1.5}, "Invalid rho value: 1.5"),
    ("Adadelta", {"eps": -1.0}, "Invalid epsilon value: -1.0"),
    ("ASGD", {"weight_decay": -1.0}, "Invalid weight_decay value: -1.0"),
    ("LBFGS", {"lr": -1.0}, "Invalid learning rate: -1.0"),
]


@pytest.mark.parametrize("name, kwargs, message", BAD, ids=[f"{b[0]}-{b[2]}" for b in BAD])
def test_invalid_options_raise_torchs_error(name, kwargs, message):
    for lib in (torch, nerve):
        with pytest.raises(ValueError) as info:
            getattr(lib.optim, name)([lib.nn.Parameter(lib.ones(2))], **kwargs)
        assert str(info.value) == message, lib.__name__


def test_lbfgs_refuses_two_groups_and_unknown_line_search():
    a, b = nerve.nn.Parameter(nerve.ones(2)), nerve.nn.Parameter(nerve.ones(2))
    with pytest.raises(ValueError, match="doesn't support per-parameter options"):
        nerve.optim.LBFGS([{"params": [a]}, {"params": [b]}])
    opt = nerve.optim.LBFGS([a], line_search_fn="armijo")
    a.grad = nerve.ones(2)
    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        opt.step(lambda: (a * a).sum())


def test_capturable_is_refused_at_the_step_as_torch_does():
    w = nerve.nn.Parameter(nerve.ones(2))
    opt = nerve.optim.NAdam([w], capturable=True)  # torch accepts it, and refuses a CPU step
    w.grad = nerve.ones(2)
    with pytest.raises(AssertionError, match="If capturable=True, params, mu_products and"):
        opt.step()


# L-BFGS makes up to max_iter iterations per step on the harness's tanh regression, which is
# badly conditioned: a difference in the last bit grows about tenfold per iteration there (20
# fixed steps of lr=1 end 1e-7 apart although the first iterations agree to 1e-16). So the
# tight float64 comparison uses set-ups of few iterations per step; the defaults and float32
# are compared on a convex problem, where both must reach the same minimum.
LBFGS_CASES = [
    {"line_search_fn": "strong_wolfe", "max_iter": 5},
    {"lr": 0.2, "history_size": 3, "max_iter": 7},
    {"history_size": 2, "line_search_fn": "strong_wolfe", "max_eval": 9},
]


@pytest.mark.parametrize("kwargs", LBFGS_CASES, ids=[str(k) for k in LBFGS_CASES])
def test_lbfgs_steps_match_torch(kwargs):
    pair = Pair()
    ours, theirs = nerve.optim.LBFGS(pair.ours, **kwargs), torch.optim.LBFGS(pair.theirs, **kwargs)
    closures = pair.closures(ours, theirs)
    for step in range(3):
        loss_n, loss_t = ours.step(closures[0]), theirs.step(closures[1])
        np.testing.assert_allclose(loss_n.item(), loss_t.item(), rtol=1e-10)
        pair.check(f"after LBFGS step {step + 1}")
    s, t = ours.state[pair.ours[0]], theirs.state[pair.theirs[0]]
    assert sorted(s) == sorted(t)
    assert (s["n_iter"], s["func_evals"]) == (t["n_iter"], t["func_evals"])
    assert len(s["old_dirs"]) == len(t["old_dirs"])
    np.testing.assert_allclose(s["d"].numpy(), t["d"].numpy(), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_reaches_torchs_minimum_of_a_convex_problem(line_search_fn, dtype):
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((12, 5)).astype(dtype), rng.standard_normal(12).astype(dtype)
    lr = 0.5 if line_search_fn is None else 1
    results = [_ridge_by_lbfgs(lib, a, b, lr, line_search_fn) for lib in (nerve, torch)]
    ridge = np.linalg.solve(a.T @ a / 12 + 0.1 * np.eye(5), a.T @ b / 12)
    tol = 1e-4 if dtype == np.float32 else 1e-9
    np.testing.assert_allclose(results[0], results[1], rtol=tol, atol=tol)
    # Near the ridge solution (the stopping tolerances end the run a little before it).
    np.testing.assert_allclose(results[0], ridge, rtol=1e-3, atol=1e-3)


def _ridge_by_lbfgs(lib, a, b, lr, line_search_fn):
    """Three L-BFGS steps on ridge regression with ``lib`` (nerve or torch)."""
    w = lib.nn.Parameter(lib.zeros(a.shape[1], dtype=getattr(lib, a.dtype.name)))
    opt = lib.optim.LBFGS([w], lr=lr, line_search_fn=line_search_fn)
    x, y = lib.tensor(a), lib.tensor(b)

    def closure():
        opt.zero_grad()
        loss = ((x @ w - y) ** 2).mean() + 0.1 * (w**2).sum()
        loss.backward()
        return loss

    for _ in range(3):
        opt.step(closure)
    return w.detach().numpy()


def test_lbfgs_state_dict_round_trip_continues_the_same_way():
    pair = Pair()
    kwargs = {"history_size": 4, "max_iter": 3, "line_search_fn": "strong_wolfe"}
    ours, theirs = nerve.optim.LBFGS(pair.ours, **kwargs), torch.optim.LBFGS(pair.theirs, **kwargs)
    closures = pair.closures(ours, theirs)
    ours.step(closures[0]), theirs.step(closures[1])
    saved = ours.state_dict()
    fresh = nerve.optim.LBFGS(pair.ours, **kwargs)
    fresh.load_state_dict(saved)
    closures = pair.closures(fresh, theirs)
    for _ in range(2):
        fresh.step(closures[0]), theirs.step(closures[1])
        pair.check("after reloading")
