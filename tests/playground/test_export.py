"""The exported scripts run on their own, with nerve and with PyTorch, and train."""

from __future__ import annotations

import ast
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nerve.playground.export import script_source
from nerve.playground.session import Session

RESULT = re.compile(r"^(train|validation|test): loss (\S+)\s+(accuracy|R\^2) (\S+)$", re.M)


def run_script(source: str, path: Path) -> dict[str, tuple[float, float]]:
    """Run a generated script in a fresh interpreter; return {part: (loss, score)}."""
    path.write_text(source)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=path.parent,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = {m[0]: (float(m[1]), float(m[3])) for m in RESULT.findall(done.stdout)}
    assert "train" in results, done.stdout
    return results


def _trained(settings: dict, epochs: int) -> Session:
    session = Session(settings)
    session.train(math.inf, epochs=epochs)
    return session


@pytest.fixture(scope="module")
def xor_session() -> Session:
    return _trained({"dataset": "xor", "hidden": [8], "optimizer": "adam", "lr": 0.03}, 25)


def test_scripts_differ_only_in_the_framework(xor_session: Session) -> None:
    nerve_code = script_source(xor_session, "nerve")
    torch_code = script_source(xor_session, "torch")
    ast.parse(nerve_code)
    ast.parse(torch_code)
    # After the docstring, the only differences are the imports (and torch's thread count).
    a = nerve_code.split('"""', 2)[2].replace("nerve", "torch")
    b = torch_code.split('"""', 2)[2].replace("T.set_num_threads(1)\n    ", "")
    assert a == b
    assert "import nerve as T" in nerve_code and "import torch as T" in torch_code
    assert "EPOCHS = 25" in a and "nn.Linear(2, 8)" in a and "T.optim.Adam" in a


def test_nerve_script_trains_xor(xor_session: Session, tmp_path: Path) -> None:
    results = run_script(script_source(xor_session, "nerve"), tmp_path / "xor_nerve.py")
    assert results["test"][1] >= 0.9


def test_torch_script_trains_xor(xor_session: Session, tmp_path: Path) -> None:
    pytest.importorskip("torch", reason="the PyTorch export is checked with torch installed")
    results = run_script(script_source(xor_session, "torch"), tmp_path / "xor_torch.py")
    assert results["test"][1] >= 0.9
    # Same data, same initial weights, same batches: the two frameworks agree closely.
    nerve_results = run_script(script_source(xor_session, "nerve"), tmp_path / "again.py")
    assert results["test"][0] == pytest.approx(nerve_results["test"][0], abs=0.02)


def test_every_option_reaches_the_script(tmp_path: Path) -> None:
    # Circle with imbalance and class weights, a validation split, batch norm, dropout,
    # L2, weight decay, momentum, a cosine schedule and early stopping, plus a clicked point.
    session = Session(
        {
            "dataset": "circle",
            "imbalance": 40,
            "class_weights": True,
            "val_ratio": 20,
            "batch_norm": True,
            "dropout": 0.1,
            "regularization": "l2",
            "reg_rate": 0.001,
            "weight_decay": 0.0001,
            "optimizer": "momentum",
            "lr": 0.03,
            "schedule": "cosine",
            "early_stopping": True,
            "patience": 50,
            "normalize": True,
            "features": ["x1", "x2", "x1sq", "x2sq"],
        }
    )
    session.points.add_point(0.0, 0.0, 1)
    session.train(math.inf, epochs=20)
    source = script_source(session, "nerve")
    for text in ("nn.BatchNorm1d(4)", "nn.Dropout(0.1)", "weight=weight", "CosineAnnealingLR"):
        assert text in source
    assert "PATIENCE = 50" in source and "NORMALIZE = True" in source
    results = run_script(source, tmp_path / "circle.py")
    assert results["test"][1] >= 0.85 and "validation" in results


def test_multiclass_mse_and_regression_scripts(tmp_path: Path) -> None:
    blobs = _trained({"dataset": "blobs", "loss": "mse", "optimizer": "adam", "lr": 0.03}, 15)
    source = script_source(blobs, "nerve")
    assert "F.one_hot" in source
    assert run_script(source, tmp_path / "blobs.py")["test"][1] >= 0.9
    plane = _trained({"dataset": "plane", "regularization": "l1", "schedule": "step"}, 15)
    source = script_source(plane, "nerve")
    assert "abs()" in source and "StepLR" in source
    assert run_script(source, tmp_path / "plane.py")["test"][1] >= 0.8  # R^2


def test_export_before_training_uses_a_default_length() -> None:
    assert "EPOCHS = 200" in script_source(Session(), "nerve")
    assert "EPOCHS = 30" in script_source(Session({"max_epochs": 30}), "torch")
