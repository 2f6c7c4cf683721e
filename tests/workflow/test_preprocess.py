"""Scalers and class-imbalance tools (nerve.workflow.preprocess)."""

from __future__ import annotations

import numpy as np
import pytest

from nerve.workflow import (
    SCALERS,
    DataError,
    MinMaxScaler,
    NoScaler,
    StandardScaler,
    class_counts,
    class_weights,
    imbalance_report,
    make_scaler,
    sample_weights,
    scaler_from_state_dict,
    train_val_test_split,
)

sk_pre = pytest.importorskip("sklearn.preprocessing")


@pytest.fixture
def splits():
    rng = np.random.default_rng(0)
    X = rng.normal([5.0, -3.0, 100.0], [2.0, 0.1, 30.0], size=(60, 3)).astype(np.float32)
    X[:, 1] = 7.0  # a constant column
    train, val, _ = train_val_test_split(np.zeros(60), 0.2, 0.2, stratify=False, seed=0)
    return X[train], X[val]


def test_standard_scaler_matches_sklearn_and_uses_train_statistics(splits):
    X_train, X_val = splits
    ours = StandardScaler().fit(X_train)
    ref = sk_pre.StandardScaler().fit(X_train.astype(np.float64))
    np.testing.assert_allclose(ours.mean, ref.mean_, rtol=1e-12)
    np.testing.assert_allclose(ours.scale, ref.scale_, rtol=1e-12)
    out = ours.transform(X_val)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, ref.transform(X_val.astype(np.float64)), atol=1e-5)
    # The training split is standardised; the constant column becomes 0, not NaN.
    z = ours.transform(X_train)
    np.testing.assert_allclose(z.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(z.std(axis=0), [1.0, 0.0, 1.0], atol=1e-5)
    assert np.all(np.isfinite(ours.transform(X_val)))


def test_minmax_scaler_matches_sklearn(splits):
    X_train, X_val = splits
    for feature_range in [(0.0, 1.0), (-1.0, 1.0)]:
        ours = MinMaxScaler(feature_range).fit(X_train)
        ref = sk_pre.MinMaxScaler(feature_range).fit(X_train.astype(np.float64))
        got = ours.transform(X_val.astype(np.float64))
        assert got.dtype == np.float64  # float64 in, float64 out
        np.testing.assert_allclose(got, ref.transform(X_val.astype(np.float64)), atol=1e-12)
        z = ours.transform(X_train)
        np.testing.assert_allclose(z.min(axis=0)[[0, 2]], feature_range[0], atol=1e-6)
        np.testing.assert_allclose(z.max(axis=0)[[0, 2]], feature_range[1], atol=1e-6)
        assert np.all(z[:, 1] == feature_range[0])  # constant column -> lower bound


@pytest.mark.parametrize("kind", ["standard", "minmax", "none", None])
def test_round_trip_and_state_dict(splits, kind):
    X_train, X_val = splits
    scaler = make_scaler(kind).fit(X_train)
    back = scaler.inverse_transform(scaler.transform(X_val))
    np.testing.assert_allclose(back, X_val, rtol=1e-5, atol=1e-4)
    state = scaler.state_dict()
    assert state["kind"] == (kind or "none")
    assert all(isinstance(v, (np.ndarray, str)) for v in state.values())
    # Simulate saving to disk: arrays only survive as arrays, strings as strings.
    restored = scaler_from_state_dict(
        {k: (v if isinstance(v, str) else np.array(v)) for k, v in state.items()}
    )
    assert type(restored) is type(scaler)
    np.testing.assert_array_equal(restored.transform(X_val), scaler.transform(X_val))
    again = type(scaler).from_state_dict(state)
    np.testing.assert_array_equal(again.transform(X_val), scaler.transform(X_val))


def test_state_dict_survives_npz(tmp_path, splits):
    X_train, X_val = splits
    scaler = MinMaxScaler((-2, 2)).fit(X_train)
    np.savez(tmp_path / "scaler.npz", **scaler.state_dict())
    with np.load(tmp_path / "scaler.npz") as f:
        restored = scaler_from_state_dict(dict(f))  # "kind" comes back as a 0-d str array
    assert restored.feature_range == (-2.0, 2.0)
    np.testing.assert_array_equal(restored.transform(X_val), scaler.transform(X_val))


def test_scaler_errors():
    with pytest.raises(DataError, match="not fitted; call fit"):
        StandardScaler().transform(np.zeros((2, 2)))
    with pytest.raises(DataError, match="not fitted"):
        MinMaxScaler().state_dict()
    fitted = StandardScaler().fit(np.zeros((3, 2)))
    with pytest.raises(DataError, match="X has 3 features but the scaler was fitted on 2"):
        fitted.transform(np.zeros((1, 3)))
    with pytest.raises(DataError, match="2-D"):
        fitted.transform(np.zeros(2))
    with pytest.raises(DataError, match="zero samples"):
        StandardScaler().fit(np.zeros((0, 2)))
    with pytest.raises(DataError, match="expected one of: standard, minmax, none"):
        make_scaler("robust")
    with pytest.raises(DataError, match="low < high"):
        MinMaxScaler((1, 1))
    state = fitted.state_dict()
    with pytest.raises(DataError, match="not 'minmax'"):
        MinMaxScaler.from_state_dict(state)
    with pytest.raises(DataError, match="malformed standard scaler state"):
        StandardScaler.from_state_dict({**state, "mean": np.zeros(5)})
    with pytest.raises(DataError, match="scaler kind"):
        scaler_from_state_dict({"kind": "zscore"})


def test_make_scaler_kinds():
    assert isinstance(make_scaler("Standard"), StandardScaler)
    assert isinstance(make_scaler("minmax"), MinMaxScaler)
    assert isinstance(make_scaler(None), NoScaler)
    assert set(SCALERS) == {"standard", "minmax", "none"}
    out = NoScaler().fit_transform(np.array([[1, 2]], dtype=np.int64))
    assert out.dtype == np.float32 and out.tolist() == [[1.0, 2.0]]


def test_class_counts_and_weights_match_sklearn():
    sk_utils = pytest.importorskip("sklearn.utils")
    y = np.array([0] * 30 + [1] * 6 + [2] * 4)
    assert class_counts(y, 4).tolist() == [30, 6, 4, 0]
    ref = sk_utils.compute_class_weight("balanced", classes=np.arange(3), y=y)
    w = class_weights(y, 3)
    assert w.dtype == np.float32
    np.testing.assert_allclose(w, ref, rtol=1e-6)
    # An absent class gets weight 0; the weighted sample count stays n.
    w4 = class_weights(y, 4)
    assert w4[3] == 0.0
    np.testing.assert_allclose((w4[y]).sum(), len(y), rtol=1e-6)
    with pytest.raises(DataError, match="label 3"):
        class_counts(np.array([0, 3]), 3)


def test_sample_weights_balance_classes_in_expectation():
    y = np.array([0] * 90 + [1] * 10)
    w = sample_weights(y, 2)
    assert w.dtype == np.float64 and w.shape == (100,)
    np.testing.assert_allclose(w.sum(), 1.0)
    np.testing.assert_allclose([w[y == 0].sum(), w[y == 1].sum()], [0.5, 0.5])
    # Drawing with these probabilities gives both classes about equally often.
    draws = np.random.default_rng(0).choice(len(y), size=20_000, p=w)
    share = np.mean(y[draws] == 1)
    assert 0.47 < share < 0.53
    three = sample_weights(np.array([0, 0, 2]), 3)  # class 1 absent
    np.testing.assert_allclose([three[:2].sum(), three[2]], [0.5, 0.5])


def test_imbalance_report():
    balanced = imbalance_report(np.array([0, 1] * 10), ["cat", "dog"])
    assert "cat" in balanced and "50.0%" in balanced and "ratio: 1.0" in balanced
    assert "warning" not in balanced
    skewed = imbalance_report(np.array([0] * 90 + [1] * 10), ["ok", "fraud"])
    lines = skewed.splitlines()
    assert lines[0] == "class counts (100 samples):"
    assert any("fraud" in line and "10.0%" in line for line in lines)
    assert "majority/minority ratio: 9.0" in skewed
    assert any(line.startswith("warning: imbalanced classes (ratio 9.0 > 3)") for line in lines)
    assert "F1" in skewed
    exactly_three = imbalance_report(np.array([0, 0, 0, 1]), ["a", "b"])
    assert "warning" not in exactly_three
    missing = imbalance_report(np.array([0, 0, 1]), ["a", "b", "c"])
    assert "no samples of class(es) 'c'" in missing and "ratio: inf" in missing
