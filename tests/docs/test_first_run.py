"""The first run reads well: perfect scores on a built-in toy set are explained, not flagged.

The default ``nerve train`` trains on clean XOR, whose classes are separable by construction
and whose points are drawn independently: a perfect validation or test score there is expected,
not a sign of leakage. A user's CSV or a real data set keeps the leakage warning.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from nerve.workflow import RunConfig, baseline_warnings, run
from nerve.workflow.metrics import perfect_score_note

PERFECT = {"accuracy": 1.0, "f1": 1.0}
HALF = {"accuracy": 0.5, "f1": 0.0}


def test_toy_set_gets_no_leakage_warning() -> None:
    for source in ("xor", "circle", "gaussian", "spiral", "moons", "blobs"):
        assert baseline_warnings(PERFECT, HALF, "binary", "test", source) == []


def test_user_and_real_data_keep_the_leakage_warning() -> None:
    for source in (None, "csv", "digits", "houses.csv"):
        (warning,) = baseline_warnings(PERFECT, HALF, "binary", "test", source)
        assert "perfect accuracy is suspicious -- check for leakage" in warning
    (warning,) = baseline_warnings({"mse": 1e-6, "r2": 0.99999}, {"mse": 1.0}, "regression")
    assert "check for leakage" in warning


def test_toy_regression_set_gets_no_leakage_warning() -> None:
    model, base = {"mse": 1e-6, "r2": 0.99999}, {"mse": 1.0}
    assert baseline_warnings(model, base, "regression", "test", "plane") == []
    note = perfect_score_note({"test": model}, "regression", "plane")
    assert note is not None and "plane" in note and "r2" in note


def test_note_names_the_perfect_splits_only() -> None:
    metrics = {"train": PERFECT, "validation": {"accuracy": 0.98}, "test": PERFECT}
    note = perfect_score_note(metrics, "binary", "xor")
    assert note is not None
    assert note.startswith("perfect test accuracy is expected on xor")
    assert "separable by construction" in note and "no sign of leakage" in note
    assert perfect_score_note({"train": PERFECT, "test": HALF}, "binary", "xor") is None
    assert perfect_score_note({"test": PERFECT}, "binary", "csv") is None


def _write_separable_csv(path: Path) -> Path:
    rng = np.random.default_rng(0)
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["a", "b", "label"])
        for _ in range(160):
            a, b = rng.uniform(-1, 1, 2)
            writer.writerow([f"{a:.4f}", f"{b:.4f}", "yes" if a > 0.1 else "no"])
    return path


def _run(tmp_path: Path, **override: object) -> tuple[dict, str]:
    settings = {
        "data.n_samples": 200,
        "training.epochs": 40,
        "training.batch_size": 8,
        "optimizer.lr": 0.5,
        "output.root": str(tmp_path / "runs"),
        **override,
    }
    out = io.StringIO()
    result = run(RunConfig().override(settings, parse_strings=False), out=out, progress=False)
    return result.metrics, out.getvalue()


def test_default_run_on_clean_xor_explains_a_perfect_score(tmp_path: Path) -> None:
    metrics, report = _run(tmp_path)
    perfect = [s for s in ("validation", "test") if metrics[s]["accuracy"] == 1.0]
    assert perfect, "this quick run is meant to reach a perfect score on clean XOR"
    assert "leakage between splits" not in report
    assert f"note: perfect {' and '.join(perfect)} accuracy is expected on xor" in report


def test_csv_run_with_a_perfect_score_still_warns(tmp_path: Path) -> None:
    path = _write_separable_csv(tmp_path / "points.csv")
    metrics, report = _run(tmp_path, **{"data.source": str(path), "data.target": "label"})
    perfect = [s for s in ("validation", "test") if metrics[s]["accuracy"] == 1.0]
    assert perfect, "this CSV's classes are separable: the run is meant to score perfectly"
    for split in perfect:
        assert f"{split}: perfect accuracy is suspicious -- check for leakage" in report
    assert "note: perfect" not in report
