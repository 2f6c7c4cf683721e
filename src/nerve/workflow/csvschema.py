"""Reading CSV text into a table of cells, and ``CsvSchema``: how those cells become numbers.

The schema is *fitted* on the training CSV (which columns are numeric, the categories of each
text column, the class names of the target) and saved beside the model as JSON. At predict time
the same schema turns a new CSV -- usually without the target column -- into exactly the same
feature columns, so one-hot positions cannot silently shift between training and prediction.

Rules (the lecture's "process the data" step, made explicit):

* a header row is required; cells are stripped of surrounding spaces; lines whose cells are all
  empty are skipped (spreadsheets like to append ``,,,`` lines);
* missing values (empty, ``NA``, ``N/A``, ``nan``, ``null``, any case) are an error naming the
  line and column -- we do not impute silently;
* a feature column whose cells are all numbers is numeric; all text is categorical and one-hot
  encoded as ``"col=value"`` in sorted category order; a mix is an error naming the odd cell.

Line numbers in messages are 1-based lines of the file, as an editor shows them.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import DataError, check_choice

__all__ = ["MISSING_TOKENS", "FLOAT32_MAX", "MAX_CATEGORIES", "RawTable", "read_table", "CsvSchema"]

MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "null"})
# Features and regression targets are float32: a cell beyond its range would become inf.
FLOAT32_MAX = float(np.finfo(np.float32).max)
# One-hot encoding a column of IDs or free text would create a column per row; refuse instead.
MAX_CATEGORIES = 250
_FORMAT = "nerve.csvschema"


@dataclass
class RawTable:
    """A parsed CSV: header names, rows of stripped string cells and each row's file line."""

    header: list[str]
    rows: list[list[str]]
    lines: list[int]
    # Column name -> position: ``header.index`` per column made wide files quadratic (20,000
    # columns took 42 s to read). A repeated name keeps its first position, as index() did.
    _positions: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._positions = {}
        for j, name in enumerate(self.header):
            self._positions.setdefault(name, j)

    def position(self, name: str) -> int:
        """The index of the column called ``name`` (ValueError if there is none)."""
        try:
            return self._positions[name]
        except KeyError:
            raise ValueError(f"{name!r} is not a column") from None

    def has(self, name: str) -> bool:
        """Whether a column is called ``name``."""
        return name in self._positions

    def column(self, name: str) -> list[str]:
        """All cells of the column called ``name``."""
        j = self.position(name)
        return [row[j] for row in self.rows]


def read_table(text: str) -> RawTable:
    """Parse CSV ``text`` (comma-separated, header first) into a :class:`RawTable`.

    Example:
        >>> read_table("a,b\\n1,x\\n\\n2,y\\n").lines
        [2, 4]
    """
    text = text.removeprefix("\ufeff")  # a UTF-8 byte-order mark, as written by Excel
    if not text.strip():
        raise DataError("the CSV is empty; expected a header row followed by data rows")
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    try:
        for row in reader:
            cells = [cell.strip() for cell in row]
            if not any(cells):
                continue
            if header is None:
                header = _check_header(cells)
            elif len(cells) != len(header):
                raise DataError(
                    f"line {reader.line_num}: expected {len(header)} cells (one per header "
                    f"column), found {len(cells)}"
                )
            else:
                rows.append(cells)
                lines.append(reader.line_num)
    except csv.Error as err:
        raise DataError(f"line {reader.line_num}: malformed CSV ({err})") from err
    if header is None or not rows:
        raise DataError("the CSV has a header row but no data rows")
    return RawTable(header, rows, lines)


def _check_header(cells: list[str]) -> list[str]:
    for j, name in enumerate(cells):
        if not name:
            raise DataError(f"header column {j + 1} has an empty name; every column needs a name")
    seen: set[str] = set()
    for name in cells:
        if name in seen:
            raise DataError(f"header names column {name!r} twice; column names must be unique")
        seen.add(name)
    return cells


def _number(cell: str) -> float | None:
    """The cell as a float, or None if it is not a number."""
    try:
        return float(cell)
    except ValueError:
        return None


def _check_cell(table: RawTable, i: int, col: str, cell: str) -> None:
    """Raise for a missing value, a non-finite number such as ``inf``, or a number beyond
    float32's range (it would become inf). Training and prediction both read cells through
    here, so a file that cannot train cannot be predicted on either."""
    if cell.lower() in MISSING_TOKENS:
        shown = "an empty cell" if not cell else f"{cell!r}"
        raise DataError(
            f"line {table.lines[i]}, column {col!r}: missing value ({shown}); nerve does not "
            "fill in missing values -- remove the row or fill the cell"
        )
    value = _number(cell)
    if value is not None and not math.isfinite(value):
        raise DataError(f"line {table.lines[i]}, column {col!r}: {cell!r} is not a finite number")
    if value is not None and abs(value) > FLOAT32_MAX:
        raise DataError(
            f"line {table.lines[i]}, column {col!r}: {cell!r} is beyond float32's range "
            f"(+-{FLOAT32_MAX:.4g}); rescale the column"
        )


def _column_kind(table: RawTable, col: str) -> str:
    """``"numeric"`` or ``"categorical"``; a mix raises a DataError naming the odd cell."""
    cells = table.column(col)
    is_num = [_number(c) is not None for c in cells]
    n_num = sum(is_num)
    if n_num == len(cells):
        return "numeric"
    if n_num == 0:
        return "categorical"
    # Report the first cell of the rarer kind: in a numeric column with one typo, that's the typo.
    odd_is_text = len(cells) - n_num <= n_num
    i = next(k for k, num in enumerate(is_num) if num != odd_is_text)
    ok = next(k for k, num in enumerate(is_num) if num == odd_is_text)
    raise DataError(
        f"line {table.lines[i]}, column {col!r}: {cells[i]!r} is "
        f"{'text' if odd_is_text else 'a number'}, but the column also holds "
        f"{'numbers' if odd_is_text else 'text'} (e.g. {cells[ok]!r} on line {table.lines[ok]}); "
        "a feature column must be all numbers or all categories"
    )


@dataclass
class CsvSchema:
    """How the columns of a CSV map to features and targets; fitted once, reused to predict.

    Attributes:
        target: name of the target column.
        task: ``"binary"``, ``"multiclass"`` or ``"regression"``.
        columns: the input columns, in file order (the target excluded).
        categories: for each categorical column, its sorted categories.
        class_names: the target's classes in label order (empty for regression).

    Example:
        >>> table = read_table("size,color,kind\\n1,red,a\\n2,blue,b\\n")
        >>> schema = CsvSchema.fit(table, target="kind")
        >>> schema.feature_names, schema.task, schema.class_names
        (['size', 'color=blue', 'color=red'], 'binary', ['a', 'b'])
        >>> schema.transform_rows(["color", "size"], [["red", "5"]]).tolist()
        [[5.0, 0.0, 1.0]]
    """

    target: str
    task: str
    columns: list[str]
    categories: dict[str, list[str]] = field(default_factory=dict)
    class_names: list[str] = field(default_factory=list)

    @property
    def feature_names(self) -> list[str]:
        """Names of the encoded feature columns (``"col=value"`` for one-hot columns)."""
        names: list[str] = []
        for col in self.columns:
            if col in self.categories:
                names.extend(f"{col}={cat}" for cat in self.categories[col])
            else:
                names.append(col)
        return names

    @classmethod
    def fit(cls, table: RawTable, target: str, task: str | None = None) -> CsvSchema:
        """Infer the schema of a training table (see the module docstring for the rules)."""
        if not table.has(target):
            hint = ""
            if len(table.header) == 1 and any(s in table.header[0] for s in ";\t|"):
                hint = " (the file seems to use another separator; nerve reads comma-separated)"
            raise DataError(
                f"target column {target!r} not found; the columns are: "
                f"{', '.join(table.header)}{hint}"
            )
        if task is not None:
            check_choice("task", task, ("binary", "multiclass", "regression"))
        for i, row in enumerate(table.rows):
            for col, cell in zip(table.header, row):
                _check_cell(table, i, col, cell)
        columns = [c for c in table.header if c != target]
        if not columns:
            raise DataError(f"the CSV has only the target column {target!r}; no features to use")
        categories: dict[str, list[str]] = {}
        for col in columns:
            if _column_kind(table, col) == "categorical":
                cats = sorted(set(table.column(col)))
                if len(cats) > MAX_CATEGORIES:
                    raise DataError(
                        f"column {col!r} has {len(cats)} distinct text values; one-hot encoding "
                        f"supports at most {MAX_CATEGORIES} -- drop the column (an ID?) or "
                        "encode it as numbers yourself"
                    )
                categories[col] = cats
        task, class_names = _infer_target(table, target, task)
        return cls(target, task, columns, categories, class_names)

    def transform_rows(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[Any]],
        lines: Sequence[int] | None = None,
    ) -> np.ndarray:
        """Encode string ``rows`` (columns named by ``header``) into a float32 feature matrix.

        Columns are matched by name, so their order may differ from training and extra columns
        (the target, an ID) are ignored. ``lines`` gives the file line of each row for error
        messages; by default row ``i`` is line ``i + 2`` (the header being line 1).
        """
        names = [str(h).strip() for h in header]
        # Cells may come from JSON (numbers, null) rather than a CSV reader: normalise to text.
        cells = [["" if c is None else str(c).strip() for c in row] for row in rows]
        where = list(lines) if lines is not None else list(range(2, len(cells) + 2))
        if len(where) != len(cells):
            raise DataError(f"got {len(where)} line numbers for {len(cells)} rows")
        for line, row in zip(where, cells):
            if len(row) != len(names):
                raise DataError(f"line {line}: expected {len(names)} cells, found {len(row)}")
        return self.transform_table(RawTable(names, cells, where))

    def transform_table(self, table: RawTable) -> np.ndarray:
        """Encode the feature columns of a parsed table; see :meth:`transform_rows`."""
        missing = [c for c in self.columns if not table.has(c)]
        if missing:
            raise DataError(
                f"the CSV lacks the column(s) {', '.join(map(repr, missing))} the model was "
                f"trained on; expected columns: {', '.join(self.columns)}"
            )
        X = np.zeros((len(table.rows), len(self.feature_names)), dtype=np.float32)
        offset = 0
        for col in self.columns:
            j = table.position(col)
            if col in self.categories:
                cats = self.categories[col]
                position = {cat: k for k, cat in enumerate(cats)}
                for i, row in enumerate(table.rows):
                    _check_cell(table, i, col, row[j])
                    if row[j] not in position:
                        raise DataError(
                            f"line {table.lines[i]}, column {col!r}: unknown category "
                            f"{row[j]!r}; the model was trained on: {', '.join(cats)}"
                        )
                    X[i, offset + position[row[j]]] = 1.0
                offset += len(cats)
            else:
                X[:, offset] = self._numbers(table, col)
                offset += 1
        return X

    def encode_target(self, table: RawTable) -> np.ndarray:
        """The target column as int64 labels (classification) or float32 values (regression)."""
        if not table.has(self.target):
            raise DataError(f"target column {self.target!r} not found in the CSV")
        if self.task == "regression":
            return self._numbers(table, self.target).astype(np.float32)
        numeric = all(_number(name) is not None for name in self.class_names)
        lookup = {(float(n) if numeric else n): k for k, n in enumerate(self.class_names)}
        labels = np.empty(len(table.rows), dtype=np.int64)
        for i, cell in enumerate(table.column(self.target)):
            _check_cell(table, i, self.target, cell)
            key = _number(cell) if numeric else cell
            if key not in lookup:
                raise DataError(
                    f"line {table.lines[i]}, column {self.target!r}: unknown class {cell!r}; "
                    f"the model knows: {', '.join(self.class_names)}"
                )
            labels[i] = lookup[key]
        return labels

    def _numbers(self, table: RawTable, col: str) -> np.ndarray:
        values = np.empty(len(table.rows), dtype=np.float64)
        for i, cell in enumerate(table.column(col)):
            _check_cell(table, i, col, cell)
            value = _number(cell)
            if value is None:
                raise DataError(
                    f"line {table.lines[i]}, column {col!r}: expected a number, got {cell!r}"
                )
            values[i] = value
        return values

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict; :meth:`from_dict` restores the schema from it."""
        return {
            "format": _FORMAT,
            "version": 1,
            "target": self.target,
            "task": self.task,
            "columns": list(self.columns),
            "categories": {k: list(v) for k, v in self.categories.items()},
            "class_names": list(self.class_names),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CsvSchema:
        """Rebuild a schema saved by :meth:`to_dict`, checking that it is well formed."""
        if not isinstance(d, dict) or d.get("format") != _FORMAT:
            raise DataError(f"not a saved CSV schema (expected a dict with format={_FORMAT!r})")
        if d.get("version") != 1:
            raise DataError(f"unsupported CSV schema version {d.get('version')!r}; expected 1")
        try:
            schema = cls(
                target=str(d["target"]),
                task=check_choice("task", d["task"], ("binary", "multiclass", "regression")),
                columns=[str(c) for c in d["columns"]],
                categories={str(k): [str(c) for c in v] for k, v in d["categories"].items()},
                class_names=[str(c) for c in d["class_names"]],
            )
        except (KeyError, TypeError, AttributeError) as err:
            raise DataError(f"malformed CSV schema: {err!r}") from err
        unknown = set(schema.categories) - set(schema.columns)
        if unknown:
            raise DataError(f"malformed CSV schema: categories for unknown columns {unknown}")
        return schema


def _infer_target(table: RawTable, target: str, task: str | None) -> tuple[str, list[str]]:
    """Decide the task (when not given) and the class names, sorted, of the target column."""
    cells = table.column(target)
    numbers = [_number(c) for c in cells]
    numeric = all(v is not None for v in numbers)
    if task is None:
        distinct = set(numbers)
        few_integers = numeric and len(distinct) <= 20 and all(v.is_integer() for v in distinct)  # type: ignore[union-attr]
        task = "classification" if not numeric or few_integers else "regression"
    if task == "regression":
        if not numeric:
            i = next(k for k, v in enumerate(numbers) if v is None)
            raise DataError(
                f"line {table.lines[i]}, column {target!r}: regression needs numeric targets, "
                f"got {cells[i]!r}"
            )
        return "regression", []
    if numeric:
        # Numeric labels sort by value (2 before 10) and "1" / "1.0" are the same class, named
        # after the first spelling seen.
        first: dict[float, str] = {}
        for cell, value in zip(cells, numbers):
            first.setdefault(float(value), cell)  # type: ignore[arg-type]
        class_names = [first[v] for v in sorted(first)]
    else:
        class_names = sorted(set(cells))
    k = len(class_names)
    if k < 2:
        raise DataError(
            f"target column {target!r} has a single class {class_names[0]!r}; "
            "classification needs at least 2"
        )
    if task == "binary" and k != 2:
        raise DataError(f"task 'binary' needs exactly 2 classes in {target!r}, found {k}")
    if task == "classification":
        task = "binary" if k == 2 else "multiclass"
    return task, class_names
