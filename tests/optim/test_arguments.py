"""Optimizer and scheduler arguments are checked as torch 2.13 checks them.

Where torch refuses an argument, nerve raises the same exception type with the same message
(``Invalid learning rate: nan``), checked case by case against torch itself. Where torch
only compares ``x < 0`` and so lets NaN through (SGD's options, a parameter group's own
options, LinearLR's factors, pct_start, ReduceLROnPlateau's factor), nerve refuses NaN too,
with the message torch gives for the neighbouring bad values: a NaN hyper-parameter only
ever fills the weights with NaN at the first step.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import pytest

import nerve

NAN, INF = math.nan, math.inf

# (case id, optimizer, keyword arguments): torch raises for each of these.
OPTIMIZER_CASES: list[tuple[str, dict[str, Any]]] = [
    ("SGD", {"lr": -1.0}),
    ("SGD", {"lr": 0.1, "momentum": -0.5}),
    ("SGD", {"lr": 0.1, "weight_decay": -INF}),
    ("SGD", {"lr": 0.1, "nesterov": True}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "nesterov": True}),
    ("Adam", {"lr": NAN}),  # issue 10, item 9
    ("Adam", {"lr": -1e-3}),
    ("Adam", {"eps": NAN}),
    ("Adam", {"weight_decay": NAN}),
    ("Adam", {"betas": (NAN, 0.9)}),
    ("Adam", {"betas": (0.9, NAN)}),
    ("Adam", {"betas": (-0.1, 0.9)}),
    ("Adam", {"betas": (0.9, 1.0)}),
    ("Adam", {"betas": (INF, 0.9)}),
    ("AdamW", {"lr": NAN}),
    ("AdamW", {"eps": -1.0}),
    ("AdamW", {"betas": (1.0, 0.9)}),
    ("AdamW", {"weight_decay": NAN}),
    ("RMSprop", {"lr": NAN}),
    ("RMSprop", {"alpha": NAN}),
    ("RMSprop", {"eps": -1.0}),
    ("RMSprop", {"weight_decay": NAN}),
    ("RMSprop", {"momentum": NAN}),
    ("Adagrad", {"lr": NAN}),
    ("Adagrad", {"lr_decay": NAN}),
    ("Adagrad", {"weight_decay": -1.0}),
    ("Adagrad", {"initial_accumulator_value": NAN}),
    ("Adagrad", {"eps": NAN}),
]

# Accepted by torch and by nerve: the checks must not refuse legitimate values.
ACCEPTED: list[tuple[str, dict[str, Any]]] = [
    ("SGD", {"lr": 0.0}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.1, "dampening": -1.0}),  # torch does not check dampening
    ("Adam", {"lr": INF}),
    ("Adam", {"eps": 0.0, "betas": (0.0, 0.0)}),
    ("Adam", {"betas": [0.5, 0.6]}),
    ("RMSprop", {"alpha": 0.0, "momentum": 0.0}),
    ("Adagrad", {"lr_decay": 0.0}),
]


def _params(lib: Any) -> list[Any]:
    return [lib.nn.Parameter(lib.zeros(2))]


def _outcome(build: Callable[[], Any]) -> tuple[str, str] | None:
    """(exception type, message) of ``build()``, or None when it succeeds."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            build()
    except Exception as err:  # noqa: BLE001 - the point is to compare any exception
        return type(err).__name__, str(err)
    return None


def _case_id(case: tuple[str, dict[str, Any]]) -> str:
    name, kwargs = case
    return f"{name}({', '.join(f'{k}={v}' for k, v in kwargs.items())})"


@pytest.mark.parametrize("case", OPTIMIZER_CASES, ids=_case_id)
def test_optimizer_refuses_like_torch(case: tuple[str, dict[str, Any]]) -> None:
    torch = pytest.importorskip("torch")
    name, kwargs = case
    expected = _outcome(lambda: getattr(torch.optim, name)(_params(torch), **kwargs))
    assert expected is not None and expected[0] == "ValueError", expected
    got = _outcome(lambda: getattr(nerve.optim, name)(_params(nerve), **kwargs))
    assert got == expected


@pytest.mark.parametrize("case", ACCEPTED, ids=_case_id)
def test_legitimate_values_are_accepted(case: tuple[str, dict[str, Any]]) -> None:
    name, kwargs = case
    getattr(nerve.optim, name)(_params(nerve), **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lr": NAN}, "Invalid learning rate: nan"),
        ({"lr": 0.1, "momentum": NAN}, "Invalid momentum value: nan"),
        ({"lr": 0.1, "weight_decay": NAN}, "Invalid weight_decay value: nan"),
    ],
)
def test_sgd_refuses_nan_where_torch_only_checks_the_sign(
    kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=f"^{message}$"):
        nerve.optim.SGD(_params(nerve), **kwargs)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_a_parameter_group_option_is_checked_like_the_default(name: str) -> None:
    opt = getattr(nerve.optim, name)(_params(nerve), lr=0.1)
    with pytest.raises(ValueError, match="^Invalid learning rate: nan$"):
        opt.add_param_group({"params": _params(nerve), "lr": NAN})
    assert len(opt.param_groups) == 1  # the refused group was not added
    with pytest.raises(ValueError, match="^Invalid learning rate: -2.0$"):
        getattr(nerve.optim, name)([{"params": _params(nerve), "lr": -2.0}], lr=0.1)


@pytest.mark.parametrize("value", ["0.1", None, [0.1]])
def test_a_non_number_is_a_type_error_naming_the_option(value: object) -> None:
    with pytest.raises(
        TypeError, match=r"Invalid learning rate: .* \(lr must be a non-negative number"
    ):
        nerve.optim.Adam(_params(nerve), lr=value)


def test_betas_must_be_a_pair() -> None:
    with pytest.raises(TypeError, match="betas must be a pair"):
        nerve.optim.Adam(_params(nerve), betas=(0.9,))
    with pytest.raises(TypeError, match="Invalid beta parameter at index 1: 'x'"):
        nerve.optim.Adam(_params(nerve), betas=(0.9, "x"))


def _scheduler_cases(lib: Any) -> dict[str, Callable[[], Any]]:
    """Scheduler constructions torch refuses, by name, built on ``lib`` (torch or nerve)."""
    s = lib.optim.lr_scheduler

    def opt() -> Any:
        return lib.optim.SGD(_params(lib), lr=0.1, momentum=0.9)

    def one_cycle(**kwargs: Any) -> Callable[[], Any]:
        return lambda: s.OneCycleLR(opt(), **{"max_lr": 1.0, **kwargs})

    return {
        "LinearLR start_factor=0": lambda: s.LinearLR(opt(), start_factor=0.0),
        "LinearLR start_factor=2": lambda: s.LinearLR(opt(), start_factor=2.0),
        "LinearLR end_factor=-1": lambda: s.LinearLR(opt(), end_factor=-1.0),
        "LambdaLR two lambdas, one group": lambda: s.LambdaLR(opt(), [lambda e: 1.0] * 2),
        "OneCycleLR no steps": one_cycle(),
        "OneCycleLR total_steps=0": one_cycle(total_steps=0),
        "OneCycleLR total_steps=1.5": one_cycle(total_steps=1.5),
        "OneCycleLR total_steps=nan": one_cycle(total_steps=NAN),
        "OneCycleLR epochs=0": one_cycle(epochs=0, steps_per_epoch=2),
        "OneCycleLR epochs=1.5": one_cycle(epochs=1.5, steps_per_epoch=2),
        "OneCycleLR steps_per_epoch=-1": one_cycle(epochs=2, steps_per_epoch=-1),
        "OneCycleLR pct_start=1.1": one_cycle(total_steps=10, pct_start=1.1),
        "OneCycleLR anneal_strategy=sin": one_cycle(total_steps=10, anneal_strategy="sin"),
        "OneCycleLR two max_lr, one group": one_cycle(max_lr=[1.0, 2.0], total_steps=10),
        "ReduceLROnPlateau factor=1": lambda: s.ReduceLROnPlateau(opt(), factor=1.0),
        "ReduceLROnPlateau mode=avg": lambda: s.ReduceLROnPlateau(opt(), mode="avg"),
        "ReduceLROnPlateau threshold_mode": lambda: s.ReduceLROnPlateau(opt(), threshold_mode="x"),
        "ReduceLROnPlateau two min_lr": lambda: s.ReduceLROnPlateau(opt(), min_lr=[0.1, 0.2]),
    }


@pytest.mark.parametrize("case", sorted(_scheduler_cases(nerve)))
def test_scheduler_refuses_like_torch(case: str) -> None:
    torch = pytest.importorskip("torch")
    expected = _outcome(_scheduler_cases(torch)[case])
    assert expected is not None and expected[0] == "ValueError", expected
    assert _outcome(_scheduler_cases(nerve)[case]) == expected


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda s, o: s.LinearLR(o, start_factor=NAN), "Starting multiplicative factor"),
        (lambda s, o: s.LinearLR(o, end_factor=NAN), "Ending multiplicative factor"),
        (lambda s, o: s.OneCycleLR(o, 1.0, total_steps=9, pct_start=NAN), "pct_start, but got nan"),
        (lambda s, o: s.ReduceLROnPlateau(o, factor=NAN), "Factor should be < 1.0"),
    ],
)
def test_schedulers_refuse_nan_in_the_ranges_torch_checks(build: Any, message: str) -> None:
    opt = nerve.optim.SGD(_params(nerve), lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match=message):
        build(nerve.optim.lr_scheduler, opt)
