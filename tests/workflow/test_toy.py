"""Toy data sets (nerve.workflow.toy) and the ArrayData container they return."""

from __future__ import annotations

import numpy as np
import pytest

from nerve.workflow import TOY_DATASETS, ArrayData, DataError, make_imbalanced, make_toy

CLASSIFICATION = ["xor", "circle", "gaussian", "spiral", "moons", "blobs"]
REGRESSION = ["plane", "sine", "multi-gaussian"]


def test_every_listed_name_is_generated():
    assert set(TOY_DATASETS) == set(CLASSIFICATION + REGRESSION + ["lecture"])
    for name, description in TOY_DATASETS.items():
        assert isinstance(description, str) and description
        data = make_toy(name, n_samples=50, noise=0.1, seed=3)
        assert data.name == name
        assert data.feature_names == ["x1", "x2"]
        assert data.X.dtype == np.float32 and data.X.shape[1] == 2


@pytest.mark.parametrize("name", CLASSIFICATION + REGRESSION)
def test_shapes_dtypes_and_tasks(name):
    data = make_toy(name, n_samples=101, noise=0.2, seed=0)
    assert data.X.shape == (101, 2)
    assert data.y.shape == (101,)
    assert np.all(np.isfinite(data.X))
    if name in REGRESSION:
        assert data.task == "regression"
        assert data.y.dtype == np.float32
        assert data.class_names == [] and data.n_classes == 0
    else:
        assert data.y.dtype == np.int64
        expected = "multiclass" if name == "blobs" else "binary"
        assert data.task == expected
        assert data.n_classes == len(data.class_names) == (3 if name == "blobs" else 2)


@pytest.mark.parametrize("name", CLASSIFICATION + REGRESSION)
def test_deterministic_given_seed(name):
    a = make_toy(name, n_samples=60, noise=0.3, seed=7)
    b = make_toy(name, n_samples=60, noise=0.3, seed=7)
    c = make_toy(name, n_samples=60, noise=0.3, seed=8)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.X, c.X)


@pytest.mark.parametrize("name", CLASSIFICATION)
@pytest.mark.parametrize("n", [7, 100])
def test_classes_are_balanced_and_shuffled(name, n):
    data = make_toy(name, n_samples=n, noise=0.1, seed=1)
    counts = np.bincount(data.y, minlength=data.n_classes)
    assert counts.sum() == n
    assert counts.max() - counts.min() <= 1
    if n == 100:
        # Shuffled: labels are not in sorted blocks.
        assert not np.all(np.diff(data.y) >= 0)


def test_inputs_are_on_the_documented_scale():
    for name in CLASSIFICATION + REGRESSION:
        X = make_toy(name, n_samples=300, noise=0.0, seed=2).X
        assert np.abs(X).max() <= 1.01, name  # clean points lie in [-1, 1]^2
        X = make_toy(name, n_samples=300, noise=1.0, seed=2).X
        assert np.abs(X).max() < 3.0, name


def test_xor_and_circle_labels_follow_their_rule_without_noise():
    xor = make_toy("xor", n_samples=200, noise=0.0, seed=0)
    np.testing.assert_array_equal(xor.y, (xor.X[:, 0] * xor.X[:, 1] > 0).astype(np.int64))
    circle = make_toy("circle", n_samples=200, noise=0.0, seed=0)
    r = np.hypot(circle.X[:, 0], circle.X[:, 1])
    assert np.all(r[circle.y == 1] <= 0.5 + 1e-6)
    assert np.all(r[circle.y == 0] >= 0.7 - 1e-6)


def test_lecture_points_are_exact():
    data = make_toy("lecture", n_samples=999, noise=0.9)
    np.testing.assert_allclose(data.X, [[0.9, -0.2], [0.75, 0.6]], rtol=0, atol=1e-7)
    assert data.y.tolist() == [0, 1]
    assert data.task == "binary"


def test_spiral_and_blobs_class_count():
    assert make_toy("spiral", n_samples=60).task == "binary"
    spiral = make_toy("spiral", n_samples=60, n_classes=4)
    assert spiral.task == "multiclass" and spiral.n_classes == 4
    assert np.bincount(spiral.y).tolist() == [15, 15, 15, 15]
    blobs = make_toy("blobs", n_samples=50, n_classes=5)
    assert blobs.n_classes == 5 and len(np.unique(blobs.y)) == 5
    # n_classes is ignored by the binary-only sets.
    assert make_toy("moons", n_samples=20, n_classes=4).n_classes == 2


def test_noise_degrades_but_does_not_destroy_separability():
    neighbors = pytest.importorskip("sklearn.neighbors")
    model_selection = pytest.importorskip("sklearn.model_selection")
    for name in CLASSIFICATION:
        scores = {}
        for noise in (0.0, 0.5):
            data = make_toy(name, n_samples=300, noise=noise, seed=0)
            knn = neighbors.KNeighborsClassifier(5)
            scores[noise] = model_selection.cross_val_score(knn, data.X, data.y, cv=3).mean()
        assert scores[0.0] > 0.9, (name, scores)
        assert 0.6 < scores[0.5] <= scores[0.0] + 0.02, (name, scores)


def test_regression_noise_is_added_to_the_target():
    clean = make_toy("plane", n_samples=200, noise=0.0, seed=4)
    np.testing.assert_allclose(clean.y, 0.6 * clean.X[:, 0] - 0.4 * clean.X[:, 1], atol=1e-6)
    noisy = make_toy("plane", n_samples=200, noise=0.5, seed=4)
    residual = noisy.y - (0.6 * noisy.X[:, 0] - 0.4 * noisy.X[:, 1])
    assert 0.15 < residual.std() < 0.35


def test_invalid_arguments_raise_data_error():
    with pytest.raises(DataError, match="valid names: xor, circle"):
        make_toy("swirl")
    with pytest.raises(DataError, match="n_samples"):
        make_toy("xor", n_samples=1)
    with pytest.raises(DataError, match="n_samples"):
        make_toy("xor", n_samples=2.5)
    with pytest.raises(DataError, match=r"noise must be in \[0, 1\]"):
        make_toy("xor", noise=1.5)
    with pytest.raises(DataError, match="noise"):
        make_toy("xor", noise=-0.1)
    with pytest.raises(DataError, match="too small for 4 classes"):
        make_toy("blobs", n_samples=3, n_classes=4)
    with pytest.raises(DataError, match="n_classes"):
        make_toy("blobs", n_classes=1)


def test_make_imbalanced_keeps_majority_and_a_fraction_of_the_rest():
    data = make_toy("blobs", n_samples=90, n_classes=3, seed=0)
    imb = make_imbalanced(data, ratio=0.2, seed=1)
    assert np.bincount(imb.y).tolist() == [30, 6, 6]
    assert imb.name == "blobs-imbalanced" and imb.class_names == data.class_names
    # Rows are a subset of the original rows, in their original order.
    rows = {tuple(x) for x in data.X}
    assert all(tuple(x) in rows for x in imb.X)
    again = make_imbalanced(data, ratio=0.2, seed=1)
    np.testing.assert_array_equal(imb.X, again.X)
    tiny = make_imbalanced(data, ratio=0.001)
    assert np.bincount(tiny.y).tolist() == [30, 1, 1]
    assert len(make_imbalanced(data, ratio=1.0)) == 90


def test_make_imbalanced_rejects_bad_input():
    with pytest.raises(DataError, match="ratio"):
        make_imbalanced(make_toy("xor", 20), ratio=0.0)
    with pytest.raises(DataError, match="classification"):
        make_imbalanced(make_toy("plane", 20), ratio=0.5)


def test_array_data_converts_and_validates():
    data = ArrayData(np.array([[1, 2], [3, 4]]), np.array([0.0, 1.0]), "binary")
    assert data.X.dtype == np.float32 and data.y.dtype == np.int64
    assert data.class_names == ["0", "1"] and data.feature_names == ["x1", "x2"]
    assert len(data) == 2 and data.n_features == 2
    assert "2 samples x 2 features, binary (2 classes)" in data.describe()
    with pytest.raises(DataError, match="2-D"):
        ArrayData(np.zeros(3), np.zeros(3), "regression")
    with pytest.raises(DataError, match=r"y must have shape \(2,\)"):
        ArrayData(np.zeros((2, 1)), np.zeros(3), "regression")
    with pytest.raises(DataError, match="unknown task"):
        ArrayData(np.zeros((2, 1)), np.zeros(2), "clustering")
    with pytest.raises(DataError, match="label 2"):
        ArrayData(np.zeros((2, 1)), np.array([0, 2]), "binary")
    with pytest.raises(DataError, match="NaN"):
        ArrayData(np.array([[np.nan]]), np.zeros(1), "regression")
    with pytest.raises(DataError, match="feature_names"):
        ArrayData(np.zeros((2, 2)), np.zeros(2), "regression", feature_names=["a"])
    with pytest.raises(DataError, match="class_names must be empty"):
        ArrayData(np.zeros((2, 1)), np.zeros(2), "regression", class_names=["a"])
    with pytest.raises(DataError, match="whole-number"):
        ArrayData(np.zeros((2, 1)), np.array([0.5, 1.0]), "binary")


def test_array_data_subset_keeps_metadata():
    data = make_toy("blobs", n_samples=30, n_classes=3)
    only_zero = data.subset(np.flatnonzero(data.y == 0))
    assert only_zero.n_classes == 3 and set(only_zero.y.tolist()) == {0}
    assert len(data.subset([])) == 0
    assert len(data.subset(data.y == 1)) == 10
    with pytest.raises(DataError, match="out of range"):
        data.subset([30])
    with pytest.raises(DataError, match="boolean mask"):
        data.subset(np.array([True, False]))
