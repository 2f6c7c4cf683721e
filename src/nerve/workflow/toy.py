"""Two-dimensional toy data sets in the spirit of the TensorFlow Playground.

Scale: every input lies roughly in ``[-1, 1]`` x ``[-1, 1]`` (noise can push points slightly
outside). The Playground draws in ``[-6, 6]``; we use the smaller scale because the lecture's
worked example (``d1 = [0.9, -0.2]``, ``d2 = [0.75, 0.6]``) lives there and because inputs of
order one need no normalisation before training.

Noise: ``noise`` in ``[0, 1]`` plays the role of the Playground's 0-50 % slider. For the
classification sets it jitters the *inputs* after the label was decided (so labels are clean but
classes overlap); for the regression sets it adds Gaussian noise to the *target*. Each set scales
``noise`` so that ``noise=0.5`` is very noisy but still learnable; the per-set constants are in
``_JITTER``.

Everything is deterministic given ``seed`` (one ``np.random.default_rng(seed)`` per call), and the
classes of every classification set are balanced (sizes differ by at most one) and shuffled.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .data import ArrayData
from .errors import DataError, check_fraction, check_int

__all__ = ["TOY_DATASETS", "make_toy", "make_imbalanced"]

TOY_DATASETS: dict[str, str] = {
    "xor": "uniform points in [-1,1]^2; label 1 where x1*x2 > 0 (XOR of the signs)",
    "circle": "inner disc (label 1) inside an outer ring (label 0)",
    "gaussian": "two Gaussian blobs, one per class",
    "spiral": "interleaved spiral arms; 2 arms by default, n_classes arms for multiclass",
    "moons": "two interleaving half moons",
    "blobs": "n_classes Gaussian blobs on a circle (multiclass)",
    "lecture": "the lecture's two points d1=[0.9,-0.2] (y=0) and d2=[0.75,0.6] (y=1)",
    "plane": "regression: y = 0.6*x1 - 0.4*x2 + noise",
    "sine": "regression: y = sin(pi*x1) * cos(pi*x2/2) + noise (an 'unknown function')",
    "multi-gaussian": "regression: sum of six signed Gaussian bumps + noise",
}

# Standard deviation of the Gaussian noise at noise=1, per data set, in input units (classification)
# or target units (regression). Chosen by eye so that noise=0.5 blurs but does not erase the
# structure: e.g. the circle's gap between disc and ring is 0.2 wide.
_JITTER = {
    "xor": 0.3,
    "circle": 0.25,
    "gaussian": 0.3,
    "spiral": 0.12,
    "moons": 0.3,
    "blobs": 0.3,
    "plane": 0.5,
    "sine": 0.5,
    "multi-gaussian": 0.5,
}

# A cap that keeps a request from the playground from allocating gigabytes.
MAX_SAMPLES = 1_000_000
_MAX_CLASSES = 10


def make_toy(
    name: str,
    n_samples: int = 400,
    noise: float = 0.1,
    seed: int = 0,
    n_classes: int | None = None,
    margin: float = 0.0,
) -> ArrayData:
    """Generate a 2-D toy data set (see ``TOY_DATASETS`` for the names).

    Args:
        name: one of ``TOY_DATASETS``.
        n_samples: number of points, 2..1,000,000 (ignored by ``"lecture"``, which has two).
        noise: 0 (clean) .. 1 (very noisy); ignored by ``"lecture"``.
        seed: seed of the random generator; the same arguments give the same data.
        n_classes: number of classes for ``"blobs"`` (default 3) and spiral arms for
            ``"spiral"`` (default 2, so the plain spiral is binary); ignored by the other sets.
        margin: for ``"xor"``, keep every point at least ``margin`` (0..0.9) away from both
            axes before the noise, so that with ``noise=0`` the classes are separated by a gap
            (the Playground's XOR has such a padding); ignored by the other sets.

    Example:
        >>> data = make_toy("xor", n_samples=8, noise=0.0, seed=1)
        >>> data.X.shape, data.task, np.bincount(data.y).tolist()
        ((8, 2), 'binary', [4, 4])
    """
    if name not in _MAKERS:
        raise DataError(f"unknown toy data set {name!r}; valid names: {', '.join(TOY_DATASETS)}")
    n = check_int("n_samples", n_samples, minimum=2, maximum=MAX_SAMPLES)
    noise = check_fraction("noise", noise)
    seed = check_int("seed", seed, minimum=0)
    margin = check_fraction("margin", margin, 0.0, 0.9)
    default_k = {"blobs": 3, "spiral": 2}.get(name, 2)
    k = default_k if n_classes is None else check_int("n_classes", n_classes, 2, _MAX_CLASSES)
    if name in ("blobs", "spiral") and n < k:
        raise DataError(f"n_samples={n} is too small for {k} classes; use at least {k}")

    rng = np.random.default_rng(seed)
    sd = noise * _JITTER.get(name, 0.0)
    if name == "xor":
        X, y, class_names = _xor(rng, n, sd, k, margin)
    else:
        X, y, class_names = _MAKERS[name](rng, n, sd, k)

    if name != "lecture":
        # Shuffle so that no consumer can accidentally rely on class-sorted order.
        order = rng.permutation(len(y))
        X, y = X[order], y[order]
    if class_names:
        task = "binary" if len(class_names) == 2 else "multiclass"
    else:
        task = "regression"
    return ArrayData(X, y, task, name, ["x1", "x2"], class_names)


def make_imbalanced(data: ArrayData, ratio: float, seed: int = 0) -> ArrayData:
    """Keep every sample of the majority class and a fraction ``ratio`` of each other class.

    Each non-empty minority class keeps at least one sample. Row order is preserved. Useful to
    show how accuracy misleads on imbalanced data.

    Example:
        >>> data = make_imbalanced(make_toy("gaussian", n_samples=100), ratio=0.1)
        >>> np.bincount(data.y).tolist()
        [50, 5]
    """
    if data.task == "regression":
        raise DataError("make_imbalanced needs a classification data set, got regression")
    ratio = check_fraction("ratio", ratio, low_open=True)
    rng = np.random.default_rng(check_int("seed", seed, minimum=0))
    counts = np.bincount(data.y, minlength=data.n_classes)
    majority = int(np.argmax(counts))  # ties: the lowest label wins, deterministically
    keep = np.zeros(len(data.y), dtype=bool)
    for c in range(data.n_classes):
        members = np.flatnonzero(data.y == c)
        if c == majority or members.size == 0:
            keep[members] = True
            continue
        n_keep = max(1, int(round(ratio * members.size)))
        keep[rng.choice(members, size=n_keep, replace=False)] = True
    out = data.subset(keep)
    out.name = f"{data.name}-imbalanced"
    return out


# --------------------------------------------------------------------------------------------
# Generators: each returns (X float (n, 2), y, class_names); class_names == [] means regression.

_Result = tuple[np.ndarray, np.ndarray, list[str]]


def _class_sizes(n: int, k: int) -> np.ndarray:
    """Split ``n`` into ``k`` sizes that differ by at most one (balanced classes)."""
    return np.array([n // k + (i < n % k) for i in range(k)], dtype=np.int64)


def _labels(n: int, k: int) -> np.ndarray:
    return np.repeat(np.arange(k, dtype=np.int64), _class_sizes(n, k))


def _xor(rng: np.random.Generator, n: int, sd: float, k: int, margin: float = 0.0) -> _Result:
    y = _labels(n, 2)
    mag = rng.uniform(margin, 1.0, size=(n, 2))
    # Choose the quadrant from the label, so that classes are exactly balanced while each point
    # is still uniform in [-1, 1]^2: label 1 -> signs agree (x1*x2 > 0), label 0 -> they differ.
    s1 = rng.choice([-1.0, 1.0], size=n)
    s2 = np.where(y == 1, s1, -s1)
    X = mag * np.stack([s1, s2], axis=1)
    return X + rng.normal(0.0, sd, size=X.shape), y, ["x1*x2<0", "x1*x2>0"]


def _circle(rng: np.random.Generator, n: int, sd: float, k: int) -> _Result:
    y = _labels(n, 2)
    # As in the Playground: radius uniform in [0, 0.5] inside and [0.7, 1] for the ring.
    r = np.where(y == 1, rng.uniform(0.0, 0.5, n), rng.uniform(0.7, 1.0, n))
    angle = rng.uniform(0.0, 2 * np.pi, n)
    X = np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1)
    return X + rng.normal(0.0, sd, size=X.shape), y, ["outer", "inner"]


def _gaussian(rng: np.random.Generator, n: int, sd: float, k: int) -> _Result:
    y = _labels(n, 2)
    centers = np.array([[-0.4, -0.4], [0.4, 0.4]])
    # A base spread keeps the blobs blobs at noise=0; noise widens them until they overlap.
    X = centers[y] + rng.normal(0.0, 0.1 + sd, size=(n, 2))
    return X, y, ["blob 0", "blob 1"]


def _blobs(rng: np.random.Generator, n: int, sd: float, k: int) -> _Result:
    y = _labels(n, k)
    angles = 2 * np.pi * np.arange(k) / k + np.pi / 2
    centers = 0.6 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    X = centers[y] + rng.normal(0.0, 0.1 + sd, size=(n, 2))
    return X, y, [f"blob {c}" for c in range(k)]


def _spiral(rng: np.random.Generator, n: int, sd: float, k: int) -> _Result:
    y = _labels(n, k)
    sizes = _class_sizes(n, k)
    # Position along each arm in [0, 1): radius grows linearly over 1.75 turns (as in the
    # Playground); arm c is rotated by 2*pi*c/k so that the k arms interleave.
    t = np.concatenate([np.arange(m) / m for m in sizes])
    r = 0.05 + 0.95 * t
    theta = 1.75 * 2 * np.pi * t + 2 * np.pi * y / k
    X = np.stack([r * np.sin(theta), r * np.cos(theta)], axis=1)
    return X + rng.normal(0.0, sd, size=X.shape), y, [f"arm {c}" for c in range(k)]


def _moons(rng: np.random.Generator, n: int, sd: float, k: int) -> _Result:
    y = _labels(n, 2)
    t = rng.uniform(0.0, np.pi, n)
    # scikit-learn's moons span x in [-1, 2], y in [-0.5, 1]; centre and shrink by 1.5 so that
    # they span [-1, 1] x [-0.5, 0.5].
    upper = np.stack([np.cos(t), np.sin(t)], axis=1)
    lower = np.stack([1.0 - np.cos(t), 0.5 - np.sin(t)], axis=1)
    X = (np.where((y == 0)[:, None], upper, lower) - [0.5, 0.25]) / 1.5
    return X + rng.normal(0.0, sd, size=X.shape), y, ["upper", "lower"]


def _lecture(rng: np.random.Generator, n: int, sd: float, k: int) -> _Result:
    X = np.array([[0.9, -0.2], [0.75, 0.6]])
    return X, np.array([0, 1], dtype=np.int64), ["y=0", "y=1"]


def _regression(target: Callable[[np.ndarray], np.ndarray]) -> Callable[..., _Result]:
    """Wrap a clean target function into a generator with uniform inputs and noisy targets."""

    def make(rng: np.random.Generator, n: int, sd: float, k: int) -> _Result:
        X = rng.uniform(-1.0, 1.0, size=(n, 2))
        y = target(X) + rng.normal(0.0, sd, size=n)
        return X, y, []

    return make


def _plane(X: np.ndarray) -> np.ndarray:
    return 0.6 * X[:, 0] - 0.4 * X[:, 1]


def _sine(X: np.ndarray) -> np.ndarray:
    return np.sin(np.pi * X[:, 0]) * np.cos(0.5 * np.pi * X[:, 1])


# (x1, x2, sign) of each bump: the Playground's layout of six alternating bumps, rescaled.
_BUMPS = np.array(
    [
        [-0.6, 0.4, 1],
        [0.0, 0.4, -1],
        [0.6, 0.4, 1],
        [-0.6, -0.4, -1],
        [0.0, -0.4, 1],
        [0.6, -0.4, -1],
    ]
)


def _multi_gaussian(X: np.ndarray) -> np.ndarray:
    d2 = (X[:, None, 0] - _BUMPS[:, 0]) ** 2 + (X[:, None, 1] - _BUMPS[:, 1]) ** 2
    return (_BUMPS[:, 2] * np.exp(-d2 / (2 * 0.2**2))).sum(axis=1)


_MAKERS: dict[str, Callable[[np.random.Generator, int, float, int], _Result]] = {
    "xor": _xor,
    "circle": _circle,
    "gaussian": _gaussian,
    "spiral": _spiral,
    "moons": _moons,
    "blobs": _blobs,
    "lecture": _lecture,
    "plane": _regression(_plane),
    "sine": _regression(_sine),
    "multi-gaussian": _regression(_multi_gaussian),
}
