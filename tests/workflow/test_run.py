"""One run end to end: the run directory, reading it back, and never a half-written run."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import numpy as np
import pytest

import nerve
from nerve.workflow import ConfigError, RunConfig, evaluate_saved, load_config, load_run, run
from nerve.workflow.rundir import RunDirExistsError

FAST = {"training.epochs": 3, "training.batch_size": 16, "data.n_samples": 120}


def _cfg(root: Path, **extra) -> RunConfig:
    return RunConfig().override({**FAST, "output.root": str(root), **extra}, parse_strings=False)


def _write_csv(path: Path, n: int = 90) -> Path:
    rng = np.random.default_rng(0)
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["size", "colour", "label"])
        for _ in range(n):
            size, colour = rng.normal(), rng.choice(["red", "blue"])
            label = "yes" if size + (colour == "red") > 0.5 else "no"
            writer.writerow([f"{size:.3f}", colour, label])
    return path


def test_run_directory_contents(tmp_path) -> None:
    result = run(_cfg(tmp_path / "runs"), quiet=True, out=io.StringIO())
    run_dir = result.run_dir
    assert run_dir == tmp_path / "runs" / "xor-0001"
    names = sorted(p.name for p in run_dir.iterdir())
    assert names == ["config.toml", "history.csv", "metrics.json", "model.safetensors", "plots"]
    plots = sorted(p.name for p in (run_dir / "plots").iterdir())
    assert plots == ["confusion_matrix.png", "decision_boundary.png", "loss_curves.png"]
    assert load_config(run_dir / "config.toml") == result.config

    with (run_dir / "history.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert [r["epoch"] for r in rows] == ["1", "2", "3"]
    assert set(rows[0]) >= {"train_loss", "val_loss", "train_accuracy", "val_accuracy", "lr"}

    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert set(metrics) >= {"train", "validation", "test", "baseline", "warnings", "training"}
    assert set(metrics["baseline"]) == {"train", "validation", "test"}
    assert metrics["baseline"]["test"]["accuracy"] == pytest.approx(0.5)
    assert metrics["training"]["epochs"] == 3
    assert not [p for p in (tmp_path / "runs").iterdir() if p.name.startswith(".")]


def test_saved_run_predicts_like_the_trainer(tmp_path) -> None:
    result = run(_cfg(tmp_path), quiet=True, out=io.StringIO())
    saved = load_run(result.run_dir)
    assert saved.task == "binary" and saved.spec.hidden == [8]
    raw = nerve.workflow.make_toy("xor", 50, 0.0, seed=5, margin=0.2).X
    scaled = saved.scaler.transform(raw)
    np.testing.assert_allclose(saved.predict_proba(raw), result.trainer.predict_proba(scaled))
    header, rows = saved.prediction_table(raw[:2])
    assert header == ["prediction", "prob_x1*x2<0", "prob_x1*x2>0"] and len(rows) == 2
    again = evaluate_saved(saved)
    assert again["test"]["accuracy"] == pytest.approx(result.metrics["test"]["accuracy"])
    assert again["test"]["loss"] == pytest.approx(result.metrics["test"]["loss"], rel=1e-5)


def test_fresh_names_never_overwrite(tmp_path) -> None:
    out = io.StringIO()
    first = run(_cfg(tmp_path, **{"output.plots": False}), quiet=True, out=out).run_dir
    second = run(_cfg(tmp_path, **{"output.plots": False}), quiet=True, out=out).run_dir
    assert (first.name, second.name) == ("xor-0001", "xor-0002")


def test_failed_run_leaves_nothing(tmp_path, monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(sys.modules["nerve.workflow.runner"], "write_plots", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        run(_cfg(tmp_path / "runs"), quiet=True, out=io.StringIO())
    assert list((tmp_path / "runs").iterdir()) == []  # no run dir, no staging leftovers


def test_explicit_out_dir_and_overwrite(tmp_path) -> None:
    out = io.StringIO()
    target = tmp_path / "mine"
    cfg = _cfg(tmp_path, **{"output.dir": str(target), "output.plots": False})
    run(cfg, quiet=True, out=out)
    before = (target / "model.safetensors").read_bytes()
    with pytest.raises(RunDirExistsError, match="already exists; pass --overwrite"):
        run(cfg, quiet=True, out=out)
    assert (target / "model.safetensors").read_bytes() == before
    changed = cfg.override({"training.seed": 1})
    run(changed, quiet=True, out=out, overwrite=True)
    assert (target / "model.safetensors").read_bytes() != before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]

    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.txt").write_text("do not delete")
    with pytest.raises(RunDirExistsError, match="not a nerve run directory"):
        run(cfg.override({"output.dir": str(precious)}), quiet=True, out=out, overwrite=True)
    assert (precious / "thesis.txt").read_text() == "do not delete"


def test_csv_run_saves_the_schema(tmp_path) -> None:
    path = _write_csv(tmp_path / "shop.csv")
    cfg = _cfg(tmp_path, **{"data.source": str(path), "data.target": "label"})
    result = run(cfg, quiet=True, out=io.StringIO())
    assert result.run_dir.name == "shop-0001"
    assert not (result.run_dir / "plots" / "decision_boundary.png").exists()  # 3 features
    saved = load_run(result.run_dir)
    assert saved.schema is not None and saved.schema.target == "label"
    assert saved.class_names == ["no", "yes"]
    new = tmp_path / "new.csv"
    new.write_text("colour,size\nred,2.0\nblue,-2.0\n")
    X = saved.read_features(new)
    assert X.shape == (2, 3)
    assert saved.predict(X).shape == (2,)


def test_regression_run_uses_the_mean_baseline(tmp_path) -> None:
    cfg = _cfg(tmp_path, **{"data.source": "plane", "model.activation": "relu"})
    result = run(cfg, quiet=True, out=io.StringIO())
    assert "mse" in result.metrics["baseline"]["test"]
    plots = sorted(p.name for p in (result.run_dir / "plots").iterdir())
    assert plots == ["decision_boundary.png", "loss_curves.png"]  # no confusion matrix


def test_report_follows_the_four_steps(tmp_path) -> None:
    report = tmp_path / "report.txt"
    with report.open("w") as out:
        cfg = _cfg(tmp_path, **{"training.early_stopping": 1, "output.plots": False})
        run(cfg, out=out)
    text = report.read_text()
    for step in ("01 process data", "02 define the model", "03 optimize", "04 evaluate"):
        assert step in text
    assert "baseline (test)" in text and "class counts" in text and "run saved to" in text


def test_config_mistakes_found_at_run_time(tmp_path) -> None:
    out = io.StringIO()
    with pytest.raises(ConfigError, match="model.loss: loss 'l1' does not suit a binary task"):
        run(_cfg(tmp_path, **{"model.loss": "l1"}), quiet=True, out=out)
    with pytest.raises(ConfigError, match="preprocess.imbalance applies to classification"):
        run(
            _cfg(tmp_path, **{"data.source": "plane", "preprocess.imbalance": "sampler"}),
            quiet=True,
            out=out,
        )
    with pytest.raises(ConfigError, match="optimizer: .*Nesterov"):
        run(_cfg(tmp_path, **{"optimizer.nesterov": True}), quiet=True, out=out)
    assert not (tmp_path / "xor-0001").exists()
