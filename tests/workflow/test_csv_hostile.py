"""CSV files as an attacker or a careless export writes them (issue 10, items 7 and 8).

* Reading is linear in the number of columns: no per-column scan of the header.
* A number beyond float32's range is refused by one rule, in training and in prediction alike.
* Fuzzing: whatever the text, reading gives data or a DataError, never another exception.
"""

from __future__ import annotations

import io
import string

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nerve.workflow import DataError, RunConfig, load_run, run
from nerve.workflow.csvschema import CsvSchema, RawTable, read_table
from nerve.workflow.data import ArrayData, as_features
from nerve.workflow.tabular import load_csv_text


class _NoScanList(list):
    """A header that fails the test when searched front to back (what made reading quadratic)."""

    def index(self, *args, **kwargs):  # type: ignore[override]
        raise AssertionError("header.index() scans every column: quadratic in the columns")

    def __contains__(self, item):  # type: ignore[override]
        raise AssertionError("'name in header' scans every column: quadratic in the columns")


def test_wide_csv_looks_columns_up_without_scanning() -> None:
    n_cols = 300
    names = [f"f{j}" for j in range(n_cols)] + ["colour", "y"]
    rng = np.random.default_rng(0)
    rows = [
        [f"{v:.3f}" for v in rng.normal(size=n_cols)] + [c, str(i % 2)]
        for i, c in enumerate(["red", "blue"] * 5)
    ]
    table = RawTable(_NoScanList(names), rows, list(range(2, 12)))
    schema = CsvSchema.fit(table, "y")
    X = schema.transform_table(table)
    y = schema.encode_target(table)
    assert X.shape == (10, n_cols + 2) and y.tolist() == [0, 1] * 5
    assert X[0, :n_cols].tolist() == pytest.approx([float(c) for c in rows[0][:n_cols]], 1e-6)


def test_float32_overflow_is_refused_in_training_and_prediction(tmp_path) -> None:
    bad = "x1,x2,y\n1e39,0.5,0\n0.1,0.2,1\n0.3,0.2,1\n0.1,0.9,0\n"
    with pytest.raises(DataError, match=r"line 2, column 'x1': '1e39' is beyond float32's range"):
        load_csv_text(bad, "y")
    cfg = RunConfig().override(
        {"training.epochs": 1, "data.n_samples": 40, "output.root": str(tmp_path)},
        parse_strings=False,
    )
    saved = load_run(run(cfg, quiet=True, out=io.StringIO()).run_dir)
    path = tmp_path / "points.csv"
    path.write_text("x1,x2\n0.5,0.5\n-1e39,0.5\n")
    with pytest.raises(DataError, match=r"line 3, column 'x1': '-1e39' is beyond float32"):
        saved.read_features(path)
    with pytest.raises(DataError, match=r"inputs\[0, 1\] is 1e\+39"):
        saved.predict([[0.5, 1e39]])
    # Finite in float32 but so far from the training data that scaling overflows: refused too.
    with pytest.raises(DataError, match="far outside the range"):
        saved.predict([[3e38, 0.5]])
    assert saved.predict([[0.5, 0.5]]).shape == (1,)


def test_one_rule_for_arrays() -> None:
    assert as_features([[3.0e38, 1.0]]).dtype == np.float32
    for bad in ([[1e39, 0.0]], [[0.0, float("nan")]], [[float("-inf"), 0.0]]):
        with pytest.raises(DataError, match="NaN, infinite or beyond float32's range"):
            as_features(bad)
        with pytest.raises(DataError, match=r"X\[0, "):
            ArrayData(np.array(bad), np.array([0]), "binary", "t")


# Text made of what CSV parsers trip on: separators, quotes, line ends, numbers, spaces.
_CELL = st.one_of(
    st.text(alphabet=string.ascii_letters + string.digits + ' ,"\r\n\t.-+e;', max_size=8),
    st.sampled_from(["1e39", "-1e39", "nan", "inf", "NA", "", "1_0", "0x10", "\ufeff", "1e-50"]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)
_ROWS = st.lists(st.lists(_CELL, min_size=1, max_size=4), min_size=0, max_size=6)


def _csv(rows: list[list[str]]) -> str:
    return "\n".join(",".join(row) for row in rows)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=_ROWS, target=st.sampled_from(["y", "a", "b"]), header=st.booleans())
def test_fuzz_csv_reader(rows, target, header) -> None:
    text = _csv([["a", "b", "y"], *rows] if header else rows)
    try:
        data = load_csv_text(text, target)
    except DataError as err:
        assert str(err) and "\n" not in str(err)
        return
    assert np.all(np.isfinite(data.X)) and data.X.dtype == np.float32
    assert data.X.shape[0] == len(data.y) > 0


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=200))
def test_fuzz_read_table_on_any_text(text) -> None:
    try:
        table = read_table(text)
    except DataError:
        return
    assert table.header and all(len(row) == len(table.header) for row in table.rows)
    assert len(table.rows) == len(table.lines)
