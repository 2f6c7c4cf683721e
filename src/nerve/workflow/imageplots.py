"""PNG plots for image classifiers: test images with their predicted and true labels, the most
confidently wrong predictions, the first conv layer's filters and the feature maps of every
conv layer for one example. (The confusion matrix is :func:`~nerve.workflow.plots.
plot_confusion_matrix`.)

Figures are built and written as in :mod:`~nerve.workflow.plots`: matplotlib's ``Figure`` on
the Agg canvas (no pyplot state), each PNG written atomically. Images are passed as
``(n, C, H, W)`` arrays of the *raw* pixels in [0, 1], so a learner sees the pictures and not
their normalised values.

Example:
    >>> imgs = np.random.default_rng(0).random((4, 1, 8, 8))
    >>> plot_image_grid(imgs, [0, 1, 1, 0], [0, 1, 0, 0], ["a", "b"], "/tmp/g.png").name
    'g.png'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

import nerve
from nerve import nn

from .plots import _figure, _save

__all__ = [
    "plot_image_grid",
    "plot_confident_mistakes",
    "plot_filters",
    "plot_feature_maps",
]

_RIGHT, _WRONG = "#2ca02c", "#d62728"


def _show(ax: Any, img: np.ndarray, **kw: Any) -> None:
    """Draw a ``(C, H, W)`` image: one channel in gray, three as RGB."""
    img = np.asarray(img, dtype=np.float64)
    if img.shape[0] == 3:
        ax.imshow(np.clip(img.transpose(1, 2, 0), 0.0, 1.0), **kw)
    else:
        ax.imshow(img[0], cmap="gray", **kw)
    ax.set_xticks([])
    ax.set_yticks([])


def _grid_shape(n: int, max_cols: int = 8) -> tuple[int, int]:
    cols = min(max_cols, max(1, math.ceil(math.sqrt(n))))
    return max(1, math.ceil(n / cols)), cols


def plot_image_grid(
    images: np.ndarray,
    true: Sequence[int],
    pred: Sequence[int],
    class_names: Sequence[str],
    path: str | Path,
    proba: np.ndarray | None = None,
    title: str = "test images: predicted (true)",
    max_images: int = 32,
) -> Path:
    """Up to ``max_images`` images, each titled with its predicted class (and probability,
    when ``proba`` is given) and its true class; green when right, red when wrong."""
    n = min(len(images), max_images)
    rows, cols = _grid_shape(n)
    fig = _figure(1.4 * cols + 0.4, 1.55 * rows + 0.5)
    fig.suptitle(title)
    for i in range(n):
        ax = fig.add_subplot(rows, cols, i + 1)
        _show(ax, images[i], vmin=0.0, vmax=1.0)
        p, t = int(pred[i]), int(true[i])
        prob = f" {proba[i, p]:.0%}" if proba is not None else ""
        ax.set_title(
            f"{class_names[p]}{prob}\n({class_names[t]})",
            fontsize=8,
            color=_RIGHT if p == t else _WRONG,
        )
    if n == 0:
        fig.text(0.5, 0.5, "no images to show", ha="center")
    return _save(fig, path)


def plot_confident_mistakes(
    images: np.ndarray,
    true: Sequence[int],
    proba: np.ndarray,
    class_names: Sequence[str],
    path: str | Path,
    max_images: int = 16,
) -> Path:
    """The wrongly classified images the model was most sure of, most confident first."""
    true = np.asarray(true)
    pred = proba.argmax(axis=1)
    wrong = np.flatnonzero(pred != true)
    order = wrong[np.argsort(-proba[wrong, pred[wrong]], kind="stable")][:max_images]
    title = f"most confident mistakes ({len(wrong)} wrong of {len(true)})"
    if not len(order):
        title = f"no mistakes on these {len(true)} images"
    return plot_image_grid(
        images[order], true[order], pred[order], class_names, path, proba[order], title
    )


def _conv_layers(model: nn.Module) -> list[nn.Module]:
    return [m for m in model.modules() if isinstance(m, nn.Conv2d)]


def plot_filters(model: nn.Module, path: str | Path, max_filters: int = 64) -> Path:
    """The first Conv2d's kernels, each scaled to its own range (RGB when it reads 3 channels,
    else its first input channel)."""
    convs = _conv_layers(model)
    if not convs:
        raise ValueError("plot_filters: the model has no Conv2d layer")
    w = convs[0].weight.detach().cpu().numpy().astype(np.float64)[:max_filters]
    n = len(w)
    rows, cols = _grid_shape(n)
    fig = _figure(1.1 * cols + 0.4, 1.1 * rows + 0.6)
    fig.suptitle(f"first conv layer: {n} filters {w.shape[2]}x{w.shape[3]}")
    for i in range(n):
        k = w[i] if w.shape[1] == 3 else w[i, :1]
        lo, hi = k.min(), k.max()
        k = (k - lo) / (hi - lo) if hi > lo else np.zeros_like(k)
        _show(fig.add_subplot(rows, cols, i + 1), k, interpolation="nearest")
    return _save(fig, path)


def plot_feature_maps(
    model: nn.Module,
    x: np.ndarray,
    image: np.ndarray,
    path: str | Path,
    max_maps: int = 8,
    title: str = "feature maps",
) -> Path:
    """The input ``image`` and, one row per Conv2d, the first ``max_maps`` channels of its
    block's output (after the activation) for one example ``x`` (a scaled row of pixels)."""
    if not isinstance(model, nn.Sequential):
        raise ValueError("plot_feature_maps: expected an nn.Sequential")
    layers = list(model)
    # A conv block's output: the activation following each Conv2d (or the conv itself).
    taps = []
    for i, layer in enumerate(layers):
        if isinstance(layer, nn.Conv2d):
            j = i + 1
            while j < len(layers) and isinstance(layers[j], (nn.BatchNorm2d,)):
                j += 1
            taps.append(j if j < len(layers) and not _is_structural(layers[j]) else i)
    maps: list[np.ndarray] = []
    was_training = model.training
    model.eval()
    try:
        with nerve.no_grad():
            h = nerve.from_numpy(np.ascontiguousarray(x, dtype=np.float32).reshape(1, -1))
            for i, layer in enumerate(layers):
                h = layer(h)
                if i in taps:
                    maps.append(h.cpu().numpy()[0])
                if len(maps) == len(taps):
                    break
    finally:
        model.train(was_training)
    cols = max_maps + 1
    rows = max(1, len(maps))
    fig = _figure(1.2 * cols + 0.4, 1.3 * rows + 0.6)
    fig.suptitle(title)
    ax = fig.add_subplot(rows, cols, 1)
    _show(ax, image, vmin=0.0, vmax=1.0)
    ax.set_title("input", fontsize=8)
    for r, fm in enumerate(maps):
        for c in range(min(max_maps, len(fm))):
            ax = fig.add_subplot(rows, cols, r * cols + c + 2)
            _show(ax, fm[c : c + 1], interpolation="nearest")
            if c == 0:
                ax.set_title(
                    f"conv {r + 1}: {fm.shape[0]} x {fm.shape[1]}x{fm.shape[2]}", fontsize=7
                )
    return _save(fig, path)


def _is_structural(layer: nn.Module) -> bool:
    """Layers that change shape rather than apply an activation."""
    return isinstance(layer, (nn.MaxPool2d, nn.Dropout2d, nn.Flatten, nn.Conv2d))
