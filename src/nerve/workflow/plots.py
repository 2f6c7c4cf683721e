"""PNG plots of a training run: learning curves, decision boundaries, confusion matrices.

Matplotlib is used through ``matplotlib.figure.Figure`` and the Agg canvas directly, never
through ``pyplot``: pyplot keeps global state (the current figure, the selected backend) that is
not thread-safe and would fight with a user's own interactive session. Building figures this way
works headless, in threads and in a web server, and leaves the user's backend alone.

Each function writes its PNG atomically -- to a temporary file in the same directory, then
``os.replace`` -- so a viewer polling the run directory never sees a half-written image, and
returns the path it wrote. matplotlib is imported lazily, so nerve imports without it.
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .errors import DataError, as_labels, check_choice, check_int

__all__ = ["plot_history", "plot_decision_boundary", "plot_confusion_matrix"]

PathLike = str | os.PathLike[str]
# Colours of classes 0, 1, ...: the Playground's orange and blue first, then tab10.
_PALETTE = [
    "#f59322",
    "#0877bd",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
]


def _figure(width: float, height: float) -> Any:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as err:
        raise DataError(
            "plots need matplotlib; install it with: pip install nerve[workflow]"
        ) from err
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)  # attaches itself as fig.canvas
    return fig


def _save(fig: Any, path: PathLike) -> Path:
    """Write ``fig`` as a PNG atomically, creating parent directories."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fig.savefig(fh, format="png")
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; a plot is not a secret
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return target


def _text(s: Any) -> str:
    # A '$' in a class or column name would switch matplotlib into math mode and can fail.
    return str(s).replace("$", r"\$")


def plot_history(
    history: dict[str, Sequence[float]], path: PathLike, title: str | None = None
) -> Path:
    """Plot learning curves: one panel per metric, training vs validation.

    Keys ``train_<m>`` and ``val_<m>`` share the panel ``<m>``; the loss panel comes first;
    any other key (``lr``) gets a panel of its own. Lists may differ in length.

    Example:
        >>> import tempfile, os
        >>> out = plot_history({"train_loss": [1.0, 0.5], "val_loss": [1.1, 0.7]},
        ...                    os.path.join(tempfile.mkdtemp(), "history.png"))
        >>> out.name
        'history.png'
    """
    if not isinstance(history, dict):
        raise DataError(f"history must be a dict of metric lists, got {type(history).__name__}")
    panels: dict[str, list[tuple[str, np.ndarray]]] = {}
    for key, values in history.items():
        try:
            arr = np.asarray(values)
        except ValueError:  # ragged nested lists
            arr = np.asarray(None)
        if arr.ndim != 1 or arr.dtype.kind not in "biuf":
            raise DataError(f"history[{key!r}] must be a list of numbers, got {values!r:.60}")
        if arr.size == 0:
            continue
        family, label = _split_key(str(key))
        curve = arr.astype(np.float64)
        curve[~np.isfinite(curve)] = np.nan  # an inf would wreck the axis limits; nan is a gap
        panels.setdefault(family, []).append((label, curve))
    if not panels:
        raise DataError("history is empty; expected lists such as history['train_loss']")
    order = sorted(panels, key=lambda f: f != "loss")  # stable: loss first, others as given

    ncols = min(len(order), 3)
    nrows = math.ceil(len(order) / ncols)
    fig = _figure(4.2 * ncols, 3.2 * nrows)
    from matplotlib.ticker import MaxNLocator  # lazy, after _figure() checked it is installed

    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, family in zip(axes, order):
        for label, curve in panels[family]:
            epochs = np.arange(1, curve.size + 1)
            ax.plot(
                epochs,
                curve,
                label=_text(label),
                marker="o" if curve.size <= 30 else None,
                markersize=3,
            )
        ax.set_title(_text(family))
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # no "epoch 2.5"
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    for ax in axes[len(order) :]:
        ax.set_visible(False)
    if title:
        fig.suptitle(_text(title))
    return _save(fig, path)


def _split_key(key: str) -> tuple[str, str]:
    """``"val_accuracy"`` -> ``("accuracy", "validation")``; unprefixed keys are their own."""
    if key.startswith("train_"):
        return key[len("train_") :], "train"
    if key.startswith("val_"):
        return key[len("val_") :], "validation"
    return key, key


def _grid(X: np.ndarray, resolution: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[float]]:
    """A ``resolution x resolution`` grid over the data plus a 10% margin: the flat float32 grid
    points, the two meshgrid arrays and the imshow extent."""
    lo, hi = X.min(axis=0), X.max(axis=0)
    span = hi - lo
    margin = np.where(span > 0, 0.1 * span, 0.5)
    lo, hi = lo - margin, hi + margin
    gx, gy = np.meshgrid(
        np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
    )
    points = np.column_stack([gx.ravel(), gy.ravel()]).astype(np.float32)
    return points, gx, gy, [float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])]


def plot_decision_boundary(
    predict: Callable[[np.ndarray], Any],
    X: Any,
    y: Any,
    path: PathLike,
    task: str,
    resolution: int = 200,
    class_names: list[str] | None = None,
    title: str | None = None,
) -> Path:
    """Colour the input plane by the model's output and draw the data points on top.

    ``predict`` is called once, on a float32 ``(resolution**2, 2)`` grid. It returns class
    probabilities ``(m, k)``, the positive-class probability ``(m,)`` for binary tasks, or
    values ``(m,)`` for regression (multiclass ``(m,)`` integer labels are accepted too).
    Classification colours each point of the plane by its predicted class, paler where the
    model is unsure, with the 0.5 contour drawn for binary tasks.

    Example:
        >>> import tempfile, os
        >>> X = np.array([[0.9, -0.2], [0.75, 0.6]])
        >>> out = plot_decision_boundary(lambda g: 1 / (1 + np.exp(-5 * g[:, 1])), X, [0, 1],
        ...                              os.path.join(tempfile.mkdtemp(), "b.png"), "binary", 20)
    """
    check_choice("task", task, ("binary", "multiclass", "regression"))
    X, y = _plane_data(X, y)
    resolution = check_int("resolution", resolution, minimum=2, maximum=1000)
    points, gx, gy, extent = _grid(X, resolution)
    out = _predict_grid(predict, points)

    fig = _figure(5.6, 4.8)
    ax = fig.subplots()
    img: dict[str, Any] = {"origin": "lower", "extent": extent, "aspect": "auto"}
    if task == "regression":
        _draw_regression(fig, ax, X, y, out, gx.shape, img)
    else:
        _draw_classes(ax, X, y, out, task, class_names, (gx, gy), img)
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    default = "model output" if task == "regression" else "decision boundary"
    ax.set_title(_text(title or default))
    return _save(fig, path)


# The points drawn over the plane: white-edged, above the image and the contour.
_DOTS: dict[str, Any] = {"s": 22, "edgecolors": "white", "linewidths": 0.6, "zorder": 3}


def _plane_data(X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """X as finite float64 ``(n, 2)`` and y as ``(n,)`` numbers, or a DataError saying why."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2 or X.shape[0] == 0:
        raise DataError(
            f"a decision boundary needs X with shape (n, 2) -- two input features -- "
            f"got shape {X.shape}"
        )
    if not np.all(np.isfinite(X)):
        raise DataError("X contains NaN or infinite values; cannot lay a grid over it")
    y = np.asarray(y)
    if y.shape != (X.shape[0],) or y.dtype.kind not in "biuf":
        raise DataError(f"y must be numeric with shape ({X.shape[0]},) to match X, got {y.shape}")
    return X, y


def _predict_grid(predict: Callable[[np.ndarray], Any], points: np.ndarray) -> np.ndarray:
    """The model's finite outputs on the grid, ``(m,)`` or ``(m, k)`` (a ``(m, 1)`` column
    becomes ``(m,)``)."""
    m = points.shape[0]
    out = np.asarray(predict(points), dtype=np.float64)
    if out.ndim == 2 and out.shape[1] == 1:
        out = out[:, 0]
    if out.ndim not in (1, 2) or out.shape[0] != m:
        raise DataError(f"predict returned shape {out.shape}; expected ({m},) or ({m}, k)")
    if not np.all(np.isfinite(out)):
        raise DataError("predict returned NaN or infinite values on the plotting grid")
    return out


def _draw_regression(
    fig: Any,
    ax: Any,
    X: np.ndarray,
    y: np.ndarray,
    out: np.ndarray,
    grid_shape: tuple[int, ...],
    img: dict[str, Any],
) -> None:
    """The predicted surface, and the points coloured by their targets on the same scale."""
    if out.ndim != 1:
        m = out.shape[0]
        raise DataError(f"a regression predict must return ({m},) values, got {out.shape}")
    field = out.reshape(grid_shape)
    values = y.astype(np.float64)
    # One colour scale for the surface and the points, so a point matching its background
    # means a good fit.
    scale = {
        "cmap": "coolwarm",
        "vmin": min(field.min(), values.min()),
        "vmax": max(field.max(), values.max()),
    }
    im = ax.imshow(field, **scale, **img)
    ax.scatter(X[:, 0], X[:, 1], c=values, **scale, **_DOTS)
    fig.colorbar(im, ax=ax, label="prediction")


def _draw_classes(
    ax: Any,
    X: np.ndarray,
    y: np.ndarray,
    out: np.ndarray,
    task: str,
    class_names: list[str] | None,
    grid: tuple[np.ndarray, np.ndarray],
    img: dict[str, Any],
) -> None:
    """The plane by predicted class (paler where unsure), the 0.5 contour for a binary task,
    and the points in their class colours with a legend."""
    labels = as_labels("y", y)
    k = _n_classes(task, out, labels, class_names)
    names = list(class_names) if class_names else [str(c) for c in range(k)]
    cls, conf = _classes_and_confidence(task, out, k)
    gx, gy = grid
    ax.imshow(_class_image(cls, conf).reshape(*gx.shape, 3), **img)
    if task == "binary":
        prob = out if out.ndim == 1 else out[:, 1]
        if prob.min() < 0.5 < prob.max():  # else contour() warns about an empty level
            ax.contour(gx, gy, prob.reshape(gx.shape), levels=[0.5], colors="black", linewidths=1.0)
    for c in range(k):
        sel = labels == c
        if sel.any():
            color = _PALETTE[c % len(_PALETTE)]
            ax.scatter(X[sel, 0], X[sel, 1], color=color, label=_text(names[c]), **_DOTS)
    ax.legend(fontsize="small", loc="best", framealpha=0.8)


def _n_classes(task: str, out: np.ndarray, labels: np.ndarray, names: list[str] | None) -> int:
    """Number of classes implied by the arguments; raises a DataError when they disagree."""
    if names:
        k = len(names)
    elif task == "binary":
        k = 2
    elif out.ndim == 2:
        k = out.shape[1]
    else:
        k = int(max(labels.max(), out.max())) + 1
    if task == "binary" and k != 2:
        raise DataError(f"a binary task has 2 classes, got {k} class names")
    if out.ndim == 2 and out.shape[1] != k:
        raise DataError(f"predict returned {out.shape[1]} class columns, expected {k}")
    if out.ndim == 1 and task == "binary" and (out.min() < 0 or out.max() > 1):
        raise DataError("a binary predict must return probabilities in [0, 1], not logits")
    if (
        out.ndim == 1
        and task == "multiclass"
        and (np.any(out != np.round(out)) or out.min() < 0 or out.max() >= k)
    ):
        raise DataError(f"a multiclass predict must return ({out.size}, {k}) probabilities")
    if labels.size and (labels.min() < 0 or labels.max() >= k):
        raise DataError(f"y must hold class labels 0..{k - 1}")
    return max(k, 2)


def _classes_and_confidence(task: str, out: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Predicted class and a confidence in [0, 1] (0 = chance level) for each grid point."""
    if out.ndim == 1 and task == "binary":
        return (out >= 0.5).astype(np.int64), np.abs(out - 0.5) * 2.0
    if out.ndim == 1:
        return out.astype(np.int64), np.ones_like(out)
    top = out.max(axis=1)
    return out.argmax(axis=1), np.clip((top - 1.0 / k) / (1.0 - 1.0 / k), 0.0, 1.0)


def _class_image(cls: np.ndarray, conf: np.ndarray) -> np.ndarray:
    """RGB per point: the class colour blended with white, stronger where more confident."""
    palette = np.array(
        [[int(h[i : i + 2], 16) / 255.0 for i in (1, 3, 5)] for h in _PALETTE], dtype=np.float64
    )
    colour = palette[cls % len(_PALETTE)]
    alpha = (0.08 + 0.42 * conf)[:, None]
    return (1.0 - alpha) + alpha * colour


def plot_confusion_matrix(
    cm: Any, class_names: list[str], path: PathLike, title: str | None = None
) -> Path:
    """Draw a confusion matrix (rows = true class, columns = predicted) with counts in cells.

    Example:
        >>> import tempfile, os
        >>> out = plot_confusion_matrix(np.array([[5, 1], [2, 7]]), ["no", "yes"],
        ...                             os.path.join(tempfile.mkdtemp(), "cm.png"))
    """
    counts = np.asarray(cm)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1] or counts.shape[0] == 0:
        raise DataError(f"a confusion matrix must be square (k, k), got shape {counts.shape}")
    if counts.dtype.kind not in "biuf" or np.any(counts < 0) or not np.all(np.isfinite(counts)):
        raise DataError("a confusion matrix must hold non-negative counts")
    k = counts.shape[0]
    if len(class_names) != k:
        raise DataError(f"got {len(class_names)} class names for a {k}x{k} confusion matrix")
    size = min(max(3.8, 0.55 * k + 2.2), 14.0)
    fig = _figure(size, size * 0.9)
    ax = fig.subplots()
    ax.imshow(counts, cmap="Blues", vmin=0, vmax=max(float(counts.max()), 1.0))
    names = [_text(c) for c in class_names]
    ax.set_xticks(range(k), names, rotation=45 if max(map(len, names)) > 3 else 0, ha="right")
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    if k <= 30:  # beyond that the numbers would be unreadable anyway
        threshold = counts.max() / 2.0
        fontsize = 10 if k <= 10 else 7
        for i in range(k):
            for j in range(k):
                value = counts[i, j]
                text = f"{int(value)}" if float(value).is_integer() else f"{value:.2f}"
                colour = "white" if value > threshold else "black"
                ax.text(j, i, text, ha="center", va="center", color=colour, fontsize=fontsize)
    ax.set_title(_text(title or "confusion matrix"))
    return _save(fig, path)
