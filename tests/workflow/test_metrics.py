"""Metrics, baselines and the metric table (nerve.workflow.metrics), checked against sklearn."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nerve.workflow import (
    DataError,
    accuracy,
    balanced_accuracy,
    baseline_warnings,
    classification_report,
    confusion_matrix,
    f1,
    format_metrics_table,
    greater_is_better,
    mae,
    main_metric,
    majority_baseline,
    mean_baseline,
    mse,
    precision,
    r2,
    recall,
    regression_report,
    roc_auc,
)

skm = pytest.importorskip("sklearn.metrics")
TOL = 1e-12
FAST = settings(max_examples=25, deadline=None)


@st.composite
def label_pairs(draw, k_max=4):
    k = draw(st.integers(2, k_max))
    n = draw(st.integers(1, 40))
    labels = st.lists(st.integers(0, k - 1), min_size=n, max_size=n)
    return k, np.array(draw(labels)), np.array(draw(labels))


@FAST
@given(label_pairs(k_max=2))
def test_binary_metrics_match_sklearn(case):
    _, t, p = case
    assert abs(accuracy(t, p) - skm.accuracy_score(t, p)) <= TOL
    for ours, ref in (
        (precision, skm.precision_score),
        (recall, skm.recall_score),
        (f1, skm.f1_score),
    ):
        expected = ref(t, p, average="binary", pos_label=1, zero_division=0)
        assert abs(ours(t, p) - expected) <= TOL
        expected0 = ref(t, p, average="binary", pos_label=0, zero_division=0)
        if 0 in t or 0 in p:  # sklearn rejects a pos_label absent from both
            assert abs(ours(t, p, pos_label=0) - expected0) <= TOL


@FAST
@given(label_pairs())
def test_multiclass_metrics_match_sklearn(case):
    k, t, p = case
    for average in ("macro", "weighted"):
        for ours, ref in (
            (precision, skm.precision_score),
            (recall, skm.recall_score),
            (f1, skm.f1_score),
        ):
            expected = ref(t, p, average=average, zero_division=0)
            assert abs(ours(t, p, average=average) - expected) <= TOL, (ours, average)
    np.testing.assert_array_equal(
        confusion_matrix(t, p, k), skm.confusion_matrix(t, p, labels=np.arange(k))
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "y_pred contains classes not in y_true"
        expected = skm.balanced_accuracy_score(t, p)
    assert abs(balanced_accuracy(t, p) - expected) <= TOL


@FAST
@given(
    labels=st.lists(st.integers(0, 1), min_size=2, max_size=50),
    data=st.data(),
)
def test_roc_auc_matches_sklearn_with_ties(labels, data):
    t = np.array(labels)
    # Few distinct values, so ties are common.
    scores = np.array(
        data.draw(
            st.lists(st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]), min_size=len(t), max_size=len(t))
        )
    )
    if len(set(labels)) < 2:
        assert math.isnan(roc_auc(t, scores))
    else:
        assert abs(roc_auc(t, scores) - skm.roc_auc_score(t, scores)) <= TOL
        two_columns = np.column_stack([1 - scores, scores])
        assert abs(roc_auc(t, two_columns) - skm.roc_auc_score(t, scores)) <= TOL


@FAST
@given(
    values=st.lists(st.tuples(st.floats(-100, 100), st.floats(-100, 100)), min_size=1, max_size=40)
)
def test_regression_metrics_match_sklearn(values):
    t, p = (np.array(v) for v in zip(*values))
    assert abs(mse(t, p) - skm.mean_squared_error(t, p)) <= TOL * max(1.0, mse(t, p))
    assert abs(mae(t, p) - skm.mean_absolute_error(t, p)) <= TOL * max(1.0, mae(t, p))
    if len(t) >= 2:
        assert abs(r2(t, p) - skm.r2_score(t, p)) <= 1e-9
    else:
        assert math.isnan(r2(t, p))


def test_constant_targets_in_r2_follow_sklearn():
    assert r2([2.0, 2.0, 2.0], [2.0, 2.0, 2.0]) == skm.r2_score([2, 2, 2], [2, 2, 2]) == 1.0
    assert r2([2.0, 2.0, 2.0], [1.0, 2.0, 2.0]) == skm.r2_score([2, 2, 2], [1, 2, 2]) == 0.0


def test_zero_division_and_edge_cases():
    assert precision([0, 0, 1], [0, 0, 0]) == 0.0  # nothing predicted positive
    assert recall([0, 0, 0], [0, 1, 0]) == 0.0  # no positives at all
    assert f1([0, 0], [0, 0]) == 0.0
    assert math.isnan(roc_auc([1, 1, 1], [0.2, 0.4, 0.9]))
    assert roc_auc([0, 1], [0.9, 0.1]) == 0.0
    assert confusion_matrix([0], [2], 3).dtype == np.int64
    assert accuracy(np.array([0.0, 1.0]), np.array([0, 1])) == 1.0  # float labels accepted


def test_metric_errors():
    with pytest.raises(DataError, match="average='binary' needs 2 classes"):
        f1([0, 1, 2], [0, 1, 2])
    with pytest.raises(DataError, match="expected one of: binary, macro, weighted"):
        f1([0, 1], [0, 1], average="micro")
    with pytest.raises(DataError, match="pos_label=1 is not one of the labels"):
        precision([0, 2], [2, 0])
    with pytest.raises(DataError, match="y_true has 2 labels but y_pred has 3"):
        accuracy([0, 1], [0, 1, 1])
    with pytest.raises(DataError, match="zero samples"):
        accuracy([], [])
    with pytest.raises(DataError, match="label 3; expected labels 0..2"):
        confusion_matrix([0, 3], [0, 1], 3)
    with pytest.raises(DataError, match="binary labels"):
        roc_auc([0, 2], [0.1, 0.2])
    with pytest.raises(DataError, match="NaN"):
        mse([1.0, np.nan], [1.0, 2.0])
    with pytest.raises(DataError, match="whole-number"):
        accuracy([0.5], [0])


def test_classification_report_keys():
    binary = classification_report([0, 1, 1, 0], [0, 1, 0, 0], [0.1, 0.8, 0.4, 0.3], 2)
    assert list(binary) == ["accuracy", "balanced_accuracy", "precision", "recall", "f1", "roc_auc"]
    assert binary["accuracy"] == 0.75 and binary["recall"] == 0.5 and binary["roc_auc"] == 1.0
    assert "roc_auc" not in classification_report([0, 1], [0, 1], None, 2)
    multi = classification_report([0, 1, 2, 2], [0, 2, 2, 2], None, 3)
    for key in (
        "precision_macro",
        "recall_macro",
        "f1_macro",
        "precision_weighted",
        "recall_weighted",
        "f1_weighted",
        "balanced_accuracy",
    ):
        assert key in multi
    assert multi["f1_macro"] == pytest.approx(
        skm.f1_score([0, 1, 2, 2], [0, 2, 2, 2], average="macro")
    )
    with pytest.raises(DataError, match="label 2"):
        classification_report([0, 2], [0, 1], None, 2)
    reg = regression_report([1.0, 2.0, 3.0], [1.0, 2.0, 4.0])
    assert set(reg) == {"mse", "mae", "r2"}


def test_baselines():
    base = majority_baseline([0, 0, 0, 1], [1, 0, 0, 1, 0], 2)
    assert base["accuracy"] == 0.6 and base["roc_auc"] == 0.5
    assert base["recall"] == 0.0 and base["f1"] == 0.0
    multi = majority_baseline([2, 2, 1], [0, 1, 2, 2], 3)
    assert multi["accuracy"] == 0.5 and "roc_auc" not in multi
    reg = mean_baseline([1.0, 3.0], [2.0, 4.0, 0.0])
    assert reg["mse"] == pytest.approx((0 + 4 + 4) / 3)
    assert reg["mae"] == pytest.approx(4 / 3)


def test_baseline_warnings_classification():
    base = {"accuracy": 0.6, "f1": 0.0}
    assert baseline_warnings({"accuracy": 0.8, "f1": 0.7}, base, "binary") == []
    w = baseline_warnings({"accuracy": 0.55, "f1": 0.0}, base, "binary", split="test")
    assert any("accuracy 0.550 does not beat the majority-class baseline (0.600)" in x for x in w)
    assert any("f1 0.000 does not beat" in x for x in w)
    assert all(x.startswith("test: ") for x in w)
    # Imbalanced: accuracy looks fine, the warning points at F1 / balanced accuracy.
    w = baseline_warnings(
        {"accuracy": 0.92, "f1_macro": 0.6}, {"accuracy": 0.9, "f1_macro": 0.3}, "multiclass"
    )
    assert len(w) == 1 and "imbalanced" in w[0] and "F1" in w[0]
    w = baseline_warnings({"accuracy": 1.0}, {"accuracy": 0.5}, "binary")
    assert len(w) == 1 and "leakage between splits" in w[0]
    with pytest.raises(DataError, match="model metrics have no 'accuracy'"):
        baseline_warnings({"f1": 1.0}, base, "binary")


def test_baseline_warnings_regression():
    base = {"mse": 2.0, "r2": 0.0}
    assert baseline_warnings({"mse": 1.0, "r2": 0.5}, base, "regression") == []
    w = baseline_warnings({"mse": 2.5, "r2": -0.2}, base, "regression")
    assert len(w) == 1 and "training mean" in w[0]
    w = baseline_warnings({"mse": 1e-6, "r2": 0.9999}, base, "regression")
    assert len(w) == 1 and "leakage" in w[0]
    # NaN metrics (e.g. r2 of one sample) never trigger a warning by accident.
    assert baseline_warnings({"mse": 1.0, "r2": float("nan")}, base, "regression") == []


def test_main_metric_and_direction():
    assert main_metric("binary") == main_metric("multiclass") == "accuracy"
    assert main_metric("regression") == "mse"
    assert greater_is_better("val_accuracy") and greater_is_better("r2")
    assert not greater_is_better("val_loss") and not greater_is_better("mse")


def test_format_metrics_table():
    table = format_metrics_table(
        {
            "train": {"accuracy": 0.98765, "f1": 0.9},
            "validation": {"accuracy": 0.9, "f1": float("nan")},
            "baseline": {"accuracy": 0.5, "mse": 123456.0},
        }
    )
    lines = table.splitlines()
    assert lines[0].split() == ["metric", "train", "validation", "baseline"]
    assert [line.split()[0] for line in lines[1:]] == ["accuracy", "f1", "mse"]
    assert lines[1].split()[1:] == ["0.9877", "0.9000", "0.5000"]
    assert lines[2].split()[1:] == ["0.9000", "nan", "-"]
    assert lines[3].split()[-1] == "1.235e+05"
    # Right-aligned columns: every value ends under the end of its header.
    header_end = lines[0].index("validation") + len("validation")
    assert all(line[:header_end].endswith(("0", "n", "-")) for line in lines[1:])
    assert format_metrics_table({}) == "(no metrics)"
