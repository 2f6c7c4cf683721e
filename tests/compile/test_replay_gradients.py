"""The replay node's own gradients, by finite differences in float64 (first and second order),
so that its correctness does not rest only on agreeing with eager mode."""

from __future__ import annotations

import numpy as np

import nerve
from nerve import nn
from parity.finite import gradcheck, gradgradcheck


def _compiled_cnn() -> nerve.replay.CompiledModule:
    nerve.manual_seed(3)
    model = nn.Sequential(
        nn.Conv2d(1, 2, 3, padding=1),
        nn.Tanh(),
        nn.AvgPool2d(2),
        nn.Flatten(),
        nn.Linear(2 * 2 * 2, 3),
        nn.Sigmoid(),
    ).double()
    return nerve.compile(model)


def _input(seed: int) -> nerve.Tensor:
    x = np.random.default_rng(seed).standard_normal((2, 1, 4, 4))
    return nerve.tensor(x, requires_grad=True)


def test_replayed_forward_is_one_replay_node() -> None:
    compiled = _compiled_cnn()
    x = _input(0)
    compiled(x)  # the first call records the plan
    out = compiled(x)
    assert type(out.grad_fn).__name__ == "Replay"


def test_replay_gradients_pass_finite_differences() -> None:
    compiled = _compiled_cnn()
    x = _input(1)
    compiled(x)  # record the plan, so that the calls below replay it
    weight = compiled._orig_mod[0].weight
    assert gradcheck(lambda x, w: compiled(x), [x, weight], eps=1e-6, atol=1e-6)
    assert gradgradcheck(lambda x, w: compiled(x), [x, weight], eps=1e-6, atol=1e-5)
