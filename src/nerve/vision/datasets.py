"""Image data sets with torchvision's names: ``MNIST`` (IDX files on disk) and ``ImageFolder``
(one sub-folder per class), plus the readers behind them: :func:`read_idx` and
:func:`open_image`.

Files are user input, read with bounds checked *before* anything is allocated: an IDX header
may claim any size, a folder may hold millions of files, a 500-byte PNG may unpack to
gigabytes (a decompression bomb). Each of those is refused with an :class:`ImageError`
naming the file and the bound. Nothing is downloaded: ``MNIST(download=True)`` says where to
put the files.

Example:
    >>> train = MNIST("data", train=True, transform=transforms.ToTensor())  # doctest: +SKIP
    >>> image, label = train[0]  # doctest: +SKIP
    >>> image.shape, label  # doctest: +SKIP
    ((1, 28, 28), 5)
"""

from __future__ import annotations

import gzip
import os
import stat
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import nerve
from nerve.utils.data import Dataset

__all__ = [
    "ImageError",
    "MAX_IMAGE_PIXELS",
    "MAX_IMAGE_BYTES",
    "MAX_FOLDER_FILES",
    "MAX_IDX_VALUES",
    "IMG_EXTENSIONS",
    "read_idx",
    "open_image",
    "find_classes",
    "scan_folder",
    "MNIST",
    "ImageFolder",
]

# An image larger than 4096 x 4096 pixels is not what a learner's classifier eats, and its
# pixels would be 200 MB as float32 RGB; anything beyond is refused before it is decoded.
MAX_IMAGE_PIXELS = 4096 * 4096
MAX_IMAGE_BYTES = 64 << 20  # a compressed image file of this size is already far too large
MAX_FOLDER_FILES = 200_000  # about 3x ImageNet's validation set; counted before any is opened
MAX_IDX_VALUES = 1 << 28  # 256 M values (MNIST's training images are 47 M)
IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")
_IDX_TYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


class ImageError(ValueError):
    """A file, folder or image that cannot be used: says which and why, in one line."""


def _regular_file(path: Path) -> os.stat_result:
    try:
        st = path.stat()
    except FileNotFoundError:
        raise FileNotFoundError(f"file not found: '{path}'") from None
    if stat.S_ISDIR(st.st_mode):
        raise ImageError(f"'{path}' is a directory; expected a file")
    if not stat.S_ISREG(st.st_mode):  # a FIFO or device could block or never end
        raise ImageError(f"'{path}' is not a regular file")
    return st


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """An IDX file (MNIST's format; gzip-compressed when it ends in ``.gz``) as an array.

    The header's sizes are checked against :data:`MAX_IDX_VALUES` and against the file's
    length before the data is read.
    """
    p = Path(path)
    st = _regular_file(p)
    opener: Callable[..., Any] = gzip.open if p.suffix == ".gz" else open
    try:
        with opener(p, "rb") as fh:
            head = fh.read(4)
            if len(head) < 4 or head[0] != 0 or head[1] != 0 or head[2] not in _IDX_TYPES:
                raise ImageError(f"'{p}': not an IDX file (bad magic number {head.hex()!r})")
            dtype, ndim = _IDX_TYPES[head[2]], head[3]
            if not 1 <= ndim <= 4:
                raise ImageError(f"'{p}': IDX file with {ndim} dimensions; expected 1 to 4")
            dims_raw = fh.read(4 * ndim)
            if len(dims_raw) < 4 * ndim:
                raise ImageError(f"'{p}': IDX header is truncated")
            dims = [int(d) for d in np.frombuffer(dims_raw, dtype=">u4")]
            count = int(np.prod(dims, dtype=object))
            if count > MAX_IDX_VALUES:
                raise ImageError(
                    f"'{p}': IDX header claims {' x '.join(map(str, dims))} = {count:,} values; "
                    f"at most {MAX_IDX_VALUES:,}"
                )
            size = count * dtype.itemsize
            if opener is open and st.st_size != 4 + 4 * ndim + size:
                raise ImageError(
                    f"'{p}': IDX header claims {size:,} data bytes but the file holds "
                    f"{st.st_size - 4 - 4 * ndim:,}"
                )
            raw = fh.read(size + 1)  # one byte more reveals trailing data; never more
    except (OSError, EOFError, gzip.BadGzipFile) as err:
        if isinstance(err, FileNotFoundError):
            raise
        raise ImageError(f"'{p}': cannot read ({err})") from None
    if len(raw) != size:
        what = "is truncated" if len(raw) < size else "has data after its last value"
        raise ImageError(f"'{p}': IDX data {what} (header: {' x '.join(map(str, dims))})")
    return np.frombuffer(raw, dtype=dtype).astype(dtype.newbyteorder("=")).reshape(dims)


def open_image(path: str | os.PathLike[str], mode: str | None = "RGB") -> Any:
    """A decoded PIL image (converted to ``mode`` unless None), with the file's size and the
    image's pixel count checked before its pixels are decoded."""
    from PIL import Image, UnidentifiedImageError

    p = Path(path)
    st = _regular_file(p)
    if st.st_size > MAX_IMAGE_BYTES:
        raise ImageError(
            f"'{p}': {st.st_size:,} bytes; an image file may have at most "
            f"{MAX_IMAGE_BYTES >> 20} MiB"
        )
    try:
        with warnings.catch_warnings():
            # Pillow warns (and past twice its limit, fails) on huge images: refuse both.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(p) as im:
                w, h = im.size
                if w * h > MAX_IMAGE_PIXELS:
                    raise ImageError(_too_big(p, w, h))
                im.load()
                return im.convert(mode) if mode is not None and im.mode != mode else im.copy()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(
            f"'{p}': the image claims more pixels than Pillow's decompression-bomb "
            f"limit; at most 4096 x 4096 = {MAX_IMAGE_PIXELS:,}"
        ) from None
    except UnidentifiedImageError:
        raise ImageError(f"'{p}': not an image Pillow can read") from None
    except (OSError, SyntaxError, ValueError) as err:
        if isinstance(err, ImageError):
            raise
        raise ImageError(f"'{p}': damaged image ({err})") from None


def _too_big(p: Path, w: int, h: int) -> str:
    return f"'{p}': {w} x {h} pixels; at most 4096 x 4096 = {MAX_IMAGE_PIXELS:,} per image"


def find_classes(directory: str | os.PathLike[str]) -> tuple[list[str], dict[str, int]]:
    """The sorted sub-folder names of ``directory`` and their class indices."""
    root = Path(directory)
    if not root.is_dir():
        raise FileNotFoundError(f"image folder not found: '{root}'")
    classes = sorted(e.name for e in os.scandir(root) if e.is_dir() and not e.name.startswith("."))
    if not classes:
        raise ImageError(f"'{root}': no class folders in it; expected one sub-folder per class")
    return classes, {c: i for i, c in enumerate(classes)}


def scan_folder(
    directory: str | os.PathLike[str], max_files: int = MAX_FOLDER_FILES
) -> tuple[list[str], list[tuple[str, int]]]:
    """``(classes, [(path, class_index), ...])`` of an image folder, sorted, without opening
    any image; refuses more than ``max_files`` files (counted as they are listed)."""
    classes, index = find_classes(directory)
    samples: list[tuple[str, int]] = []
    seen = 0
    for name in classes:
        for folder, dirs, files in os.walk(Path(directory) / name, followlinks=False):
            dirs.sort()
            for f in sorted(files):
                seen += 1
                if seen > max_files:
                    raise ImageError(
                        f"'{directory}': more than {max_files:,} files; an image folder "
                        "may hold at most that many"
                    )
                if f.lower().endswith(IMG_EXTENSIONS):
                    samples.append((os.path.join(folder, f), index[name]))
    if not samples:
        raise ImageError(
            f"'{directory}': no images ({', '.join(IMG_EXTENSIONS)}) in its class folders"
        )
    return classes, samples


class ImageFolder(Dataset):
    """Images in ``root/<class>/<file>``; ``dataset[i]`` is ``(image, class_index)``.

    ``classes`` are the sorted sub-folder names; images are opened with ``loader`` (RGB PIL
    images by default) when indexed, then ``transform`` is applied.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        transform: Callable[[Any], Any] | None = None,
        target_transform: Callable[[Any], Any] | None = None,
        loader: Callable[[str], Any] | None = None,
    ) -> None:
        self.root = str(root)
        self.transform, self.target_transform = transform, target_transform
        self.loader = loader or open_image
        self.classes, self.samples = scan_folder(root)
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}
        self.targets = [t for _, t in self.samples]
        self.imgs = self.samples

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        path, target = self.samples[index]
        img = self.loader(path)
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target


_MNIST_FILES = {
    True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def find_idx(directory: str | os.PathLike[str], name: str) -> Path | None:
    """``directory/name`` or ``directory/name.gz``, whichever exists (None if neither)."""
    for candidate in (name, name + ".gz"):
        p = Path(directory) / candidate
        if p.is_file():
            return p
    return None


class MNIST(Dataset):
    """MNIST from its four IDX files in ``root/MNIST/raw`` (torchvision's place) or ``root``.

    ``data`` is a uint8 tensor ``(n, 28, 28)``, ``targets`` an int64 tensor; ``dataset[i]`` is
    ``(PIL image, label)`` before ``transform``. nerve never downloads: with the files missing,
    ``download=True`` or not, a RuntimeError says which files to put where.
    """

    classes = [
        f"{i} - {w}"
        for i, w in enumerate(
            ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
        )
    ]

    def __init__(
        self,
        root: str | os.PathLike[str],
        train: bool = True,
        transform: Callable[[Any], Any] | None = None,
        target_transform: Callable[[Any], Any] | None = None,
        download: bool = False,
    ) -> None:
        self.root, self.train = str(root), bool(train)
        self.transform, self.target_transform = transform, target_transform
        images_name, labels_name = _MNIST_FILES[self.train]
        for folder in (Path(root) / "MNIST" / "raw", Path(root)):
            images, labels = find_idx(folder, images_name), find_idx(folder, labels_name)
            if images is not None and labels is not None:
                break
        else:
            raise RuntimeError(
                f"Dataset not found: put {images_name} and {labels_name} (or their .gz) in "
                f"'{Path(root) / 'MNIST' / 'raw'}'"
                + (" -- nerve does not download" if download else "")
            )
        x, y = read_idx(images), read_idx(labels)
        if x.ndim != 3 or y.ndim != 1 or len(x) != len(y) or x.dtype != np.uint8:
            raise ImageError(
                f"'{images}' ({x.dtype} {x.shape}) and '{labels}' ({y.shape}) are not MNIST's "
                "images (n, H, W) uint8 and labels (n,)"
            )
        self.data = nerve.from_numpy(np.ascontiguousarray(x))
        self.targets = nerve.from_numpy(y.astype(np.int64))

    def __len__(self) -> int:
        return int(self.data.shape[0])

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        from PIL import Image

        img = Image.fromarray(self.data[index].numpy(), mode="L")
        target = int(self.targets[index].item())
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target
