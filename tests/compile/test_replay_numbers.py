"""nerve.compile replays a recorded forward with eager mode's numbers, bit for bit: losses,
.grad, parameters after several optimizer steps and the optimizer's state, on the benchmark's
workloads (small), random MLPs and a small CNN."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nerve
from nerve import nn
from nerve.backend import blas


def _batches(shape_x: tuple[int, ...], classes: int | None, sizes: list[int], seed: int):
    rng = np.random.default_rng(seed)
    for n in sizes:
        x = nerve.from_numpy(rng.standard_normal((n, *shape_x)).astype(np.float32))
        if classes is None:
            y = nerve.from_numpy((rng.random((n, 1)) > 0.5).astype(np.float32))
        else:
            y = nerve.from_numpy(rng.integers(0, classes, n))
        yield x, y


def _train(
    model: nn.Module,
    make_opt: Callable[[Any], Any],
    loss_fn: nn.Module,
    batches: list[tuple[Any, Any]],
) -> dict[str, Any]:
    """The user's loop; every number it produces, as arrays."""
    opt = make_opt(model.parameters())
    losses, grads = [], []
    for x, y in batches:
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        grads.append([p.grad.numpy().copy() for p in model.parameters()])
        opt.step()
        losses.append(loss.item())
    state = opt.state_dict()["state"]
    return {
        "losses": losses,
        "grads": grads,
        "params": [p.detach().numpy().copy() for p in model.parameters()],
        "state": {k: {n: np.asarray(v) for n, v in s.items()} for k, s in state.items()},
    }


def assert_same_training(
    build: Callable[[], nn.Module],
    make_opt: Callable[[Any], Any],
    loss_fn: nn.Module,
    batches: list[tuple[Any, Any]],
) -> nerve.replay.CompiledModule:
    """Train a model eagerly and its twin compiled: every number must be equal, bit for bit."""
    nerve.manual_seed(0)
    model = build()
    twin = copy.deepcopy(model)
    compiled = nerve.compile(twin)
    eager = _train(model, make_opt, loss_fn, batches)
    replayed = _train(compiled, make_opt, loss_fn, batches)
    assert eager["losses"] == replayed["losses"]
    for a, b in zip(eager["grads"], replayed["grads"]):
        for u, v in zip(a, b):
            np.testing.assert_array_equal(u, v)
    for u, v in zip(eager["params"], replayed["params"]):
        np.testing.assert_array_equal(u, v)
    assert eager["state"].keys() == replayed["state"].keys()
    for key in eager["state"]:
        for name, value in eager["state"][key].items():
            np.testing.assert_array_equal(value, replayed["state"][key][name])
    return compiled


def _mlp(sizes: tuple[int, ...], sigmoid: bool = False, act: type = nn.ReLU) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(act())
    if sigmoid:
        layers.append(nn.Sigmoid())
    return nn.Sequential(*layers)


def _replays(compiled: nerve.replay.CompiledModule, x: Any) -> bool:
    before = compiled.replays
    compiled(x)
    return compiled.replays == before + 1


def test_w1_lecture_network_sgd() -> None:
    batches = list(_batches((2,), None, [32] * 6 + [8], seed=1))
    compiled = assert_same_training(
        lambda: _mlp((2, 8, 1), sigmoid=True),
        lambda p: nerve.optim.SGD(p, lr=0.5),
        nn.BCELoss(),
        batches,
    )
    assert _replays(compiled, batches[0][0])


def test_w2_digits_shaped_network_adam() -> None:
    batches = list(_batches((64,), 10, [16] * 5 + [5], seed=2))
    compiled = assert_same_training(
        lambda: _mlp((64, 128, 64, 10)),
        lambda p: nerve.optim.Adam(p, lr=1e-2),
        nn.CrossEntropyLoss(),
        batches,
    )
    assert _replays(compiled, batches[0][0])


@pytest.mark.parametrize("products", ["numpy", "mkl"])
def test_w3_shaped_wide_network_momentum(products: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if products == "mkl":  # every product through MKL's GEMM, as a wide network's are
        if not blas.is_available():
            pytest.skip("MKL is not installed (pip install nerve[mkl])")
        monkeypatch.setattr(blas, "MIN_WORK", 1)
        monkeypatch.setitem(blas._state, "products", True)  # on any CPU
    batches = list(_batches((48,), 10, [24] * 4, seed=3))
    assert_same_training(
        lambda: _mlp((48, 96, 96, 10)),
        lambda p: nerve.optim.SGD(p, lr=0.05, momentum=0.9),
        nn.CrossEntropyLoss(),
        batches,
    )


def test_small_cnn() -> None:
    def build() -> nn.Module:
        return nn.Sequential(
            nn.Conv2d(1, 4, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(4, 6, 3),
            nn.Tanh(),
            nn.Flatten(),
            nn.Linear(6 * 2 * 2, 5),
        )

    batches = list(_batches((1, 8, 8), 5, [6, 6, 6, 3], seed=4))
    compiled = assert_same_training(
        build, lambda p: nerve.optim.Adam(p, lr=1e-2), nn.CrossEntropyLoss(), batches
    )
    assert _replays(compiled, batches[0][0])


def test_cnn_on_channels_last_maps() -> None:
    """C3's shape of network, whose wider convolutions nn.Sequential runs on channels-last
    maps (nerve.nn.channels_last): the format changes are ops of the plan too."""

    def build() -> nn.Module:
        return nn.Sequential(
            nn.Conv2d(2, 10, 3, padding=1), nn.ReLU(), nn.Conv2d(10, 12, 3, padding=1),
            nn.ReLU(), nn.MaxPool2d(2), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(12, 3),
        )  # fmt: skip

    batches = list(_batches((2, 8, 8), 3, [5, 5, 5, 2], seed=8))
    compiled = assert_same_training(
        build, lambda p: nerve.optim.SGD(p, lr=0.1, momentum=0.9), nn.CrossEntropyLoss(), batches
    )
    assert _replays(compiled, batches[0][0])
    plan = compiled.plan_for(batches[0][0])
    assert any(step.op.__name__ == "Clone" for step in plan.steps)


@pytest.mark.parametrize("output_size", [1, 2, 3], ids=["global", "tiling", "uneven"])
def test_cnn_with_adaptive_average_pooling(output_size: int) -> None:
    """C3's shape of network: global and tiling adaptive pools replay; uneven windows (their
    averaging matrices made outside an op) run eagerly, with the same numbers either way."""

    def build() -> nn.Module:
        return nn.Sequential(
            nn.Conv2d(2, 4, 3, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(output_size),
            nn.Flatten(),
            nn.Linear(4 * output_size**2, 3),
        )

    batches = list(_batches((2, 8, 8), 3, [5, 5, 5, 2], seed=7))
    compiled = assert_same_training(
        build, lambda p: nerve.optim.SGD(p, lr=0.1), nn.CrossEntropyLoss(), batches
    )
    assert _replays(compiled, batches[0][0]) == (output_size != 3)


def test_unfused_sequential_replays_layer_by_layer_ops(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nn.Sequential, "fuse_layers", False)
    batches = list(_batches((3,), None, [10] * 4, seed=5))
    compiled = assert_same_training(
        lambda: _mlp((3, 5, 4, 1), sigmoid=True, act=nn.LeakyReLU),
        lambda p: nerve.optim.SGD(p, lr=0.1, momentum=0.5, nesterov=True),
        nn.BCELoss(),
        batches,
    )
    plan = compiled.plan_for(batches[0][0])
    assert plan is not None and len(plan.steps) > 3  # one op per layer
    # every op's output but the result is dropped once, by the last op that reads it
    dropped = [slot for step in plan.steps for slot in step.drops]
    assert sorted(dropped) == [step.out for step in plan.steps[:-1]]
    for k, step in enumerate(plan.steps):
        for slot in step.drops:
            assert slot in step.reads and all(slot not in s.reads for s in plan.steps[k + 1 :])


@settings(max_examples=12, deadline=None)
@given(
    widths=st.lists(st.integers(1, 9), min_size=1, max_size=3),
    act=st.sampled_from([nn.ReLU, nn.Tanh, nn.Sigmoid, nn.GELU, nn.ELU]),
    batch=st.integers(1, 7),
    optimizer=st.sampled_from(["sgd", "momentum", "adam", "adamw"]),
    seed=st.integers(0, 2**16),
)
def test_random_mlps(widths: list[int], act: type, batch: int, optimizer: str, seed: int) -> None:
    makers = {
        "sgd": lambda p: nerve.optim.SGD(p, lr=0.1),
        "momentum": lambda p: nerve.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=1e-3),
        "adam": lambda p: nerve.optim.Adam(p, lr=1e-2),
        "adamw": lambda p: nerve.optim.AdamW(p, lr=1e-2),
    }
    sizes = (4, *widths, 3)
    batches = list(_batches((4,), 3, [batch, batch, batch, max(1, batch - 1)], seed=seed))
    assert_same_training(
        lambda: _mlp(sizes, act=act), makers[optimizer], nn.CrossEntropyLoss(), batches
    )


@pytest.mark.parametrize("fuse", [True, False])
def test_shared_layer_sums_its_gradients_as_eager(
    fuse: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(nn.Sequential, "fuse_layers", fuse)

    def build() -> nn.Module:
        shared = nn.Linear(4, 4)
        return nn.Sequential(shared, nn.Tanh(), shared, nn.Tanh(), shared, nn.Linear(4, 2))

    batches = list(_batches((4,), 2, [5] * 4, seed=6))
    compiled = assert_same_training(
        build, lambda p: nerve.optim.SGD(p, lr=0.1), nn.CrossEntropyLoss(), batches
    )
    assert _replays(compiled, batches[0][0])


def test_the_replayed_forward_holds_no_more_memory_than_eager(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What a replayed forward leaves alive until the backward is what eager mode's nodes
    keep: no op's input that its backward does not read (a ReLU's, a Tanh's), no intermediate
    output once its last reader has run."""
    import tracemalloc

    monkeypatch.setattr(nn.Sequential, "fuse_layers", False)
    nerve.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(64, 512), nn.ReLU(), nn.Linear(512, 512), nn.Tanh(), nn.Linear(512, 10)
    )
    compiled = nerve.compile(model)
    x = nerve.randn(256, 64)
    compiled(x)  # recorded

    def held(forward: Any) -> tuple[int, int]:
        """The memory held after ``forward(x)``, and its peak during it."""
        tracemalloc.start()
        try:
            out = forward(x)
            sizes = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        del out
        return sizes

    (eager, eager_peak), (replayed, replayed_peak) = held(model), held(compiled)
    assert compiled.replays >= 1
    assert replayed <= eager + 64 * 1024, (replayed, eager)
    assert replayed_peak <= eager_peak + 64 * 1024, (replayed_peak, eager_peak)


def test_ops_recorded_after_the_output_are_left_out_of_the_backward(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A forward whose output is not its last op (a replayable module type computing something
    it does not return): the ops after the output get no gradient, as in eager mode."""
    from nerve.replay import module as replay_module

    class SideSum(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.first, self.second = nn.Linear(3, 4), nn.Linear(4, 2)

        def forward(self, x: nerve.Tensor) -> nerve.Tensor:
            hidden = self.first(x).relu()
            self.second(hidden).sum()  # computed, not returned
            return hidden

    monkeypatch.setitem(replay_module._FORWARDS, SideSum, SideSum.forward)
    nerve.manual_seed(0)
    model = SideSum()
    compiled = nerve.compile(model)
    x = nerve.randn(5, 3)
    compiled(x).sum().backward()  # recorded
    eager = [p.grad.clone() for p in model.first.parameters()]
    model.zero_grad()
    compiled(x).sum().backward()  # replayed
    assert compiled.replays == 1
    assert model.second.weight.grad is None
    assert all(bool((p.grad == g).all()) for p, g in zip(model.first.parameters(), eager))


LATER_ACTIVATIONS = [
    nn.SELU,
    lambda: nn.CELU(0.5),
    nn.Hardsigmoid,
    nn.Mish,
    nn.Softsign,
    nn.LogSigmoid,
    nn.Tanhshrink,
    lambda: nn.Softmin(dim=1),
]
COMPARING = [nn.Hardswish, lambda: nn.Threshold(0.1, -0.5), nn.Hardshrink, nn.Softshrink]


@pytest.mark.parametrize(
    "activation", LATER_ACTIVATIONS + COMPARING, ids=lambda a: getattr(a, "__name__", "f")
)
def test_later_activations_replay_as_eager(activation: Callable[[], nn.Module]) -> None:
    """The activation layers of nn/activation_extra.py that are fixed sequences of ops
    replay in a compiled MLP, bit for bit as eager mode trains it; those that compare values
    (a comparison's result is made outside an op) run eagerly, with the same numbers."""
    batches = list(_batches((5,), 3, [6, 6, 6, 4], seed=1))
    compiled = assert_same_training(
        lambda: nn.Sequential(nn.Linear(5, 7), activation(), nn.Linear(7, 3)),
        lambda p: nerve.optim.SGD(p, lr=0.1, momentum=0.9),
        nn.CrossEntropyLoss(),
        batches,
    )
    assert _replays(compiled, batches[0][0]) == (activation in LATER_ACTIVATIONS)


def test_softmax2d_in_a_cnn_replays_as_eager() -> None:
    batches = list(_batches((2, 6, 6), 3, [4, 4, 3], seed=2))
    compiled = assert_same_training(
        lambda: nn.Sequential(
            nn.Conv2d(2, 3, 3, padding=1), nn.Softmax2d(), nn.Flatten(), nn.Linear(108, 3)
        ),
        lambda p: nerve.optim.Adam(p, lr=1e-2),
        nn.CrossEntropyLoss(),
        batches,
    )
    assert _replays(compiled, batches[0][0])
