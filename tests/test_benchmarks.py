"""The benchmarks stay runnable: each runs on tiny sizes (no timing is asserted)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.fixture(autouse=True)
def benchmarks_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(BENCHMARKS))


def test_op_overhead_runs_and_reports_every_case() -> None:
    pytest.importorskip("torch")
    import op_overhead

    report = op_overhead.main(["--quick"])
    assert report.count("| mul 32x8") == 2 and report.count("| matmul 32x8 @ 8x8") == 2
    assert "torch / nerve" in report


def test_activation_benchmark_times_every_activation() -> None:
    pytest.importorskip("torch")
    import activations

    report = activations.main(["--quick"])
    for name in (*activations.ACTIVATIONS, *activations.NORMS):
        assert f"| {name} |" in report


def test_digits_recipe_runs_on_both_engines() -> None:
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    import digits_recipe

    report = digits_recipe.main(["--quick"])
    assert "| nerve |" in report and "| torch |" in report
    sys.modules.pop("digits_recipe", None)


def test_training_benchmark_runs_end_to_end_on_tiny_sizes() -> None:
    pytest.importorskip("torch")
    import training

    report = training.main(["--quick", "--workloads", "W1"])
    for engine in ("numpy", "numpy_exact", "nerve", "torch"):
        assert f"| W1 | {engine} |" in report
    assert "| import nerve |" in report
    assert "## Convolutional networks" in report and "| C1 |" in report
    assert "### Layer by layer" in report and "| C1 | Linear(256->10) on 32x256 |" in report
    assert "nerve replayed / torch" in report


@pytest.mark.parametrize(
    "loss, optimizer", [("bce", "sgd"), ("ce", "adam"), ("ce", "momentum")], ids=str
)
def test_numpy_floor_computes_what_torch_computes(loss: str, optimizer: str) -> None:
    """numpy_exact.py claims torch's formulas: three steps of it and of torch, from the same
    weights on the same batches (the last one short), give the same weights and losses."""
    torch = pytest.importorskip("torch")
    import numpy as np
    import numpy_exact as exact

    rng = np.random.default_rng(1)
    sizes, batch, lr = (5, 7, 4, 1 if loss == "bce" else 3), 8, 0.05
    layers = exact._Layers(sizes, batch, rng)
    model = torch.nn.Sequential(
        torch.nn.Linear(5, 7), torch.nn.ReLU(), torch.nn.Linear(7, 4), torch.nn.ReLU(),
        torch.nn.Linear(4, sizes[-1]), *([torch.nn.Sigmoid()] if loss == "bce" else []),
    )  # fmt: skip
    with torch.no_grad():
        for ours, theirs in zip(layers.params, model.parameters()):
            theirs.copy_(torch.from_numpy(ours))
    options = {"sgd": {}, "momentum": {"momentum": 0.9}}
    opt = (
        torch.optim.Adam(model.parameters(), lr=lr)
        if optimizer == "adam"
        else torch.optim.SGD(model.parameters(), lr=lr, **options[optimizer])
    )
    loss_fn = torch.nn.BCELoss() if loss == "bce" else torch.nn.CrossEntropyLoss()
    for size in (batch, batch, 5):
        x = rng.standard_normal((size, 5)).astype(np.float32)
        outs = exact._forward(layers, x)
        if loss == "bce":
            y = (rng.random((size, 1)) > 0.5).astype(np.float32)
            ours_loss, grad = exact._bce(outs[-1], y)
        else:
            y = rng.integers(0, sizes[-1], size)
            ours_loss, grad = exact._cross_entropy(outs[-1], y)
        exact._backward(layers, x, outs, grad)
        exact._update(layers, optimizer, lr)
        opt.zero_grad()
        theirs_loss = loss_fn(model(torch.from_numpy(x)), torch.from_numpy(y))
        theirs_loss.backward()
        opt.step()
        assert abs(ours_loss - theirs_loss.item()) < 1e-5
    for ours, theirs in zip(layers.params, model.parameters()):
        np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_phase_profile_runs_and_covers_every_phase() -> None:
    pytest.importorskip("torch")
    import phases

    report = phases.main(["--quick", "--workloads", "W1"])
    for phase in (*phases.PHASES, "total"):
        assert f"| W1 | {phase} |" in report


@pytest.mark.parametrize("engine", ["nerve", "nerve_replayed", "torch"])
def test_cnn_benchmark_steps_every_workload(engine: str) -> None:
    pytest.importorskip("torch")
    import cnn

    for name in ("C1", "C2"):
        result = cnn.worker(engine, name, 2, phases=True)
        assert result["steps_per_s"] > 0
        assert {"forward_ms", "loss_ms", "backward_ms", "optimizer_ms"} <= set(result)


def test_cnn_layer_profile_times_every_layer_on_its_own_input(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("torch")
    import cnn_layers

    import nerve

    inputs = cnn_layers.layer_inputs(nerve, "C1")
    assert [label.split(" on ")[1] for label, _ in inputs] == [
        "32x1x8x8", "32x16x8x8", "32x16x8x8", "32x16x4x4", "32x256",
    ]  # fmt: skip
    assert (inputs[2][1] >= 0).all() and (inputs[2][1] == 0).any()  # a ReLU's output
    monkeypatch.setattr(cnn_layers, "TARGET_SECONDS", 0.0005)
    rows = cnn_layers.layer_times("C1", rounds=1)
    assert [row["layer"] for row in rows] == [label for label, _ in inputs]
    for row in rows:
        for engine in ("torch", "nerve"):
            forward, backward = row[engine]
            assert forward > 0 and backward != 0.0  # every layer's output needs a gradient
    report = cnn_layers.report(["C1"], rounds=1)
    assert report.count("| C1 |") == 5 and "| C1 | Conv2d(1->16, k3) on 32x1x8x8 |" in report
