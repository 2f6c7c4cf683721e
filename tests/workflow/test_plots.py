"""PNG plots (nerve.workflow.plots): valid, non-blank files written atomically, headless."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from nerve.workflow import (
    DataError,
    make_toy,
    plot_confusion_matrix,
    plot_decision_boundary,
    plot_history,
)

mpl_image = pytest.importorskip("matplotlib.image")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SRC = str(Path(__file__).resolve().parents[2] / "src")


def assert_valid_png(path: Path) -> np.ndarray:
    assert path.is_file()
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    image = mpl_image.imread(path)
    assert image.ndim == 3 and image.shape[0] > 50 and image.shape[1] > 50
    assert image[..., :3].std() > 0.01, "image is blank"
    # No temporary file is left behind by the atomic write.
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []
    return image


def test_plot_history(tmp_path):
    history = {
        "train_loss": [1.0, 0.6, 0.4, 0.3],
        "val_loss": [1.1, 0.8, 0.7, 0.75],
        "train_accuracy": [0.5, 0.7, 0.8, 0.9],
        "val_accuracy": [0.5, 0.6, 0.7],  # may be shorter
        "lr": [0.1, 0.1, 0.01, float("inf")],
    }
    out = plot_history(history, tmp_path / "nested" / "dir" / "history.png", title="run $1")
    assert out == tmp_path / "nested" / "dir" / "history.png"
    image = assert_valid_png(out)
    # Three panels side by side: wider than tall.
    assert image.shape[1] > 2 * image.shape[0]


def test_plot_history_errors(tmp_path):
    with pytest.raises(DataError, match="history is empty"):
        plot_history({}, tmp_path / "h.png")
    with pytest.raises(DataError, match="history is empty"):
        plot_history({"train_loss": []}, tmp_path / "h.png")
    with pytest.raises(DataError, match=r"history\['val_loss'\] must be a list of numbers"):
        plot_history({"val_loss": ["a", "b"]}, tmp_path / "h.png")
    with pytest.raises(DataError, match="dict"):
        plot_history([1.0, 2.0], tmp_path / "h.png")
    assert not (tmp_path / "h.png").exists()


class CountingPredict:
    """Records every call so tests can check that predict runs once on the full grid."""

    def __init__(self, fn):
        self.fn = fn
        self.shapes: list[tuple[int, ...]] = []

    def __call__(self, grid):
        assert grid.dtype == np.float32
        self.shapes.append(grid.shape)
        return self.fn(grid)


def test_decision_boundary_binary(tmp_path):
    data = make_toy("circle", n_samples=60, noise=0.1, seed=0)
    predict = CountingPredict(lambda g: 1 / (1 + np.exp(8 * (np.hypot(g[:, 0], g[:, 1]) - 0.6))))
    out = plot_decision_boundary(
        predict, data.X, data.y, tmp_path / "b.png", "binary", 40, data.class_names
    )
    assert predict.shapes == [(1600, 2)]
    assert_valid_png(out)
    # (n, 2) probabilities and (n, 1) columns are accepted too.
    two = CountingPredict(lambda g: np.column_stack([1 - g[:, 0] ** 2 / 2, g[:, 0] ** 2 / 2]))
    assert_valid_png(plot_decision_boundary(two, data.X, data.y, tmp_path / "b2.png", "binary", 30))
    column = lambda g: np.full((len(g), 1), 0.3)  # noqa: E731 -- constant: no contour
    assert_valid_png(
        plot_decision_boundary(column, data.X, data.y, tmp_path / "b3.png", "binary", 20)
    )


def test_decision_boundary_grid_covers_the_data(tmp_path):
    X = np.array([[-3.0, 10.0], [5.0, 20.0], [0.0, 15.0]])
    seen = {}

    def predict(grid):
        seen["grid"] = grid
        return np.full(len(grid), 0.5)

    plot_decision_boundary(predict, X, [0, 1, 0], tmp_path / "g.png", "binary", 25)
    grid = seen["grid"]
    assert grid[:, 0].min() < -3.0 and grid[:, 0].max() > 5.0
    assert grid[:, 1].min() < 10.0 and grid[:, 1].max() > 20.0
    assert len(np.unique(grid[:, 0])) == 25 and len(np.unique(grid[:, 1])) == 25


def test_decision_boundary_multiclass_and_regression(tmp_path):
    blobs = make_toy("blobs", n_samples=45, n_classes=3, seed=1)

    def softmax_predict(grid):
        logits = np.stack([grid[:, 1], -grid[:, 0], grid[:, 0]], axis=1) * 3
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    assert_valid_png(
        plot_decision_boundary(
            softmax_predict,
            blobs.X,
            blobs.y,
            tmp_path / "m.png",
            "multiclass",
            30,
            ["a$", "b", "c"],
        )
    )
    labels = lambda g: (g[:, 0] > 0).astype(np.int64) + (g[:, 1] > 0)  # noqa: E731
    assert_valid_png(
        plot_decision_boundary(labels, blobs.X, blobs.y, tmp_path / "m2.png", "multiclass", 30)
    )
    sine = make_toy("sine", n_samples=50, seed=0)
    surface = lambda g: np.sin(np.pi * g[:, 0])  # noqa: E731
    assert_valid_png(
        plot_decision_boundary(surface, sine.X, sine.y, tmp_path / "r.png", "regression", 30)
    )


def test_decision_boundary_errors(tmp_path):
    X3 = np.zeros((4, 3))
    with pytest.raises(DataError, match=r"shape \(n, 2\).*got shape \(4, 3\)"):
        plot_decision_boundary(lambda g: g[:, 0], X3, np.zeros(4), tmp_path / "e.png", "binary")
    X, y = np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([0, 1])
    with pytest.raises(DataError, match="predict returned shape"):
        plot_decision_boundary(lambda g: np.zeros(3), X, y, tmp_path / "e.png", "binary", 10)
    with pytest.raises(DataError, match="not logits"):
        plot_decision_boundary(lambda g: g[:, 0] * 10, X, y, tmp_path / "e.png", "binary", 10)
    with pytest.raises(DataError, match="3 class columns, expected 2"):
        plot_decision_boundary(
            lambda g: np.ones((len(g), 3)) / 3, X, y, tmp_path / "e.png", "binary", 10
        )
    with pytest.raises(DataError, match="NaN"):
        plot_decision_boundary(
            lambda g: np.full(len(g), np.nan), X, y, tmp_path / "e.png", "regression", 10
        )
    with pytest.raises(DataError, match="resolution"):
        plot_decision_boundary(lambda g: g[:, 0], X, y, tmp_path / "e.png", "binary", 1)
    with pytest.raises(DataError, match="unknown task"):
        plot_decision_boundary(lambda g: g[:, 0], X, y, tmp_path / "e.png", "ranking", 10)
    assert not (tmp_path / "e.png").exists()


def test_confusion_matrix_plot(tmp_path):
    cm = np.array([[50, 2, 0], [3, 40, 7], [0, 0, 9]])
    assert_valid_png(
        plot_confusion_matrix(
            cm, ["setosa", "versicolor", "virginica"], tmp_path / "cm.png", title="iris"
        )
    )
    with pytest.raises(DataError, match="square"):
        plot_confusion_matrix(np.zeros((2, 3)), ["a", "b"], tmp_path / "x.png")
    with pytest.raises(DataError, match="got 2 class names for a 3x3"):
        plot_confusion_matrix(cm, ["a", "b"], tmp_path / "x.png")
    with pytest.raises(DataError, match="non-negative"):
        plot_confusion_matrix(-cm, ["a", "b", "c"], tmp_path / "x.png")


def test_overwrite_replaces_file(tmp_path):
    path = tmp_path / "h.png"
    plot_history({"train_loss": [1.0, 0.5]}, path)
    first = path.read_bytes()
    plot_history({"train_loss": [1.0, 0.5, 0.2, 0.1], "val_loss": [2.0, 1.0, 0.5, 0.4]}, path)
    assert path.read_bytes() != first
    assert_valid_png(path)


def test_plots_work_in_threads(tmp_path):
    errors: list[BaseException] = []

    def work(i):
        try:
            plot_history({"train_loss": [1.0, 0.5 + i / 10]}, tmp_path / f"t{i}.png")
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for i in range(3):
        assert_valid_png(tmp_path / f"t{i}.png")


def test_plots_never_import_pyplot(tmp_path):
    code = (
        "import sys; from nerve.workflow import plot_confusion_matrix; "
        f"plot_confusion_matrix([[1, 2], [3, 4]], ['a', 'b'], {str(tmp_path / 'c.png')!r}); "
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot was imported'"
    )
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.pop("MPLBACKEND", None)
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert_valid_png(tmp_path / "c.png")
