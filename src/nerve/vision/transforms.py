"""torchvision's transforms for what learners use: ``Compose``, ``ToTensor``, ``Normalize``,
``Resize``, ``CenterCrop``, ``RandomCrop``, ``RandomHorizontalFlip``, ``RandomRotation``,
``RandomAffine``, ``Grayscale``, ``Lambda``.

Same names, arguments and semantics as ``torchvision.transforms``: a transform is a callable
on a PIL image (or a ``(C, H, W)`` tensor) that returns the transformed image. The random
ones draw from nerve's default generator, so ``nerve.manual_seed`` makes them reproducible.

Example:
    >>> import numpy as np
    >>> from PIL import Image
    >>> t = Compose([RandomHorizontalFlip(p=1.0), ToTensor(), Normalize((0.5,), (0.5,))])
    >>> x = t(Image.fromarray(np.array([[0, 255]], dtype=np.uint8)))
    >>> tuple(x.shape), x.tolist()
    ((1, 1, 2), [[[1.0, -1.0]]])
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

from nerve.random import numpy_generator

from . import functional as F
from .functional import InterpolationMode

__all__ = [
    "Compose",
    "ToTensor",
    "Normalize",
    "Resize",
    "CenterCrop",
    "RandomCrop",
    "RandomHorizontalFlip",
    "RandomRotation",
    "RandomAffine",
    "Grayscale",
    "Lambda",
    "InterpolationMode",
]


def _uniform(low: float, high: float) -> float:
    return float(numpy_generator(None).uniform(low, high))


def _range(value: Any, name: str, center: float = 0.0) -> tuple[float, float]:
    """One number ``d`` as ``(center - d, center + d)``, or a ``(low, high)`` pair."""
    if isinstance(value, numbers.Number):
        if value < 0:
            raise ValueError(f"If {name} is a single number, it must be positive.")
        return (center - float(value), center + float(value))
    pair = [float(v) for v in value]
    if len(pair) != 2:
        raise ValueError(f"If {name} is a sequence, it must be of len 2.")
    return pair[0], pair[1]


class Compose:
    """Apply ``transforms`` one after another."""

    def __init__(self, transforms: Sequence[Callable[[Any], Any]]) -> None:
        self.transforms = list(transforms)

    def __call__(self, img: Any) -> Any:
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        inner = "".join(f"\n    {t}" for t in self.transforms)
        return f"{type(self).__name__}({inner}\n)"


class ToTensor:
    """A PIL image or an ``(H, W, C)`` uint8 array as a float32 ``(C, H, W)`` tensor in [0, 1]."""

    def __call__(self, pic: Any) -> Any:
        return F.to_tensor(pic)

    def __repr__(self) -> str:
        return "ToTensor()"


class Normalize:
    """``(x - mean[c]) / std[c]`` per channel of a tensor image."""

    def __init__(self, mean: Sequence[float], std: Sequence[float], inplace: bool = False):
        self.mean, self.std, self.inplace = mean, std, inplace

    def __call__(self, tensor: Any) -> Any:
        return F.normalize(tensor, self.mean, self.std)

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean}, std={self.std})"


class Resize:
    """Resize to ``size`` (``(h, w)``, or one int for the smaller edge)."""

    def __init__(self, size: int | Sequence[int], interpolation: Any = InterpolationMode.BILINEAR):
        self.size, self.interpolation = size, interpolation

    def __call__(self, img: Any) -> Any:
        return F.resize(img, self.size, self.interpolation)

    def __repr__(self) -> str:
        return f"Resize(size={self.size})"


class CenterCrop:
    """The centred ``size`` window."""

    def __init__(self, size: int | Sequence[int]) -> None:
        self.size = size

    def __call__(self, img: Any) -> Any:
        return F.center_crop(img, self.size)

    def __repr__(self) -> str:
        return f"CenterCrop(size={self.size})"


class RandomCrop:
    """A ``size`` window at a random place, after optional ``padding`` (one int, 2 or 4)."""

    def __init__(
        self,
        size: int | Sequence[int],
        padding: int | Sequence[int] | None = None,
        pad_if_needed: bool = False,
        fill: float = 0,
        padding_mode: str = "constant",
    ) -> None:
        self.size = F._pair(size, "RandomCrop size")
        self.padding, self.pad_if_needed = padding, pad_if_needed
        self.fill, self.padding_mode = fill, padding_mode

    @staticmethod
    def get_params(img: Any, output_size: tuple[int, int]) -> tuple[int, int, int, int]:
        """``(top, left, height, width)`` of a random window of ``output_size``."""
        w, h = F.get_image_size(img)
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(
                f"Required crop size {(th, tw)} is larger than input image size {(h, w)}"
            )
        if (h, w) == (th, tw):
            return 0, 0, h, w
        rng = numpy_generator(None)
        return int(rng.integers(0, h - th + 1)), int(rng.integers(0, w - tw + 1)), th, tw

    def __call__(self, img: Any) -> Any:
        if self.padding is not None:
            img = F.pad(img, self.padding, self.fill, self.padding_mode)
        w, h = F.get_image_size(img)
        th, tw = self.size
        if self.pad_if_needed and (w < tw or h < th):
            img = F.pad(img, [max(tw - w, 0), max(th - h, 0)], self.fill, self.padding_mode)
        return F.crop(img, *self.get_params(img, self.size))

    def __repr__(self) -> str:
        return f"RandomCrop(size={self.size}, padding={self.padding})"


class RandomHorizontalFlip:
    """Mirror left to right with probability ``p``."""

    def __init__(self, p: float = 0.5) -> None:
        self.p = p

    def __call__(self, img: Any) -> Any:
        return F.hflip(img) if numpy_generator(None).random() < self.p else img

    def __repr__(self) -> str:
        return f"RandomHorizontalFlip(p={self.p})"


class RandomRotation:
    """Rotate by an angle drawn uniformly from ``degrees`` (``d``: from -d to d)."""

    def __init__(
        self,
        degrees: float | Sequence[float],
        interpolation: Any = InterpolationMode.NEAREST,
        expand: bool = False,
        center: Sequence[float] | None = None,
        fill: float | Sequence[float] = 0,
    ) -> None:
        self.degrees = _range(degrees, "degrees")
        self.interpolation, self.expand, self.center, self.fill = (
            interpolation,
            expand,
            center,
            fill,
        )

    @staticmethod
    def get_params(degrees: Sequence[float]) -> float:
        return _uniform(degrees[0], degrees[1])

    def __call__(self, img: Any) -> Any:
        angle = self.get_params(self.degrees)
        return F.rotate(img, angle, self.interpolation, self.expand, self.center, self.fill)

    def __repr__(self) -> str:
        return f"RandomRotation(degrees={list(self.degrees)})"


class RandomAffine:
    """Random rotation, translation (fractions of width and height), scale and shear."""

    def __init__(
        self,
        degrees: float | Sequence[float],
        translate: Sequence[float] | None = None,
        scale: Sequence[float] | None = None,
        shear: float | Sequence[float] | None = None,
        interpolation: Any = InterpolationMode.NEAREST,
        fill: float | Sequence[float] = 0,
        center: Sequence[float] | None = None,
    ) -> None:
        self.degrees = _range(degrees, "degrees")
        if translate is not None and (
            len(translate) != 2 or not all(0.0 <= t <= 1.0 for t in translate)
        ):
            raise ValueError("translate should be a sequence of 2 values between 0 and 1")
        if scale is not None and (len(scale) != 2 or any(s <= 0 for s in scale)):
            raise ValueError("scale values should be positive")
        self.translate, self.scale = translate, scale
        if shear is None or isinstance(shear, numbers.Number):
            self.shear = None if shear is None else list(_range(shear, "shear"))
        else:
            self.shear = [float(s) for s in shear]
            if len(self.shear) not in (2, 4):
                raise ValueError("shear should be a sequence of length 2 or 4.")
        self.interpolation, self.fill, self.center = interpolation, fill, center

    @staticmethod
    def get_params(
        degrees: Sequence[float],
        translate: Sequence[float] | None,
        scale_ranges: Sequence[float] | None,
        shears: Sequence[float] | None,
        img_size: Sequence[int],
    ) -> tuple[float, tuple[int, int], float, tuple[float, float]]:
        """Angle, ``(tx, ty)`` in pixels, scale and ``(shear_x, shear_y)``, drawn in
        torchvision's order."""
        angle = _uniform(degrees[0], degrees[1])
        tx = ty = 0
        if translate is not None:
            max_dx, max_dy = translate[0] * img_size[0], translate[1] * img_size[1]
            tx = int(round(_uniform(-max_dx, max_dx)))
            ty = int(round(_uniform(-max_dy, max_dy)))
        scale = 1.0 if scale_ranges is None else _uniform(scale_ranges[0], scale_ranges[1])
        sx = sy = 0.0
        if shears is not None:
            sx = _uniform(shears[0], shears[1])
            if len(shears) == 4:
                sy = _uniform(shears[2], shears[3])
        return angle, (tx, ty), scale, (sx, sy)

    def __call__(self, img: Any) -> Any:
        size = F.get_image_size(img)
        angle, move, scale, shear = self.get_params(
            self.degrees, self.translate, self.scale, self.shear, size
        )
        return F.affine(img, angle, move, scale, shear, self.interpolation, self.fill, self.center)

    def __repr__(self) -> str:
        return f"RandomAffine(degrees={list(self.degrees)}, translate={self.translate})"


class Grayscale:
    """Convert to grayscale with 1 or 3 output channels."""

    def __init__(self, num_output_channels: int = 1) -> None:
        self.num_output_channels = num_output_channels

    def __call__(self, img: Any) -> Any:
        return F.rgb_to_grayscale(img, self.num_output_channels)

    def __repr__(self) -> str:
        return f"Grayscale(num_output_channels={self.num_output_channels})"


class Lambda:
    """A user function as a transform."""

    def __init__(self, lambd: Callable[[Any], Any]) -> None:
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__!r}")
        self.lambd = lambd

    def __call__(self, img: Any) -> Any:
        return self.lambd(img)

    def __repr__(self) -> str:
        return "Lambda()"
