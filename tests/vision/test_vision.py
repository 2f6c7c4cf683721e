"""nerve.vision: transforms (torchvision's semantics, checked against Pillow and by hand) and
the data sets' readers, with hostile files."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np
import pytest

import nerve
from nerve.vision import datasets, transforms
from nerve.vision import functional as F

Image = pytest.importorskip("PIL.Image", reason="nerve.vision needs Pillow")


def _img(h: int = 7, w: int = 9, mode: str = "L", seed: int = 0):
    rng = np.random.default_rng(seed)
    shape = (h, w) if mode == "L" else (h, w, 3)
    return Image.fromarray((rng.random(shape) * 255).astype(np.uint8), mode=mode)


def test_to_tensor_and_normalize() -> None:
    rgb = _img(mode="RGB")
    t = transforms.ToTensor()(rgb)
    assert t.shape == (3, 7, 9) and t.dtype == nerve.float32
    np.testing.assert_allclose(t.numpy(), np.asarray(rgb).transpose(2, 0, 1) / 255, rtol=1e-6)
    arr = np.asarray(rgb)  # an HxWxC uint8 array gives the same tensor
    np.testing.assert_array_equal(transforms.ToTensor()(arr).numpy(), t.numpy())
    n = transforms.Normalize((0.5, 0.25, 0.0), (0.5, 0.5, 2.0))(t)
    expected = (t.numpy() - np.array([0.5, 0.25, 0.0])[:, None, None]) / np.array([0.5, 0.5, 2.0])[
        :, None, None
    ]
    np.testing.assert_allclose(n.numpy(), expected, rtol=1e-6)
    with pytest.raises(ValueError, match="std evaluated to zero"):
        transforms.Normalize((0.0,), (0.0,))(t)


@pytest.mark.parametrize("angle", [0.0, 30.0, -47.0, 90.0])
def test_affine_rotation_matches_pillow_and_tensor_matches_pil(angle: float) -> None:
    img = _img()
    pil = np.asarray(F.affine(img, angle, (0, 0), 1.0, 0.0))
    np.testing.assert_array_equal(pil, np.asarray(img.rotate(angle)))  # counter-clockwise
    t = F.affine(transforms.ToTensor()(img), angle, (0, 0), 1.0, 0.0)
    np.testing.assert_allclose(t.numpy()[0], pil / 255, atol=1e-6)


def test_affine_translate_moves_right_and_down() -> None:
    a = np.zeros((5, 5), dtype=np.uint8)
    a[1, 1] = 255
    out = np.asarray(F.affine(Image.fromarray(a), 0.0, (2, 1), 1.0, 0.0))
    assert np.argwhere(out == 255).tolist() == [[2, 3]]


def test_geometry_shapes_and_flip() -> None:
    img = _img()
    t = transforms.ToTensor()(img)
    assert transforms.Resize(14)(img).size == (18, 14)  # smaller edge to 14, aspect kept
    assert transforms.Resize((4, 5))(t).shape == (1, 4, 5)
    assert transforms.CenterCrop(3)(img).size == (3, 3)
    np.testing.assert_array_equal(
        transforms.CenterCrop(3)(t).numpy()[0], np.asarray(img)[2:5, 3:6] / np.float32(255)
    )
    assert transforms.RandomCrop(9, padding=2)(t).shape == (1, 9, 9)
    flipped = transforms.RandomHorizontalFlip(p=1.0)(img)
    np.testing.assert_array_equal(np.asarray(flipped), np.asarray(img)[:, ::-1])
    assert transforms.Grayscale()(_img(mode="RGB")).mode == "L"
    g = transforms.Grayscale(3)(transforms.ToTensor()(_img(mode="RGB")))
    assert g.shape == (3, 7, 9)
    assert transforms.Lambda(lambda x: x * 2)(t).shape == t.shape
    with pytest.raises(ValueError, match="larger than input image size"):
        transforms.RandomCrop(20)(t)


def test_random_transforms_follow_manual_seed() -> None:
    pipeline = transforms.Compose(
        [
            transforms.RandomCrop(7, padding=1),
            transforms.RandomHorizontalFlip(),
            transforms.RandomRotation(20),
            transforms.RandomAffine(10, translate=(0.1, 0.1), scale=(0.9, 1.1), shear=5),
            transforms.ToTensor(),
        ]
    )
    img = _img()
    nerve.manual_seed(3)
    a = [pipeline(img).numpy() for _ in range(4)]
    nerve.manual_seed(3)
    b = [pipeline(img).numpy() for _ in range(4)]
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert any(not np.array_equal(a[0], x) for x in a[1:])  # they do vary


def _write_idx(path: Path, arr: np.ndarray, gz: bool = False, extra: bytes = b"") -> Path:
    raw = bytes([0, 0, 8, arr.ndim]) + np.array(arr.shape, ">u4").tobytes() + arr.tobytes() + extra
    path.write_bytes(gzip.compress(raw) if gz else raw)
    return path


def test_mnist_reads_idx_files(tmp_path) -> None:
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    x = np.arange(3 * 4 * 5, dtype=np.uint8).reshape(3, 4, 5)
    _write_idx(raw / "t10k-images-idx3-ubyte.gz", x, gz=True)
    _write_idx(raw / "t10k-labels-idx1-ubyte", np.array([7, 0, 3], np.uint8))
    ds = datasets.MNIST(tmp_path, train=False, transform=transforms.ToTensor())
    assert len(ds) == 3 and ds.targets.tolist() == [7, 0, 3]
    img, label = ds[0]
    assert img.shape == (1, 4, 5) and label == 7
    np.testing.assert_allclose(img.numpy()[0], x[0] / 255, rtol=1e-6)
    with pytest.raises(RuntimeError, match="nerve does not download"):
        datasets.MNIST(tmp_path, train=True, download=True)


def test_idx_hostile_files(tmp_path) -> None:
    x = np.zeros((2, 3, 3), np.uint8)
    with pytest.raises(datasets.ImageError, match="has data after its last value"):
        datasets.read_idx(_write_idx(tmp_path / "a.gz", x, gz=True, extra=b"\0"))
    with pytest.raises(datasets.ImageError, match="the file holds"):
        datasets.read_idx(_write_idx(tmp_path / "b", x, extra=b"\0\0"))
    (tmp_path / "c").write_bytes(
        b"\x00\x00\x08\x03" + np.array([60000, 60000, 60000], ">u4").tobytes()
    )
    with pytest.raises(datasets.ImageError, match="at most 268,435,456"):
        datasets.read_idx(tmp_path / "c")
    (tmp_path / "d").write_bytes(b"PK\x03\x04junk")
    with pytest.raises(datasets.ImageError, match="bad magic number"):
        datasets.read_idx(tmp_path / "d")
    truncated = gzip.compress(b"\x00\x00\x08\x01" + np.array([100], ">u4").tobytes() + b"\0" * 10)
    (tmp_path / "e.gz").write_bytes(truncated)
    with pytest.raises(datasets.ImageError, match="truncated"):
        datasets.read_idx(tmp_path / "e.gz")


def test_image_folder_and_hostile_images(tmp_path) -> None:
    for k in ("cat", "dog"):
        (tmp_path / k).mkdir()
        for i in range(2):
            _img(mode="RGB", seed=i).save(tmp_path / k / f"{i}.png")
    (tmp_path / "dog" / "notes.txt").write_text("not an image")
    ds = datasets.ImageFolder(tmp_path, transform=transforms.ToTensor())
    assert ds.classes == ["cat", "dog"] and ds.targets == [0, 0, 1, 1]
    assert ds[3][0].shape == (3, 7, 9) and ds[3][1] == 1
    Image.new("L", (4097, 4096)).save(tmp_path / "big.png")
    with pytest.raises(datasets.ImageError, match="4097 x 4096 pixels; at most 4096 x 4096"):
        datasets.open_image(tmp_path / "big.png")
    # Beyond Pillow's own decompression-bomb limit: refused inside Image.open.
    head = Image.new("L", (1, 1))
    head.save(tmp_path / "bomb.png")
    data = bytearray((tmp_path / "bomb.png").read_bytes())
    data[16:24] = np.array([30000, 30000], ">u4").tobytes()  # IHDR width and height
    data[29:33] = zlib.crc32(bytes(data[12:29])).to_bytes(4, "big")  # and its checksum
    (tmp_path / "bomb.png").write_bytes(bytes(data))
    with pytest.raises(datasets.ImageError, match="decompression-bomb|at most 4096"):
        datasets.open_image(tmp_path / "bomb.png")
    with pytest.raises(datasets.ImageError, match="more than 3 files"):
        datasets.scan_folder(tmp_path, max_files=3)
    with pytest.raises(datasets.ImageError, match="is a directory"):
        datasets.open_image(tmp_path)
