"""The playground's points: generated toy data or an uploaded CSV, split, edited by clicks.

The page's data controls map onto the workflow's NumPy functions: :func:`make_toy` draws the
points, :func:`make_imbalanced` thins the minority classes, :func:`train_val_test_split` splits
them (stratified for classes), :func:`load_csv_text` reads an upload, and a scaler fitted on the
training part normalises the network's inputs. What this module adds is the playground's own
state: which part (train / validation / test) each point belongs to, points added and removed
by clicks, and the input features (x1, x1², sin ...) computed from the two coordinates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nerve.workflow import (
    ArrayData,
    DataError,
    load_csv_text,
    make_imbalanced,
    make_scaler,
    make_toy,
    train_val_test_split,
)

from .protocol import LIMITS, ProtocolError

__all__ = ["TRAIN", "VAL", "TEST", "PointSet", "realize", "parse_csv", "feature_matrix"]

TRAIN, VAL, TEST = 0, 1, 2
# The toy sets live in [-1, 1]^2; noise pushes a few points out, so the view is a bit larger.
TOY_DOMAIN = (-1.3, 1.3, -1.3, 1.3)
# sin(pi*x) rather than sin(x): on [-1, 1] plain sin(x) is almost the line x, while sin(pi*x)
# shows about one period, as sin(x) does on the TensorFlow Playground's [-6, 6].
FEATURE_FUNCTIONS = {
    "x1": lambda X: X[:, 0],
    "x2": lambda X: X[:, 1],
    "x1sq": lambda X: X[:, 0] ** 2,
    "x2sq": lambda X: X[:, 1] ** 2,
    "x1x2": lambda X: X[:, 0] * X[:, 1],
    "sin_x1": lambda X: np.sin(np.pi * X[:, 0]),
    "sin_x2": lambda X: np.sin(np.pi * X[:, 1]),
}
FEATURE_LABELS = {
    "x1": "x1",
    "x2": "x2",
    "x1sq": "x1²",
    "x2sq": "x2²",
    "x1x2": "x1·x2",
    "sin_x1": "sin(πx1)",
    "sin_x2": "sin(πx2)",
}
_REMOVE_RADIUS = 0.06  # fraction of the view's width within which a click removes a point


@dataclass
class PointSet:
    """The points of a session: coordinates, targets, part of each point and what they mean."""

    X: np.ndarray  # (n, 2) float64 coordinates
    y: np.ndarray  # (n,) int64 labels or float64 regression targets
    part: np.ndarray  # (n,) int8: TRAIN, VAL or TEST
    task: str  # "binary", "multiclass" or "regression"
    class_names: list[str]
    domain: tuple[float, float, float, float]  # x1 min, x1 max, x2 min, x2 max
    name: str
    # Previews of the data sets at the current settings: name -> {"x": ..., "y": ...}.
    thumbnails: dict[str, Any] = field(default_factory=dict)

    @property
    def n_classes(self) -> int:
        """Number of classes (0 for regression)."""
        return len(self.class_names)

    def indices(self, part: int) -> np.ndarray:
        """Row numbers of the points in ``part``."""
        return np.flatnonzero(self.part == part)

    def to_message(self) -> dict[str, Any]:
        """The points as the page draws them."""
        return {
            "type": "data",
            "name": self.name,
            "task": self.task,
            "class_names": self.class_names,
            "domain": list(self.domain),
            "x": np.round(self.X, 4).tolist(),
            "y": np.round(self.y, 4).tolist() if self.task == "regression" else self.y.tolist(),
            "part": self.part.tolist(),
            "counts": {
                "train": int((self.part == TRAIN).sum()),
                "val": int((self.part == VAL).sum()),
                "test": int((self.part == TEST).sum()),
            },
            "thumbnails": self.thumbnails,
        }

    def add_point(self, x: float, y: float, label: float) -> None:
        """Add a training point with a class label (or a regression target)."""
        if len(self.y) >= LIMITS["points"]:
            raise ProtocolError(f"the data set is full ({LIMITS['points']} points)")
        if self.task != "regression":
            if not float(label).is_integer() or not 0 <= label < self.n_classes:
                raise ProtocolError(
                    f"add_point: label must be a class 0..{self.n_classes - 1}, got {label:g}"
                )
            target = np.array([int(label)], dtype=np.int64)
        else:
            target = np.array([float(label)])
        self.X = np.concatenate([self.X, [[x, y]]])
        self.y = np.concatenate([self.y, target])
        self.part = np.concatenate([self.part, np.array([TRAIN], dtype=np.int8)])

    def remove_point(self, x: float, y: float) -> bool:
        """Remove the point nearest to ``(x, y)`` if it is close; return whether one was."""
        if len(self.y) == 0:
            return False
        width = max(self.domain[1] - self.domain[0], self.domain[3] - self.domain[2])
        dist = np.hypot(self.X[:, 0] - x, self.X[:, 1] - y)
        i = int(np.argmin(dist))
        if dist[i] > _REMOVE_RADIUS * width:
            return False
        if self.part[i] == TRAIN and (self.part == TRAIN).sum() <= 2:
            raise ProtocolError("the training set needs at least 2 points")
        keep = np.arange(len(self.y)) != i
        self.X, self.y, self.part = self.X[keep], self.y[keep], self.part[keep]
        return True


def toy_data(settings: dict[str, Any]) -> ArrayData:
    """The generated data set the settings describe (before splitting)."""
    name = settings["dataset"]
    n_classes = settings["classes"] or None
    data = make_toy(
        name,
        n_samples=settings["n_points"],
        noise=settings["noise"] / 100,
        seed=settings["seed"],
        n_classes=n_classes if name in ("spiral", "blobs") else None,
        margin=0.1 if name == "xor" else 0.0,  # the Playground's XOR has a gap between quadrants
    )
    return data


THUMBNAIL_POINTS = 200  # points per data-set preview: enough to see its shape


def thumbnails(settings: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """A small sample of each named data set at the current noise, classes and seed: the
    previews the page draws on the data-set buttons are the data, not a drawing of it."""
    previews = {}
    for name in names:
        data = toy_data({**settings, "dataset": name, "n_points": THUMBNAIL_POINTS})
        # bytes (a binary frame, wire.py): coordinates and targets as int8 hundredths of the
        # toy sets' [-1.27, 1.27] (clipped: a preview), classes as uint8
        xy = np.clip(np.round(data.X * 100), -127, 127).astype(np.int8)
        if data.task == "regression":
            y = np.clip(np.round(data.y * 100), -127, 127).astype(np.int8)
        else:
            y = data.y.astype(np.uint8)
        previews[name] = {"xy": xy.tobytes(), "y": y.tobytes(), "task": data.task}
    return previews


def realize(settings: dict[str, Any], csv_data: ArrayData | None = None) -> PointSet:
    """Build the points from the settings: generate (or take the CSV), thin, split."""
    if settings["dataset"] == "csv":
        if csv_data is None:
            raise ProtocolError("no CSV was uploaded yet")
        data, domain = csv_data, _domain_of(csv_data.X)
    else:
        data, domain = toy_data(settings), TOY_DOMAIN
    if data.task != "regression" and settings["imbalance"] < 100:
        data = make_imbalanced(data, settings["imbalance"] / 100, seed=settings["seed"])
    part = split_parts(data, settings)
    return PointSet(
        X=data.X.astype(np.float64),
        y=data.y.astype(np.float64) if data.task == "regression" else data.y.astype(np.int64),
        part=part,
        task=data.task,
        class_names=list(data.class_names),
        domain=domain,
        name=data.name,
    )


def split_parts(data: ArrayData, settings: dict[str, Any]) -> np.ndarray:
    """The part of each point: ``train_ratio`` % train (of which ``val_ratio`` % validation)."""
    train_share = settings["train_ratio"] / 100
    test = 1.0 - train_share
    val = train_share * settings["val_ratio"] / 100
    stratify = data.task != "regression"
    try:
        train, val_idx, test_idx = train_val_test_split(
            data.y, val=val, test=test, stratify=stratify, seed=settings["seed"]
        )
    except DataError as err:
        raise ProtocolError(f"cannot split the data: {err}") from None
    part = np.full(len(data.y), TRAIN, dtype=np.int8)
    part[val_idx], part[test_idx] = VAL, TEST
    if train.size < 2:
        raise ProtocolError("the training part needs at least 2 points; raise the train ratio")
    return part


def _domain_of(X: np.ndarray) -> tuple[float, float, float, float]:
    """A view of the data with a 10 % margin (an uploaded CSV may have any scale)."""
    lo, hi = X.min(axis=0).astype(np.float64), X.max(axis=0).astype(np.float64)
    pad = np.maximum((hi - lo) * 0.1, 1e-3)
    lo, hi = lo - pad, hi + pad
    return (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]))


def parse_csv(text: str, name: str = "upload.csv") -> ArrayData:
    """Read an uploaded CSV: two numeric feature columns, then the label (or target) column.

    The header is optional: a first row of three numbers is data, and the columns are then
    called x1, x2 and label.

    Errors name the line and column, as :func:`load_csv_text` reports them.

    Example:
        >>> parse_csv("a,b,label\\n0.1,0.2,0\\n0.3,-0.4,1\\n").X.shape
        (2, 2)
    """
    text = text.lstrip("\ufeff")
    header = text.strip().splitlines()[0] if text.strip() else ""
    columns = [c.strip() for c in header.split(",")] if header else []
    if len(columns) == 3 and all(_is_number(c) for c in columns):
        # No header: the first row is data (a header is a first row that is not all numbers).
        text = "x1,x2,label\n" + text.lstrip()
        columns = ["x1", "x2", "label"]
    if len(columns) != 3:
        raise ProtocolError(
            "the CSV needs a header with 3 columns: two numeric features and the label, "
            f"e.g. 'x1,x2,label'; got {len(columns)} column(s)"
        )
    try:
        data = load_csv_text(
            text, target=columns[2], max_bytes=LIMITS["upload_bytes"], name=_stem(name)
        )
    except DataError as err:
        raise ProtocolError(f"CSV: {err}") from None
    if data.n_features != 2:
        raise ProtocolError(
            "CSV: the two feature columns must be numeric (text columns would be one-hot "
            f"encoded into {data.n_features} features)"
        )
    if data.n_samples > LIMITS["upload_rows"]:
        raise ProtocolError(
            f"CSV: {data.n_samples} rows; the playground takes at most {LIMITS['upload_rows']}"
        )
    if data.n_classes > LIMITS["classes"]:
        raise ProtocolError(
            f"CSV: {data.n_classes} classes; the playground takes at most {LIMITS['classes']}"
        )
    return data


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _stem(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return (base[:-4] if base.lower().endswith(".csv") else base)[:40] or "csv"


def feature_matrix(X: np.ndarray, features: list[str]) -> np.ndarray:
    """The network's raw inputs: one column per chosen feature of the coordinates ``X``."""
    X = np.asarray(X, dtype=np.float64)
    return np.stack([FEATURE_FUNCTIONS[f](X) for f in features], axis=1).astype(np.float32)


def fit_scaler(points: PointSet, features: list[str], normalize: bool) -> Any:
    """A scaler fitted on the training part's features (the lecture's rule), or the identity."""
    scaler = make_scaler("standard" if normalize else None)
    return scaler.fit(feature_matrix(points.X[points.part == TRAIN], features))
