"""Hostile model files: every size in a run's bundle is checked before anything is allocated.

Each case is a small (about 2 KB) run directory whose ``model.safetensors`` asks for too much or
for nonsense; loading it must end with one DataError naming the file and the key, quickly and
without a large allocation (issue 10, item 2).
"""

from __future__ import annotations

import io
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

import nerve
from nerve.workflow import DataError, RunConfig, load_run, run
from nerve.workflow.bundle import check_bundle
from nerve.workflow.model import MAX_LAYERS, MAX_UNITS, ModelSpec


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("runs")
    cfg = RunConfig().override(
        {"training.epochs": 1, "data.n_samples": 40, "output.root": str(root)},
        parse_strings=False,
    )
    cfg = cfg.override({"output.plots": False}, parse_strings=False)
    return run(cfg, quiet=True, out=io.StringIO()).run_dir


def _tampered(saved: Path, tmp_path: Path, change: Any) -> Path:
    """A copy of the saved run whose bundle went through ``change(bundle)``."""
    bundle = nerve.load(saved / "model.safetensors")
    change(bundle)
    out = tmp_path / "bad"
    out.mkdir()
    nerve.save(bundle, out / "model.safetensors")
    return out


def _spec(**changes: Any) -> Any:
    return lambda b: b["spec"].update(changes)


def _counts(value: Any) -> Any:
    return lambda b: b["train_targets"].update(class_counts=value)


BOMBS = {
    "huge hidden": (_spec(hidden=[2_000_000_000]), "spec"),
    "many layers": (_spec(hidden=[8] * 200_000, activation="tanh"), "spec"),
    "hidden as text": (_spec(hidden="8"), "spec"),
    "negative input": (_spec(input_size=-2), "spec"),
    "spec disagrees with weights": (_spec(hidden=[9000]), "spec"),
    "wide and plausible": (_spec(hidden=[MAX_UNITS, MAX_UNITS]), "spec"),
    "class count 1e12": (_counts([10**12, 3]), None),  # valid: must not allocate either
    "negative count": (_counts([-5, 3]), "train_targets.class_counts"),
    "count as text": (_counts(["7", 3]), "train_targets.class_counts"),
    "too many counts": (_counts([1] * 50), "train_targets.class_counts"),
    "feature names": (lambda b: b.update(feature_names=["x1"]), "feature_names"),
    "class names": (lambda b: b.update(class_names=["a", "b", "c"]), "class_names"),
    "task": (lambda b: b.update(task="ranking"), "task"),
    "weights not tensors": (lambda b: b["model"].update({"0.weight": [[1.0]]}), "model.0.weight"),
}


@pytest.mark.parametrize("case", list(BOMBS))
def test_bomb_rejected_before_allocation(case, saved, tmp_path) -> None:
    change, key = BOMBS[case]
    run_dir = _tampered(saved, tmp_path, change)
    assert (run_dir / "model.safetensors").stat().st_size < 4_000_000  # a small file ...
    tracemalloc.start()
    try:
        if key is None:
            loaded = load_run(run_dir)
            loaded.baseline(loaded_data(loaded))
        else:
            with pytest.raises(DataError) as err:
                load_run(run_dir)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 2**20  # ... never turns into a large allocation
    if key is not None:
        message = str(err.value)
        assert "\n" not in message
        assert str(run_dir / "model.safetensors") in message and f"key {key!r}" in message


def loaded_data(saved_run: Any) -> Any:
    from nerve.workflow import make_toy

    return make_toy("xor", n_samples=8, seed=1)


def test_majority_from_counts_matches_rebuilding_labels(saved, tmp_path) -> None:
    run_dir = _tampered(saved, tmp_path, _counts([3, 9]))
    base = load_run(run_dir).baseline(loaded_data(None))
    from nerve.workflow.metrics import majority_baseline

    data = loaded_data(None)
    assert base == majority_baseline([0] * 3 + [1] * 9, data.y, 2)


def test_spec_bounds() -> None:
    with pytest.raises(DataError, match="at most 65536"):
        ModelSpec(2, [MAX_UNITS + 1])
    with pytest.raises(DataError, match=f"at most {MAX_LAYERS}"):
        ModelSpec(2, [4] * (MAX_LAYERS + 1), activation="relu")
    with pytest.raises(DataError, match="parameters; at most"):
        ModelSpec(2, [20_000, 20_000])
    assert ModelSpec(64, [128, 64], output_size=10).n_parameters() == 17_226


def test_valid_bundle_passes(saved) -> None:
    bundle = nerve.load(saved / "model.safetensors")
    spec, schema = check_bundle(bundle, "m.safetensors")
    assert spec.hidden == [8] and schema is None
    with pytest.raises(DataError, match="not a nerve run bundle"):
        check_bundle([1, 2], "m.safetensors")
