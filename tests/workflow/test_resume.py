"""Crash safety and failing outputs (issue 10: item 5, item 6 and "crash safety").

* A run killed by SIGKILL mid-training and resumed ends with the same weights as an
  uninterrupted run.
* An unwritable destination fails before training; a write error is one OutputError; a full
  disk at the end keeps the checkpoint to resume from.
* Killed runs' staging directories: removed when there is nothing to resume, kept otherwise,
  and only ever those this program made.
* A diverged run keeps its history and plots and says what to try.
"""

from __future__ import annotations

import errno
import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import nerve
from nerve.cli import main
from nerve.workflow import LambdaCallback, RunConfig, TrainingDiverged, resume_run, run
from nerve.workflow.staging import CHECKPOINT_NAME, OutputError, Staging, remove_stale

# Adam, a step schedule, dropout and shuffling: every kind of state a resume must restore.
SETTINGS = {
    "training.epochs": 5,
    "training.batch_size": 16,
    "data.n_samples": 96,
    "data.noise": 0.2,
    "optimizer.name": "adam",
    "schedule.name": "step",
    "schedule.step_size": 2,
    "model.dropout": 0.2,
    "training.early_stopping": 10,
    "output.plots": False,
}


def _cfg(out: Path, **extra) -> RunConfig:
    return RunConfig().override({**SETTINGS, "output.dir": str(out), **extra}, parse_strings=False)


def _weights(run_dir: Path) -> dict[str, np.ndarray]:
    bundle = nerve.load(run_dir / "model.safetensors")
    return {k: v.numpy() for k, v in bundle["model"].items()}


def _killed_run(out: Path, kill_epoch: int) -> None:
    """Train in a child process that SIGKILLs itself at the end of ``kill_epoch`` (before that
    epoch's checkpoint is written: the last one on disk is ``kill_epoch - 1``)."""
    code = textwrap.dedent(
        f"""
        import io, os, signal
        from nerve.workflow import LambdaCallback, RunConfig, run
        settings = {SETTINGS!r}
        settings["output.dir"] = {str(out)!r}
        cfg = RunConfig().override(settings, parse_strings=False)
        def kill(trainer, epoch, logs):
            if epoch == {kill_epoch}:
                os.kill(os.getpid(), signal.SIGKILL)
        run(cfg, quiet=True, out=io.StringIO(), callbacks=[LambdaCallback(on_epoch_end=kill)])
        """
    )
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=300)
    assert child.returncode == -9, child.stderr.decode()[-2000:]


def test_sigkill_then_resume_gives_the_uninterrupted_weights(tmp_path) -> None:
    whole = run(_cfg(tmp_path / "whole"), quiet=True, out=io.StringIO())
    _killed_run(tmp_path / "cut", kill_epoch=3)
    assert not (tmp_path / "cut").exists()  # never a half-written run directory
    [partial] = [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]
    assert (partial / CHECKPOINT_NAME).is_file()

    out = io.StringIO()
    assert main(["train", "--resume", str(tmp_path / "cut"), "--quiet"]) == 0 or out
    assert not partial.exists()
    resumed, expected = _weights(tmp_path / "cut"), _weights(whole.run_dir)
    assert resumed.keys() == expected.keys()
    for key in expected:
        np.testing.assert_array_equal(resumed[key], expected[key], err_msg=key)
    rows = (tmp_path / "cut" / "history.csv").read_text().splitlines()
    assert [r.split(",")[0] for r in rows[1:]] == ["1", "2", "3", "4", "5"]


def test_resume_refusals(tmp_path, capsys) -> None:
    assert main(["train", "--resume", str(tmp_path / "nothing")]) == 2
    assert "no interrupted run to resume" in capsys.readouterr().err
    assert main(["train", "--resume", str(tmp_path), "--epochs", "3"]) == 2
    assert "--resume continues a run as it was configured; drop --epochs" in capsys.readouterr().err


def test_ctrl_c_keeps_a_resumable_run(tmp_path) -> None:
    def interrupt(trainer, epoch, logs):
        if epoch == 2:
            raise KeyboardInterrupt

    out = io.StringIO()
    with pytest.raises(KeyboardInterrupt):
        run(_cfg(tmp_path / "r"), out=out, callbacks=[LambdaCallback(on_epoch_end=interrupt)])
    assert "resume with: nerve train --resume" in out.getvalue()
    resume_run(tmp_path / "r", quiet=True, out=io.StringIO())
    assert (tmp_path / "r" / "model.safetensors").is_file()


def test_unwritable_destination_fails_before_training(tmp_path) -> None:
    (tmp_path / "file").write_text("in the way")
    epochs = []
    spy = LambdaCallback(on_epoch_end=lambda trainer, epoch, logs: epochs.append(epoch))
    with pytest.raises(OutputError, match="'.*file' is not a directory"):
        run(_cfg(tmp_path / "file" / "run"), quiet=True, out=io.StringIO(), callbacks=[spy])
    assert epochs == []


def test_full_disk_at_the_end_keeps_the_checkpoint(tmp_path, monkeypatch) -> None:
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(sys.modules["nerve.workflow.runner"], "write_run", full)
    with pytest.raises(OutputError, match="No space left on device"):
        run(_cfg(tmp_path / "r"), quiet=True, out=io.StringIO())
    monkeypatch.undo()
    resume_run(tmp_path / "r", quiet=True, out=io.StringIO())  # space freed: nothing lost
    assert (tmp_path / "r" / "history.csv").read_text().count("\n") == 6


def test_cli_write_error_is_one_line(tmp_path, monkeypatch, capsys) -> None:
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "p.csv"))

    monkeypatch.setattr(sys.modules["nerve.cli"], "_write_atomic", full)
    assert (
        main(["train", "--quiet", "--epochs", "1", "--no-plots", "--out", str(tmp_path / "r")]) == 0
    )
    capsys.readouterr()
    (tmp_path / "in.csv").write_text("x1,x2\n0.5,0.5\n")
    code = main(["predict", str(tmp_path / "r"), str(tmp_path / "in.csv"), "--out", "p.csv"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "No space left on device" in err
    assert (
        main(["predict", str(tmp_path / "r"), str(tmp_path / "in.csv"), "--out", str(tmp_path)])
        == 2
    )
    assert "Is a directory" in capsys.readouterr().err


def test_stale_staging_directories(tmp_path) -> None:
    dead_empty = Staging.create(None, tmp_path, "xor")
    dead_empty.release()  # as if killed before its first checkpoint
    dead_resumable = Staging.create(None, tmp_path, "xor")
    (dead_resumable.checkpoint).write_bytes(b"x")
    dead_resumable.release()
    alive = Staging.create(None, tmp_path, "xor")  # still holds its lock
    foreign = tmp_path / ".xor.0123abcd.partial"  # the right name, but no marker: not ours
    foreign.mkdir()
    assert remove_stale(tmp_path) == [dead_resumable.path]
    assert not dead_empty.path.exists()
    assert dead_resumable.path.exists() and alive.path.exists() and foreign.exists()
    alive.discard()


def test_diverged_run_keeps_history_and_plots(tmp_path, capsys) -> None:
    argv = ["train", "--data", "diabetes", "--lr", "10", "--epochs", "4", "--batch-size", "8"]
    code = main([*argv, "--out", str(tmp_path / "d"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "training diverged in epoch 1" in err and "--lr 1" in err and "--grad-clip" in err
    assert "y_pred" not in err
    names = sorted(p.name for p in (tmp_path / "d").iterdir())
    assert names == ["config.toml", "history.csv", "metrics.json", "model.safetensors", "plots"]
    assert (tmp_path / "d" / "plots" / "loss_curves.png").is_file()
    with pytest.raises(TrainingDiverged):
        cfg = RunConfig().override({"data.source": "diabetes", "optimizer.lr": 10.0})
        cfg = cfg.override({"training.epochs": 2, "training.batch_size": 8})
        run(cfg.override({"output.root": str(tmp_path / "api")}), quiet=True, out=io.StringIO())
    assert os.listdir(tmp_path / "api")
