"""scikit-learn data sets, CSV loading and the CSV schema (nerve.workflow.tabular / csvschema)."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from nerve.workflow import (
    SKLEARN_DATASETS,
    CsvSchema,
    DataError,
    load_csv,
    load_csv_features,
    load_csv_features_text,
    load_csv_text,
    load_sklearn,
)

MIXED = """age,color,size,label
30,red,1.5,yes
41,blue,2.0,no
25,green,0.5,yes
52,blue,3.25,no
"""


@pytest.mark.parametrize(
    ("name", "shape", "task", "k"),
    [
        ("iris", (150, 4), "multiclass", 3),
        ("wine", (178, 13), "multiclass", 3),
        ("breast_cancer", (569, 30), "binary", 2),
        ("digits", (1797, 64), "multiclass", 10),
        ("diabetes", (442, 10), "regression", 0),
    ],
)
def test_load_sklearn(name, shape, task, k):
    pytest.importorskip("sklearn")
    data = load_sklearn(name)
    assert name in SKLEARN_DATASETS
    assert data.X.shape == shape and data.X.dtype == np.float32
    assert data.task == task and data.n_classes == k and data.name == name
    assert len(data.feature_names) == shape[1]
    if task == "regression":
        assert data.y.dtype == np.float32
    else:
        assert set(np.unique(data.y).tolist()) == set(range(k))


def test_load_sklearn_errors(monkeypatch):
    with pytest.raises(DataError, match="valid names: digits"):
        load_sklearn("mnist")
    monkeypatch.setitem(sys.modules, "sklearn", None)  # makes `import sklearn` fail
    with pytest.raises(DataError, match=r"pip install nerve\[workflow\]"):
        load_sklearn("iris")


def test_csv_numeric_categorical_and_labels(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(MIXED)
    data, schema = load_csv(path, "label", return_schema=True)
    assert data.name == "people" and data.task == "binary"
    assert data.feature_names == ["age", "color=blue", "color=green", "color=red", "size"]
    np.testing.assert_array_equal(
        data.X,
        [[30, 0, 0, 1, 1.5], [41, 1, 0, 0, 2.0], [25, 0, 1, 0, 0.5], [52, 1, 0, 0, 3.25]],
    )
    assert data.class_names == ["no", "yes"]  # sorted, mapped to 0..k-1
    assert data.y.tolist() == [1, 0, 1, 0]
    assert schema.categories == {"color": ["blue", "green", "red"]}
    # The text loader shares the implementation.
    same = load_csv_text(MIXED, "label")
    np.testing.assert_array_equal(same.X, data.X)
    np.testing.assert_array_equal(same.y, data.y)


@pytest.mark.parametrize(
    ("targets", "task", "names"),
    [
        (["a", "b", "a", "c"], "multiclass", ["a", "b", "c"]),
        (["10", "2", "2", "10"], "binary", ["2", "10"]),  # numeric labels sort by value
        (["1", "2", "3", "1.0"], "multiclass", ["1", "2", "3"]),  # "1" and "1.0" are one class
        (["0.5", "1.5", "2.25", "3"], "regression", []),
    ],
)
def test_csv_task_inference(targets, task, names):
    text = "x,y\n" + "".join(f"{i},{t}\n" for i, t in enumerate(targets))
    data = load_csv_text(text, "y")
    assert data.task == task and data.class_names == names


def test_csv_many_integer_values_is_regression_and_task_can_be_forced():
    text = "x,y\n" + "".join(f"{i},{i * 3}\n" for i in range(25))
    assert load_csv_text(text, "y").task == "regression"
    forced = load_csv_text("x,y\n1,0\n2,1\n3,0\n", "y", task="regression")
    assert forced.task == "regression" and forced.y.dtype == np.float32
    with pytest.raises(DataError, match="exactly 2 classes"):
        load_csv_text("x,y\n1,a\n2,b\n3,c\n", "y", task="binary")
    with pytest.raises(DataError, match="line 3, column 'y': regression needs numeric"):
        load_csv_text("x,y\n1,0.5\n2,big\n", "y", task="regression")
    with pytest.raises(DataError, match="single class"):
        load_csv_text("x,y\n1,a\n2,a\n", "y")


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("", "empty"),
        ("a,b\n", "no data rows"),
        ("a,b\n1,2\n3\n", "line 3: expected 2 cells"),
        ("a,b\n1,2\n3,4,5\n", "line 3: expected 2 cells"),
        ("a,label\n1,x\n,y\n", "line 3, column 'a': missing value"),
        ("a,label\n1,x\nNA,y\n", "line 3, column 'a': missing value \\('NA'\\)"),
        ("a,label\n1,x\n2,nan\n", "line 3, column 'label': missing value"),
        ("a,label\n1,x\n\n\n2,\n", "line 5, column 'label'"),
        ("a,label\n1,x\ntwo,y\n3,x\n", "line 3, column 'a': 'two' is text"),
        ("a,label\nu,x\nv,y\n3,x\n", "line 4, column 'a': '3' is a number"),
        ("a,label\n1,x\ninf,y\n", "line 3, column 'a': 'inf' is not a finite number"),
        ("a,a,label\n1,2,x\n", "column 'a' twice"),
        ("a,,label\n1,2,x\n", "header column 2 has an empty name"),
        ("a,b\n1,2\n", "target column 'label' not found; the columns are: a, b"),
        ("a;label\n1;2\n", "another separator"),
    ],
)
def test_csv_errors_name_line_and_column(text, pattern):
    with pytest.raises(DataError, match=pattern):
        load_csv_text(text, "label")


def test_csv_file_errors(tmp_path):
    with pytest.raises(DataError, match="not found"):
        load_csv(tmp_path / "missing.csv", "y")
    big = tmp_path / "big.csv"
    big.write_text("x,y\n" + "1,0\n" * 100)
    with pytest.raises(DataError, match="larger than the limit of 50 bytes"):
        load_csv(big, "y", max_bytes=50)
    assert len(load_csv(big, "y", task="regression", max_bytes=10_000)) == 100
    with pytest.raises(DataError, match="larger than the limit"):
        load_csv_text("x,y\n1,0\n2,1\n", "y", max_bytes=5)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("x,y\n1,caf\xe9\n".encode("latin-1"))
    with pytest.raises(DataError, match="not UTF-8"):
        load_csv(latin, "y")
    with pytest.raises(DataError, match="name the target column"):
        load_csv(big, None)


def test_csv_quoting_whitespace_bom_and_blank_lines():
    text = '\ufeff"name, full" , y\n"Smith, J" , 1\n\n ,\n"Doe, A",0\n'
    data = load_csv_text(text, "y")
    assert data.feature_names == ["name, full=Doe, A", "name, full=Smith, J"]
    assert data.y.tolist() == [1, 0] and data.class_names == ["0", "1"]


def test_too_many_categories_is_refused():
    text = "id,y\n" + "".join(f"user{i},{i % 2}\n" for i in range(300))
    with pytest.raises(DataError, match="column 'id' has 300 distinct text values"):
        load_csv_text(text, "y")


def test_schema_round_trip_and_predict_without_target(tmp_path):
    _, schema = load_csv_text(MIXED, "label", return_schema=True)
    saved = json.loads(json.dumps(schema.to_dict()))  # must be JSON-safe
    restored = CsvSchema.from_dict(saved)
    assert restored == schema
    assert restored.feature_names == schema.feature_names

    new = tmp_path / "new.csv"
    new.write_text("size,id,color,age\n2.5,7,red,33\n1.0,8,blue,44\n")
    X = load_csv_features(new, restored)
    np.testing.assert_array_equal(X, [[33, 0, 0, 1, 2.5], [44, 1, 0, 0, 1.0]])
    assert X.dtype == np.float32
    np.testing.assert_array_equal(
        restored.transform_rows(["color", "age", "size"], [["green", "1", "2"]]),
        [[1, 0, 1, 0, 2]],
    )


def test_schema_reuse_on_a_labelled_test_file():
    _, schema = load_csv_text(MIXED, "label", return_schema=True)
    test = load_csv_text("color,size,age,label\nred,1,20,no\n", schema=schema)
    assert test.y.tolist() == [0] and test.feature_names == schema.feature_names
    with pytest.raises(DataError, match="line 2, column 'label': unknown class 'maybe'"):
        load_csv_text("color,size,age,label\nred,1,20,maybe\n", schema=schema)
    with pytest.raises(DataError, match="no target column 'label'.*load_csv_features"):
        load_csv_text("color,size,age\nred,1,20\n", schema=schema)
    with pytest.raises(DataError, match="differs from the schema's target"):
        load_csv_text(MIXED, "age", schema=schema)


def test_schema_errors_at_predict_time():
    _, schema = load_csv_text(MIXED, "label", return_schema=True)
    with pytest.raises(DataError, match="line 3, column 'color': unknown category 'purple'"):
        load_csv_features_text("age,color,size\n1,red,2\n1,purple,2\n", schema)
    with pytest.raises(DataError, match="lacks the column\\(s\\) 'size'"):
        load_csv_features_text("age,color\n1,red\n", schema)
    with pytest.raises(DataError, match="line 2, column 'age': expected a number, got 'old'"):
        load_csv_features_text("age,color,size\nold,red,2\n", schema)
    with pytest.raises(DataError, match="line 2, column 'size': missing value"):
        load_csv_features_text("age,color,size\n1,red,NA\n", schema)
    with pytest.raises(DataError, match="line 7, column 'color'"):
        schema.transform_rows(["age", "color", "size"], [["1", "pink", "2"]], lines=[7])


def test_schema_from_dict_rejects_garbage():
    with pytest.raises(DataError, match="not a saved CSV schema"):
        CsvSchema.from_dict({"target": "y"})
    good = load_csv_text(MIXED, "label", return_schema=True)[1].to_dict()
    with pytest.raises(DataError, match="version"):
        CsvSchema.from_dict({**good, "version": 99})
    with pytest.raises(DataError, match="malformed"):
        CsvSchema.from_dict({k: v for k, v in good.items() if k != "columns"})
    with pytest.raises(DataError, match="unknown task"):
        CsvSchema.from_dict({**good, "task": "ranking"})


def test_transform_rows_accepts_json_like_cells(tmp_path):
    _, schema = load_csv_text(MIXED, "label", return_schema=True)
    X = schema.transform_rows(["age", "color", "size"], [[30, "red", 1.5], [41.0, " blue ", 2]])
    np.testing.assert_array_equal(X, [[30, 0, 0, 1, 1.5], [41, 1, 0, 0, 2]])
    with pytest.raises(DataError, match="line 2, column 'age': missing value"):
        schema.transform_rows(["age", "color", "size"], [[None, "red", 1]])
    with pytest.raises(DataError, match="line 2: expected 3 cells, found 2"):
        schema.transform_rows(["age", "color", "size"], [["1", "red"]])
    with pytest.raises(DataError, match="2 line numbers for 1 rows"):
        schema.transform_rows(["age", "color", "size"], [["1", "red", "2"]], lines=[3, 4])
    with pytest.raises(DataError, match="not a regular file"):
        load_csv(tmp_path, "label")
