"""The image operations behind :mod:`nerve.vision.transforms`, on PIL images and on tensors.

torchvision's ``transforms.functional`` names and semantics, for what the transforms need. A
PIL image stays a PIL image; a tensor ``(..., C, H, W)`` stays a tensor of its dtype. Geometric
operations on tensors go channel by channel through Pillow's float (``"F"``) images, so that a
tensor and a PIL image are resampled by the same code.

Example:
    >>> import numpy as np
    >>> from PIL import Image
    >>> img = Image.fromarray(np.arange(12, dtype=np.uint8).reshape(3, 4))
    >>> tuple(to_tensor(img).shape), to_tensor(img).dtype
    ((1, 3, 4), nerve.float32)
    >>> np.asarray(hflip(img))[0].tolist()
    [3, 2, 1, 0]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from enum import Enum
from typing import Any

import numpy as np

import nerve

__all__ = [
    "InterpolationMode",
    "to_tensor",
    "normalize",
    "hflip",
    "crop",
    "center_crop",
    "pad",
    "resize",
    "rotate",
    "affine",
    "rgb_to_grayscale",
    "get_image_size",
]


class InterpolationMode(str, Enum):
    """How pixels are resampled (torchvision's names)."""

    NEAREST = "nearest"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"


def _pil() -> Any:
    try:
        from PIL import Image
    except ImportError as err:  # pragma: no cover - Pillow is in the workflow extra
        raise ImportError("nerve.vision needs Pillow: pip install 'nerve[workflow]'") from err
    return Image


def _resample(mode: Any) -> Any:
    Image = _pil()
    name = InterpolationMode(mode.value if isinstance(mode, Enum) else str(mode).lower())
    return {
        InterpolationMode.NEAREST: Image.Resampling.NEAREST,
        InterpolationMode.BILINEAR: Image.Resampling.BILINEAR,
        InterpolationMode.BICUBIC: Image.Resampling.BICUBIC,
    }[name]


def _is_pil(img: Any) -> bool:
    return type(img).__module__.startswith("PIL.")


def _check_tensor(img: Any, what: str) -> nerve.Tensor:
    if not isinstance(img, nerve.Tensor):
        raise TypeError(f"{what}: expected a PIL image or a tensor, got {type(img).__name__}")
    if img.dim() < 2:
        raise ValueError(f"{what}: expected a tensor (..., H, W), got shape {tuple(img.shape)}")
    return img


def get_image_size(img: Any) -> tuple[int, int]:
    """``(width, height)`` of a PIL image or a tensor ``(..., H, W)`` (torchvision's order)."""
    if _is_pil(img):
        return img.size
    t = _check_tensor(img, "get_image_size")
    return int(t.shape[-1]), int(t.shape[-2])


def to_tensor(pic: Any) -> nerve.Tensor:
    """A PIL image or an ``(H, W[, C])`` array as a ``(C, H, W)`` tensor; 8-bit images are
    scaled to float32 in [0, 1], other dtypes keep their values (as torchvision does)."""
    if _is_pil(pic):
        if pic.mode == "1":
            arr = np.asarray(pic, dtype=np.uint8) * 255
        else:
            arr = np.asarray(pic)
            if pic.mode == "I;16":
                arr = arr.astype(np.int32)
    elif isinstance(pic, np.ndarray):
        arr = pic
    else:
        raise TypeError(f"to_tensor: expected a PIL image or a NumPy array, got {type(pic)}")
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if arr.ndim != 3:
        raise ValueError(f"to_tensor: expected an (H, W) or (H, W, C) image, got {arr.shape}")
    chw = np.ascontiguousarray(arr.transpose(2, 0, 1))
    if chw.dtype == np.uint8:
        return nerve.from_numpy(chw.astype(np.float32) / np.float32(255))
    return nerve.from_numpy(chw.copy())


def normalize(tensor: nerve.Tensor, mean: Sequence[float], std: Sequence[float]) -> nerve.Tensor:
    """``(tensor - mean[c]) / std[c]`` for each channel ``c`` of a ``(..., C, H, W)`` tensor."""
    t = _check_tensor(tensor, "normalize")
    if not t.is_floating_point():
        raise TypeError(f"normalize: expected a float tensor, got {t.dtype}")
    m = np.asarray(mean, dtype=np.float64).reshape(-1)
    s = np.asarray(std, dtype=np.float64).reshape(-1)
    if (s == 0).any():
        raise ValueError(f"normalize: std evaluated to zero after conversion, got {list(std)}")
    channels = int(t.shape[-3]) if t.dim() >= 3 else 1
    if len(m) not in (1, channels) or len(s) not in (1, channels):
        raise ValueError(f"normalize: {len(m)} means / {len(s)} stds for {channels} channels")
    shape = (-1, 1, 1)
    m_t = nerve.tensor(m.reshape(shape), dtype=t.dtype)
    s_t = nerve.tensor(s.reshape(shape), dtype=t.dtype)
    return (t - m_t) / s_t


def _per_channel(t: nerve.Tensor, op: Callable[[Any], Any]) -> nerve.Tensor:
    """Apply a PIL operation to each ``(H, W)`` plane of a tensor, as a float ``"F"`` image."""
    Image = _pil()
    arr = t.detach().cpu().numpy()
    planes = arr.reshape(-1, *arr.shape[-2:]).astype(np.float32)
    out = np.stack([np.asarray(op(Image.fromarray(p, mode="F"))) for p in planes])
    out = out.reshape(*arr.shape[:-2], *out.shape[-2:])
    if arr.dtype.kind in "iub":
        out = np.clip(np.rint(out), np.iinfo(arr.dtype).min, np.iinfo(arr.dtype).max)
    return nerve.from_numpy(np.ascontiguousarray(out.astype(arr.dtype)))


def hflip(img: Any) -> Any:
    """Mirror left to right."""
    if _is_pil(img):
        return img.transpose(_pil().Transpose.FLIP_LEFT_RIGHT)
    return _check_tensor(img, "hflip").flip(-1)


def crop(img: Any, top: int, left: int, height: int, width: int) -> Any:
    """The ``height x width`` window whose top-left corner is ``(top, left)``."""
    if _is_pil(img):
        return img.crop((left, top, left + width, top + height))
    t = _check_tensor(img, "crop")
    h, w = int(t.shape[-2]), int(t.shape[-1])
    if top < 0 or left < 0 or top + height > h or left + width > w:
        # torchvision pads with zeros where the window leaves the image.
        t = pad(
            t, [max(-left, 0), max(-top, 0), max(left + width - w, 0), max(top + height - h, 0)]
        )
        top, left = max(top, 0), max(left, 0)
    return t[..., top : top + height, left : left + width]


def center_crop(img: Any, output_size: int | Sequence[int]) -> Any:
    """The centred ``output_size`` window (padded with zeros when the image is smaller)."""
    th, tw = _pair(output_size, "center_crop size")
    w, h = get_image_size(img)
    return crop(img, int(round((h - th) / 2.0)), int(round((w - tw) / 2.0)), th, tw)


_NP_PAD = {"constant": "constant", "edge": "edge", "reflect": "reflect", "symmetric": "symmetric"}


def pad(img: Any, padding: int | Sequence[int], fill: float = 0, padding_mode: str = "constant"):
    """Pad the borders: ``padding`` is one int, ``(left/right, top/bottom)`` or
    ``(left, top, right, bottom)``; ``padding_mode`` constant, edge, reflect or symmetric."""
    if padding_mode not in _NP_PAD:
        raise ValueError(f"pad: padding_mode must be one of {list(_NP_PAD)}, got {padding_mode!r}")
    p = [padding] if isinstance(padding, int) else list(padding)
    if len(p) not in (1, 2, 4) or not all(isinstance(v, int) for v in p):
        raise ValueError(f"pad: padding must be an int or 1, 2 or 4 ints, got {padding!r}")
    left, top, right, bottom = {1: p * 4, 2: p * 2, 4: p}[len(p)]
    widths = [(top, bottom), (left, right)]
    kw = {"constant_values": fill} if padding_mode == "constant" else {}
    if _is_pil(img):
        arr = np.asarray(img)
        arr = np.pad(arr, widths + [(0, 0)] * (arr.ndim - 2), mode=padding_mode, **kw)
        return _pil().fromarray(arr, mode=img.mode)
    t = _check_tensor(img, "pad")
    arr = t.detach().cpu().numpy()
    arr = np.pad(arr, [(0, 0)] * (arr.ndim - 2) + widths, mode=padding_mode, **kw)
    return nerve.from_numpy(np.ascontiguousarray(arr))


def _pair(size: int | Sequence[int], what: str) -> tuple[int, int]:
    s = [size] if isinstance(size, int) else list(size)
    if len(s) == 1:
        s = s * 2
    if len(s) != 2 or not all(isinstance(v, int) and v > 0 for v in s):
        raise ValueError(f"{what} must be a positive int or (height, width), got {size!r}")
    return s[0], s[1]


def resize(img: Any, size: int | Sequence[int], interpolation: Any = "bilinear") -> Any:
    """Resize to ``(h, w)``, or -- for one int -- so that the smaller edge becomes ``size``."""
    w, h = get_image_size(img)
    if isinstance(size, int) or len(size) == 1:
        short = size if isinstance(size, int) else size[0]
        if short <= 0:
            raise ValueError(f"resize: size must be positive, got {size!r}")
        if w <= h:
            new_w, new_h = short, int(short * h / w)
        else:
            new_w, new_h = int(short * w / h), short
    else:
        new_h, new_w = _pair(size, "resize size")
    mode = _resample(interpolation)
    if _is_pil(img):
        return img.resize((new_w, new_h), mode)
    return _per_channel(_check_tensor(img, "resize"), lambda p: p.resize((new_w, new_h), mode))


def _affine_inverse(
    center: Sequence[float], angle: float, translate: Sequence[float], scale: float, shear: Any
) -> list[float]:
    """Coefficients ``(a, b, c, d, e, f)`` that map an output pixel back to the input pixel
    ``(a x + b y + c, d x + e y + f)`` -- what Pillow's AFFINE transform takes.

    The forward map rotates by ``angle`` degrees counter-clockwise about ``center``, scales,
    shears by ``shear`` (x, y degrees) and then translates, as torchvision's affine does."""
    rot, sx, sy = (math.radians(v) for v in (angle, shear[0], shear[1]))
    cx, cy = center
    tx, ty = translate
    # Rotation, scale and shear (image coordinates, y pointing down: -rot is counter-clockwise).
    a = math.cos(-rot - sy) / math.cos(sy)
    b = -math.cos(-rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(-rot)
    c = math.sin(-rot - sy) / math.cos(sy)
    d = -math.sin(-rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(-rot)
    rss = np.array([[a, b, 0.0], [c, d, 0.0], [0.0, 0.0, 1.0]]) * np.array([scale, scale, 1.0])
    rss[2, 2] = 1.0
    move = np.array([[1.0, 0.0, cx + tx], [0.0, 1.0, cy + ty], [0.0, 0.0, 1.0]])
    back = np.array([[1.0, 0.0, -cx], [0.0, 1.0, -cy], [0.0, 0.0, 1.0]])
    inverse = np.linalg.inv(move @ rss @ back)
    return inverse[:2].reshape(-1).tolist()


def affine(
    img: Any,
    angle: float,
    translate: Sequence[float],
    scale: float,
    shear: float | Sequence[float],
    interpolation: Any = "nearest",
    fill: float | Sequence[float] | None = 0,
    center: Sequence[float] | None = None,
) -> Any:
    """Rotate (degrees, counter-clockwise), translate (pixels), scale and shear, keeping the
    image's size; uncovered pixels get ``fill``."""
    if scale <= 0:
        raise ValueError(f"affine: scale must be positive, got {scale}")
    sh = [float(shear), 0.0] if isinstance(shear, (int, float)) else [float(v) for v in shear]
    sh = sh + [0.0] * (2 - len(sh))
    w, h = get_image_size(img)
    middle = (w * 0.5, h * 0.5) if center is None else tuple(center)
    coeffs = _affine_inverse(middle, angle, translate, scale, sh)
    Image, mode = _pil(), _resample(interpolation)

    def warp(p: Any, value: Any) -> Any:
        return p.transform((w, h), Image.Transform.AFFINE, coeffs, mode, fillcolor=value)

    if _is_pil(img):
        return warp(img, _pil_fill(fill, img))
    return _per_channel(_check_tensor(img, "affine"), lambda p: warp(p, _scalar(fill)))


def rotate(
    img: Any,
    angle: float,
    interpolation: Any = "nearest",
    expand: bool = False,
    center: Sequence[float] | None = None,
    fill: float | Sequence[float] | None = 0,
) -> Any:
    """Rotate by ``angle`` degrees counter-clockwise (``expand``: grow to hold the whole)."""
    mode = _resample(interpolation)
    if _is_pil(img):
        return img.rotate(angle, mode, expand, center, fillcolor=_pil_fill(fill, img))
    t = _check_tensor(img, "rotate")
    return _per_channel(t, lambda p: p.rotate(angle, mode, expand, center, fillcolor=_scalar(fill)))


def _scalar(fill: Any) -> float:
    if fill is None:
        return 0.0
    return float(fill if isinstance(fill, (int, float)) else list(fill)[0])


def _pil_fill(fill: Any, img: Any) -> Any:
    if fill is None:
        return None
    bands = len(img.getbands())
    if isinstance(fill, (int, float)):
        return fill if bands == 1 else tuple([int(fill)] * bands)
    return tuple(int(v) for v in fill) if bands > 1 else fill[0]


def rgb_to_grayscale(img: Any, num_output_channels: int = 1) -> Any:
    """Luma ``0.299 R + 0.587 G + 0.114 B`` (ITU-R 601-2), in 1 or 3 equal channels."""
    if num_output_channels not in (1, 3):
        raise ValueError(f"num_output_channels must be 1 or 3, got {num_output_channels}")
    if _is_pil(img):
        gray = img.convert("L")
        return gray if num_output_channels == 1 else gray.convert("RGB")
    t = _check_tensor(img, "rgb_to_grayscale")
    if t.dim() < 3 or int(t.shape[-3]) not in (1, 3):
        raise ValueError(f"rgb_to_grayscale: expected (..., 1 or 3, H, W), got {tuple(t.shape)}")
    if int(t.shape[-3]) == 3:
        r, g, b = t[..., 0:1, :, :], t[..., 1:2, :, :], t[..., 2:3, :, :]
        t = (0.2989 * r + 0.587 * g + 0.114 * b).to(t.dtype)
    return t if num_output_channels == 1 else t.expand(*t.shape[:-3], 3, *t.shape[-2:])
