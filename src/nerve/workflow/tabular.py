"""Real tabular data: scikit-learn's bundled data sets and user CSV files.

``load_sklearn`` reads the small data sets that ship *inside* scikit-learn (no download).
``load_csv`` / ``load_csv_text`` read a user's CSV (from disk, or as text uploaded to the browser
playground) following the rules of :mod:`nerve.workflow.csvschema`; both share one
implementation, so a file and its uploaded text always give the same arrays.

The fitted :class:`~nerve.workflow.csvschema.CsvSchema` is needed again at predict time:
``return_schema=True`` returns ``(data, schema)`` so that the schema can be saved beside the
model; passing a saved ``schema=`` re-uses the training encoding (for a labelled test file); and
``load_csv_features`` reads a CSV *without* the target column for ``nerve predict``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal, overload

import numpy as np

from .csvschema import CsvSchema, RawTable, read_table
from .data import ArrayData
from .errors import DataError, check_int

__all__ = [
    "SKLEARN_DATASETS",
    "load_sklearn",
    "load_csv",
    "load_csv_text",
    "load_csv_features",
    "load_csv_features_text",
    "read_text_file",
]

SKLEARN_DATASETS: dict[str, str] = {
    "digits": "8x8 images of handwritten digits, 1797 samples x 64 pixels, 10 classes",
    "breast_cancer": "Wisconsin breast cancer, 569 samples x 30 features, binary",
    "iris": "iris flowers, 150 samples x 4 features, 3 classes",
    "wine": "wine cultivars, 178 samples x 13 features, 3 classes",
    "diabetes": "diabetes progression, 442 samples x 10 features, regression",
}

_INSTALL_HINT = "scikit-learn is needed for this; install it with: pip install nerve[workflow]"


def load_sklearn(name: str) -> ArrayData:
    """Load one of scikit-learn's bundled data sets (see ``SKLEARN_DATASETS``).

    Example:
        >>> data = load_sklearn("iris")
        >>> data.X.shape, data.task, data.class_names
        ((150, 4), 'multiclass', ['setosa', 'versicolor', 'virginica'])
    """
    if name not in SKLEARN_DATASETS:
        raise DataError(
            f"unknown scikit-learn data set {name!r}; valid names: {', '.join(SKLEARN_DATASETS)}"
        )
    try:
        # Imported here so that nerve itself does not need scikit-learn.
        from sklearn import datasets
    except ImportError as err:
        raise DataError(_INSTALL_HINT) from err
    bunch: Any = getattr(datasets, f"load_{name}")()
    feature_names = [str(f) for f in bunch.feature_names]
    if name == "diabetes":
        return ArrayData(bunch.data, bunch.target, "regression", name, feature_names, [])
    class_names = [str(c) for c in bunch.target_names]
    task = "binary" if len(class_names) == 2 else "multiclass"
    return ArrayData(bunch.data, bunch.target, task, name, feature_names, class_names)


def read_text_file(path: str | os.PathLike[str], max_bytes: int | None = None) -> str:
    """Read a UTF-8 text file, refusing files larger than ``max_bytes``.

    Example:
        >>> import tempfile
        >>> with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as fh:
        ...     _ = fh.write("a,b\\n1,2\\n")
        >>> read_text_file(fh.name, max_bytes=100)
        'a,b\\n1,2\\n'
    """
    if max_bytes is not None:
        max_bytes = check_int("max_bytes", max_bytes, minimum=1)
    p = Path(path)
    if not p.exists():
        raise DataError(f"CSV file not found: {str(p)!r}")
    if not p.is_file():
        raise DataError(f"{str(p)!r} is not a regular file; expected a CSV file")
    with p.open("rb") as fh:
        # Read one byte past the limit instead of trusting stat(): the file may be growing.
        raw = fh.read() if max_bytes is None else fh.read(max_bytes + 1)
    if max_bytes is not None and len(raw) > max_bytes:
        raise DataError(f"{p.name} is larger than the limit of {max_bytes} bytes")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise DataError(
            f"{p.name} is not UTF-8 text (undecodable byte at offset {err.start}); "
            "save it as UTF-8 CSV"
        ) from err


@overload
def load_csv(
    path: str | os.PathLike[str],
    target: str | None = ...,
    task: str | None = ...,
    max_bytes: int | None = ...,
    schema: CsvSchema | None = ...,
    *,
    return_schema: Literal[False] = ...,
) -> ArrayData: ...


@overload
def load_csv(
    path: str | os.PathLike[str],
    target: str | None = ...,
    task: str | None = ...,
    max_bytes: int | None = ...,
    schema: CsvSchema | None = ...,
    *,
    return_schema: Literal[True],
) -> tuple[ArrayData, CsvSchema]: ...


def load_csv(
    path: str | os.PathLike[str],
    target: str | None = None,
    task: str | None = None,
    max_bytes: int | None = None,
    schema: CsvSchema | None = None,
    *,
    return_schema: bool = False,
) -> ArrayData | tuple[ArrayData, CsvSchema]:
    """Read a CSV file with a header row into :class:`ArrayData`.

    Args:
        path: the CSV file (UTF-8, comma-separated, header row first).
        target: name of the target column (may be omitted when ``schema`` is given).
        task: ``"binary"``, ``"multiclass"`` or ``"regression"``; inferred when None: text
            targets, or whole numbers with at most 20 distinct values, mean classification.
        max_bytes: refuse larger files (the playground and CLI set a limit).
        schema: a training schema to encode this file exactly like the training file.
        return_schema: if True return ``(data, schema)`` so the schema can be saved.

    Returns:
        ``ArrayData``, or ``(ArrayData, CsvSchema)`` with ``return_schema=True``.

    Example:
        >>> import tempfile
        >>> with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as fh:
        ...     _ = fh.write("x,color,label\\n1.5,red,yes\\n2,blue,no\\n")
        >>> data, schema = load_csv(fh.name, "label", return_schema=True)
        >>> data.feature_names, data.y.tolist(), data.class_names
        (['x', 'color=blue', 'color=red'], [1, 0], ['no', 'yes'])
    """
    text = read_text_file(path, max_bytes)
    name = Path(path).stem or "csv"
    return _load(text, target, task, schema, return_schema, name)


@overload
def load_csv_text(
    text: str,
    target: str | None = ...,
    task: str | None = ...,
    schema: CsvSchema | None = ...,
    *,
    return_schema: Literal[False] = ...,
    max_bytes: int | None = ...,
    name: str = ...,
) -> ArrayData: ...


@overload
def load_csv_text(
    text: str,
    target: str | None = ...,
    task: str | None = ...,
    schema: CsvSchema | None = ...,
    *,
    return_schema: Literal[True],
    max_bytes: int | None = ...,
    name: str = ...,
) -> tuple[ArrayData, CsvSchema]: ...


def load_csv_text(
    text: str,
    target: str | None = None,
    task: str | None = None,
    schema: CsvSchema | None = None,
    *,
    return_schema: bool = False,
    max_bytes: int | None = None,
    name: str = "csv",
) -> ArrayData | tuple[ArrayData, CsvSchema]:
    """Like :func:`load_csv`, for CSV content already in memory (e.g. a browser upload).

    Example:
        >>> data = load_csv_text("x1,x2,y\\n0.9,-0.2,0\\n0.75,0.6,1\\n", target="y")
        >>> data.task, data.X.shape
        ('binary', (2, 2))
    """
    if not isinstance(text, str):
        raise DataError(f"CSV text must be a str, got {type(text).__name__}")
    if max_bytes is not None:
        max_bytes = check_int("max_bytes", max_bytes, minimum=1)
        if len(text.encode("utf-8")) > max_bytes:
            raise DataError(f"the CSV text is larger than the limit of {max_bytes} bytes")
    return _load(text, target, task, schema, return_schema, name)


def _load(
    text: str,
    target: str | None,
    task: str | None,
    schema: CsvSchema | None,
    return_schema: bool,
    name: str,
) -> ArrayData | tuple[ArrayData, CsvSchema]:
    """The one implementation behind ``load_csv`` and ``load_csv_text``."""
    table = read_table(text)
    if schema is None:
        if not target:
            raise DataError("name the target column (the one to predict), e.g. target='label'")
        schema = CsvSchema.fit(table, target, task)
    else:
        if target and target != schema.target:
            raise DataError(f"target {target!r} differs from the schema's target {schema.target!r}")
        if task and task != schema.task:
            raise DataError(f"task {task!r} differs from the schema's task {schema.task!r}")
        _require_target(table, schema)
    data = _to_array_data(table, schema, name)
    return (data, schema) if return_schema else data


def _require_target(table: RawTable, schema: CsvSchema) -> None:
    if not table.has(schema.target):
        raise DataError(
            f"the CSV has no target column {schema.target!r}; to predict on unlabelled rows "
            "use load_csv_features(path, schema)"
        )


def _to_array_data(table: RawTable, schema: CsvSchema, name: str) -> ArrayData:
    X = schema.transform_table(table)
    y = schema.encode_target(table)
    return ArrayData(X, y, schema.task, name, schema.feature_names, list(schema.class_names))


def load_csv_features(
    path: str | os.PathLike[str], schema: CsvSchema, max_bytes: int | None = None
) -> np.ndarray:
    """Read the feature columns of a CSV (target column optional) using a training schema.

    Returns a float32 ``(n, d)`` matrix with the training feature order; row ``i`` is the
    ``i``-th non-blank data row of the file. Missing columns and unseen categories raise a
    DataError naming them.

    Example:
        >>> from nerve.workflow.csvschema import read_table
        >>> schema = CsvSchema.fit(read_table("a,c,y\\n1,u,0\\n2,v,1\\n"), "y")
        >>> load_csv_features_text("c,a\\nv,3\\n", schema).tolist()
        [[3.0, 0.0, 1.0]]
    """
    return load_csv_features_text(read_text_file(path, max_bytes), schema)


def load_csv_features_text(text: str, schema: CsvSchema) -> np.ndarray:
    """Like :func:`load_csv_features`, for CSV content already in memory.

    Example:
        >>> from nerve.workflow.csvschema import CsvSchema
        >>> from nerve.workflow.tabular import load_csv_features_text, read_table
        >>> schema = CsvSchema.fit(read_table("size,colour,y\\n1,red,0\\n2,blue,1\\n"), "y")
        >>> load_csv_features_text("colour,size\\nblue,3\\n", schema).tolist()
        [[3.0, 1.0, 0.0]]
    """
    if not isinstance(schema, CsvSchema):
        raise DataError(f"schema must be a CsvSchema, got {type(schema).__name__}")
    return schema.transform_table(read_table(text))
