"""The ``nerve`` command line, end to end in temporary directories."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nerve.cli import main

RUN_FILES = ["config.toml", "history.csv", "metrics.json", "model.safetensors", "plots"]
FAST = ["--epochs", "2", "--batch-size", "16", "--n-samples", "100"]


@pytest.fixture
def in_tmp(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _write_csv(path: Path, n: int = 80, bad_line: str | None = None) -> Path:
    rng = np.random.default_rng(1)
    lines = ["size,colour,label"]
    for _ in range(n):
        size, colour = rng.normal(), str(rng.choice(["red", "blue"]))
        lines.append(f"{size:.3f},{colour},{'yes' if size + (colour == 'red') > 0.5 else 'no'}")
    if bad_line is not None:
        lines.insert(5, bad_line)
    path.write_text("\n".join(lines) + "\n")
    return path


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("command", ["train", "evaluate", "predict"])
def test_help(command: str, capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert f"usage: nerve {command}" in out
    if command == "train":
        for option in ("--config", "--hidden", "--early-stopping", "--imbalance", "--set"):
            assert option in out
        assert "schedule.step_size" in out  # every config key is listed


def test_train_evaluate_predict(in_tmp, capsys) -> None:
    assert main(["train", *FAST]) == 0
    out = capsys.readouterr().out
    assert "04 evaluate" in out and "baseline (test)" in out and "runs/xor-0001" in out
    run_dir = in_tmp / "runs" / "xor-0001"
    assert sorted(p.name for p in run_dir.iterdir()) == RUN_FILES
    assert sorted(p.name for p in (run_dir / "plots").glob("*.png")) == [
        "confusion_matrix.png",
        "decision_boundary.png",
        "loss_curves.png",
    ]
    assert main(["train", *FAST, "--quiet"]) == 0
    assert capsys.readouterr().out.strip() == str(Path("runs") / "xor-0002")

    assert main(["evaluate", str(run_dir)]) == 0
    table = capsys.readouterr().out
    assert table.splitlines()[0].split() == [
        "metric",
        "train",
        "validation",
        "test",
        "baseline",
        "(test)",
    ]
    assert main(["evaluate", str(run_dir), "--data", "xor"]) == 0
    assert "baseline (data)" in capsys.readouterr().out

    (in_tmp / "points.csv").write_text("x1,x2\n0.5,0.5\n-0.5,0.5\n")
    assert main(["predict", str(run_dir), "points.csv"]) == 0
    rows = list(csv.reader(capsys.readouterr().out.splitlines()))
    assert rows[0] == ["prediction", "prob_x1*x2<0", "prob_x1*x2>0"] and len(rows) == 3
    assert main(["predict", str(run_dir), "points.csv", "--out", "pred.csv"]) == 0
    assert (in_tmp / "pred.csv").read_text().splitlines()[0].startswith("prediction,")


def test_config_file_run_and_cli_overrides(in_tmp, capsys) -> None:
    (in_tmp / "run.toml").write_text(
        '[model]\nhidden = [4, 4]\nactivation = "relu"\n\n'
        '[optimizer]\nname = "adam"\nlr = 0.005\n\n'
        "[training]\nepochs = 9\nbatch_size = 16\n\n[data]\nn_samples = 100\n"
    )
    assert main(["train", "--config", "run.toml", "--epochs", "2", "--out", "mine"]) == 0
    saved = (in_tmp / "mine" / "config.toml").read_text()
    assert "hidden = [4, 4]" in saved and 'name = "adam"' in saved
    assert "epochs = 2" in saved  # the option beats the file
    history = (in_tmp / "mine" / "history.csv").read_text().splitlines()
    assert len(history) == 1 + 2
    # The saved config reproduces the run.
    assert main(["train", "--config", "mine/config.toml", "--out", "again", "--quiet"]) == 0
    first = json.loads((in_tmp / "mine" / "metrics.json").read_text())
    second = json.loads((in_tmp / "again" / "metrics.json").read_text())
    assert first["test"] == second["test"]


def test_csv_run(in_tmp, capsys) -> None:
    _write_csv(in_tmp / "shop.csv")
    learn = ["--optimizer", "adam", "--lr", "0.05", "--epochs", "20", "--batch-size", "8"]
    assert main(["train", "--data", "shop.csv", "--target", "label", *learn, "--quiet"]) == 0
    run_dir = Path(capsys.readouterr().out.strip())
    assert run_dir.name == "shop-0001"
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["task"] == "binary"
    (in_tmp / "new.csv").write_text("colour,size,extra\nred,1.5,x\nblue,-1.0,y\n")
    assert main(["predict", str(run_dir), "new.csv"]) == 0
    rows = list(csv.reader(capsys.readouterr().out.splitlines()))
    assert rows[0] == ["prediction", "prob_no", "prob_yes"]
    assert [r[0] for r in rows[1:]] == ["yes", "no"]
    assert main(["evaluate", str(run_dir)]) == 0
    assert main(["evaluate", str(run_dir), "--data", "shop.csv"]) == 0


def _bad_cases(tmp: Path) -> dict[str, tuple[list[str], str]]:
    (tmp / "typo.toml").write_text("[optimizer]\nlearning_rate = 0.1\n")
    _write_csv(tmp / "holes.csv", bad_line="0.5,,yes")
    _write_csv(tmp / "good.csv")
    (tmp / "nocols.csv").write_text("a,b\n1,2\n")
    (tmp / "broken").mkdir()
    (tmp / "broken" / "model.safetensors").write_bytes(b"not a model")
    return {
        "bad key": (["train", "--config", "typo.toml"], "did you mean 'optimizer.lr'?"),
        "bad value": (["train", "--lr", "-1"], "optimizer.lr must be > 0, got -1"),
        "bad choice": (["train", "--optimizer", "adm"], "did you mean 'adam'?"),
        "bad set": (["train", "--set", "epochs"], "--set expects KEY=VALUE"),
        "missing config": (["train", "--config", "nope.toml"], "config file not found"),
        "missing csv": (["train", "--data", "nope.csv", "--target", "y"], "not found: 'nope.csv'"),
        "bad cell": (
            ["train", "--data", "holes.csv", "--target", "label"],
            "line 6, column 'colour': missing value",
        ),
        "missing target": (
            ["train", "--data", "good.csv", "--target", "price"],
            "target column 'price' not found",
        ),
        "no target": (["train", "--data", "good.csv"], "data.target must name the CSV column"),
        "existing out": (["train", "--out", "runs/xor-0001"], "already exists; pass --overwrite"),
        "missing run": (["evaluate", "runs/nope"], "run directory not found"),
        "not a run": (["evaluate", "runs"], "is not a run directory"),
        "missing input": (["predict", "runs/xor-0001", "nope.csv"], "not found: 'nope.csv'"),
        "wrong columns": (["predict", "runs/xor-0001", "nocols.csv"], "lacks the column(s)"),
        "corrupt model": (["evaluate", "broken"], "not a readable nerve model file"),
        "wrong data": (["evaluate", "runs/xor-0001", "--data", "iris"], "trained on a binary"),
    }


def test_bad_input_exits_2_with_one_line(in_tmp, capsys) -> None:
    assert main(["train", *FAST, "--quiet", "--no-plots"]) == 0
    capsys.readouterr()
    before = _digest(in_tmp / "runs")
    for name, (argv, message) in _bad_cases(in_tmp).items():
        code = main(argv)
        err = capsys.readouterr().err
        assert code == 2, name
        assert message in err, (name, err)
        assert err.count("\n") == 1 and err.startswith(f"nerve {argv[0]}: error: "), name
        assert "Traceback" not in err
    assert _digest(in_tmp / "runs") == before  # the earlier run is untouched
    assert sorted(p.name for p in (in_tmp / "runs").iterdir()) == ["xor-0001"]


def _console_script() -> list[str]:
    """The installed ``nerve`` script of this interpreter's environment."""
    name = "nerve.exe" if os.name == "nt" else "nerve"
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which("nerve")
    if found is None:
        pytest.skip("the nerve console script is not installed (pip install -e .)")
    return [found]


def test_readme_first_command(tmp_path) -> None:
    """`pip install -e ".[workflow]" && nerve train`: the lecture's network, 100% on XOR."""
    result = subprocess.run(
        _console_script() + ["train"], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert "2 -> 8 (tanh) -> 1 (sigmoid), loss bce" in result.stdout
    assert "SGD(lr=0.01)" in result.stdout
    run_dir = tmp_path / "runs" / "xor-0001"
    assert sorted(p.name for p in run_dir.iterdir()) == RUN_FILES
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["test"]["accuracy"] == 1.0
    assert metrics["baseline"]["test"]["accuracy"] == 0.5


def test_module_entry_point_reports_errors(tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "nerve.cli", "train", "--epochs", "0"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr == "nerve train: error: options: training.epochs must be >= 1, got 0\n"
    assert not (tmp_path / "runs").exists()
