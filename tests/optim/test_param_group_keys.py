"""Every optimizer's parameter groups as torch 2.13 builds them: the constructor's arguments,
the group keys (torch's switches foreach/fused/capturable/differentiable included) with their
defaults and order, the repr, the errors torch raises for the switches on CPU, and state_dicts
that load from torch into nerve, from nerve into torch, and from checkpoints written before
the switches were kept."""

from __future__ import annotations

import inspect
import io
import warnings
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nerve  # noqa: E402
from parity import Pair  # noqa: E402

NAMES = [
    "SGD",
    "Adam",
    "AdamW",
    "Adamax",
    "NAdam",
    "RAdam",
    "RMSprop",
    "Adagrad",
    "Adadelta",
    "Rprop",
    "ASGD",
    "LBFGS",
]
SWITCHES = ("foreach", "fused", "capturable", "differentiable", "decoupled_weight_decay")


def test_every_nerve_optimizer_is_covered():
    ours = {
        name
        for name, obj in vars(nerve.optim).items()
        if isinstance(obj, type) and issubclass(obj, nerve.optim.Optimizer)
    }
    assert ours - {"Optimizer"} == set(NAMES)


def _signature(cls: type) -> list[tuple[str, Any, Any]]:
    parameters = inspect.signature(cls.__init__).parameters.values()
    return [(p.name, p.kind, p.default) for p in parameters]


def _two_groups(lib: Any, name: str) -> Any:
    a, b = lib.nn.Parameter(lib.ones(2)), lib.nn.Parameter(lib.ones(3))
    cls = getattr(lib.optim, name)
    if name == "LBFGS":  # one group only, in both
        return cls([a])
    return cls([{"params": [a]}, {"params": [b], "lr": 0.5}])


@pytest.mark.parametrize("name", NAMES)
def test_constructor_arguments_are_torchs(name):
    assert _signature(getattr(nerve.optim, name)) == _signature(getattr(torch.optim, name))


@pytest.mark.parametrize("name", NAMES)
def test_group_keys_defaults_and_repr_are_torchs(name):
    ours, theirs = _two_groups(nerve, name), _two_groups(torch, name)
    assert list(ours.defaults.items()) == list(theirs.defaults.items())  # order too
    for group, expected in zip(ours.param_groups, theirs.param_groups, strict=True):
        assert list(group) == list(expected)
    assert ours.state_dict()["param_groups"] == theirs.state_dict()["param_groups"]
    # The class name is printed bare by both (no module), so no "nerve."/"torch." to normalise;
    # with two groups, torch separates them by a blank line.
    assert repr(ours) == repr(theirs)


def test_adams_decoupled_weight_decay_is_adamw():
    pair = Pair()
    ours = nerve.optim.Adam(pair.ours, lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)
    theirs = torch.optim.AdamW(pair.theirs, lr=0.05, weight_decay=0.1)
    pair.run(ours, theirs, steps=3)


@pytest.mark.parametrize("lib", [nerve, torch], ids=["nerve", "torch"])
def test_adamw_stays_decoupled_after_loading_an_adam_state(lib):
    w = lib.nn.Parameter(lib.ones(2))
    adamw = lib.optim.AdamW([w])
    adamw.load_state_dict(lib.optim.Adam([w]).state_dict())
    assert adamw.param_groups[0]["decoupled_weight_decay"] is True


# -- what torch refuses on CPU tensors, and when ----------------------------------------------

COMBOS = [
    {"foreach": True},
    {"foreach": False},
    {"capturable": True},
    {"differentiable": True},
    {"fused": True},
    {"fused": False},
    {"fused": True, "foreach": True},
    {"fused": True, "differentiable": True},
    {"fused": True, "capturable": True},
    {"capturable": True, "foreach": True},
    {"differentiable": True, "foreach": True},
    {"capturable": True, "differentiable": True},
]


def _outcome(lib: Any, name: str, switches: dict[str, Any], requires_grad: bool) -> tuple:
    """Where it fails (constructor or step) with which error, or the weights after a step."""
    weights = lib.ones(3, dtype=lib.float64)  # float32 would round torch's paths apart
    p = lib.nn.Parameter(weights) if requires_grad else weights
    try:
        opt = getattr(lib.optim, name)([p], lr=0.1, **switches)
    except Exception as error:
        return "constructor", type(error).__name__, str(error)
    p.grad = lib.full((3,), 0.5, dtype=lib.float64)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's notes on differentiable steps
            opt.step()
    except Exception as error:
        return "step", type(error).__name__, str(error)
    return "ok", p.detach().tolist()


@pytest.mark.parametrize("name", [n for n in NAMES if n != "LBFGS"])
def test_switches_are_accepted_and_refused_as_torch_does(name):
    accepted = inspect.signature(getattr(torch.optim, name).__init__).parameters
    for switches in COMBOS:
        if not set(switches) <= set(accepted):
            with pytest.raises(TypeError, match="unexpected keyword"):
                getattr(nerve.optim, name)([nerve.nn.Parameter(nerve.ones(2))], **switches)
            continue
        for requires_grad in (True, False):
            expected = _outcome(torch, name, switches, requires_grad)
            outcome = _outcome(nerve, name, switches, requires_grad)
            if expected[0] == "ok" and outcome[0] == "ok":
                # torch's differentiable Adam computes its bias corrections from the float32
                # step tensor; nerve's one implementation computes them in double precision,
                # as torch does without differentiable=True.
                rel = 1e-4 if switches.get("differentiable") else 1e-12
                assert outcome[1] == pytest.approx(expected[1], rel=rel), (switches, requires_grad)
            else:
                assert outcome == expected, (switches, requires_grad)


# -- state_dicts: torch -> nerve, nerve -> torch, and checkpoints from before ------------------

# Non-default switches and options where both libraries take them, so that loading has to
# carry them over rather than keep the fresh optimizer's defaults.
ROUND_TRIPS = {
    "SGD": {"momentum": 0.9, "foreach": False, "fused": False},
    "Adam": {"amsgrad": True, "foreach": False, "decoupled_weight_decay": True},
    "AdamW": {"fused": False},
    "Adamax": {"foreach": False, "weight_decay": 0.01},
    "NAdam": {"foreach": False, "weight_decay": 0.01, "decoupled_weight_decay": True},
    "RAdam": {"foreach": False, "weight_decay": 0.01, "decoupled_weight_decay": True},
    "RMSprop": {"momentum": 0.5, "centered": True, "foreach": False},
    "Adagrad": {"lr_decay": 0.01, "foreach": False, "fused": False},
    "Adadelta": {"foreach": False},
    "Rprop": {"foreach": False},
    "ASGD": {"t0": 2, "foreach": False},
    # Few iterations per step: L-BFGS amplifies last-bit differences (test_more_optimizers.py).
    "LBFGS": {"history_size": 2, "max_iter": 2, "line_search_fn": "strong_wolfe"},
}


def _to_torch(value: Any) -> Any:
    if isinstance(value, nerve.Tensor):
        return torch.tensor(np.asarray(value))
    if isinstance(value, dict):
        return {k: _to_torch(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_to_torch(v) for v in value)
    return value


def _to_nerve(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return nerve.tensor(value.detach().numpy())
    if isinstance(value, dict):
        return {k: _to_nerve(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_to_nerve(v) for v in value)
    return value


def _groups(opt: Any) -> list[dict[str, Any]]:
    return [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]


def _pair(name: str, **kwargs: Any) -> tuple[Pair, Any, Any]:
    pair = Pair()

    def groups(params: list[Any]) -> Any:
        if name == "LBFGS":
            return params
        return [{"params": [params[0]]}, {"params": [params[1]], "lr": 0.03}]

    kwargs.setdefault("lr", 0.1)
    ours = getattr(nerve.optim, name)(groups(pair.ours), **kwargs)
    theirs = getattr(torch.optim, name)(groups(pair.theirs), **kwargs)
    return pair, ours, theirs


def _run(pair: Pair, ours: Any, theirs: Any, steps: int) -> None:
    if not isinstance(ours, nerve.optim.LBFGS):
        pair.run(ours, theirs, steps=steps)
        return
    ours_closure, theirs_closure = pair.closures(ours, theirs)
    for step in range(steps):
        ours.step(ours_closure)
        theirs.step(theirs_closure)
        pair.check(f"after step {step + 1}")


@pytest.mark.parametrize("name", NAMES)
def test_state_dicts_load_across_libraries(name):
    pair, ours, theirs = _pair(name, **ROUND_TRIPS[name])
    _run(pair, ours, theirs, steps=2)
    # Fresh optimizers on the same parameters, with the defaults: each loads the other's state.
    fresh_ours = type(ours)(_param_groups(ours))
    fresh_theirs = type(theirs)(_param_groups(theirs))
    fresh_ours.load_state_dict(_to_nerve(theirs.state_dict()))
    fresh_theirs.load_state_dict(_to_torch(ours.state_dict()))
    assert _groups(fresh_ours) == _groups(theirs)
    assert _groups(fresh_theirs) == _groups(ours) == _groups(theirs)
    _run(pair, fresh_ours, fresh_theirs, steps=2)  # they continue where the others stopped


def _param_groups(opt: Any) -> list[dict[str, Any]]:
    """The groups' parameters alone, for a fresh optimizer with the default options."""
    return [{"params": g["params"]} for g in opt.param_groups]


def _saved(state_dict: dict[str, Any]) -> Any:
    buffer = io.BytesIO()
    nerve.save(state_dict, buffer)
    buffer.seek(0)
    return nerve.load(buffer)


@pytest.mark.parametrize("name", NAMES)
def test_switches_survive_nerve_save(name):
    opt = _pair(name, **ROUND_TRIPS[name])[1]
    state = opt.state_dict()
    assert _saved(state)["param_groups"] == state["param_groups"]  # None and bools included


@pytest.mark.parametrize("name", NAMES)
def test_a_checkpoint_from_before_the_switches_loads_with_the_defaults(name):
    pair, ours, _ = _pair(name)
    state = ours.state_dict()
    for group in state["param_groups"]:  # what nerve wrote before it kept torch's switches
        for key in SWITCHES:
            group.pop(key, None)
    fresh = type(ours)(_param_groups(ours))
    fresh.load_state_dict(_saved(state))
    assert _groups(fresh) == _groups(_pair(name)[2])  # torch's keys, torch's defaults
