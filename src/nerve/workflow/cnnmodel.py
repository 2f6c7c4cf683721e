"""Step 02 for images: a convolutional network from a small spec (``[model] type = "cnn"``).

A :class:`CnnSpec` lists conv blocks -- ``Conv2d`` (padding ``kernel // 2``), optional
``BatchNorm2d``, the activation, an optional max-pool and ``Dropout2d`` -- then dense layers
as in the MLP, then the output layer the task needs (see :mod:`~nerve.workflow.model`).

The workflow keeps every data set as rows of features, so the network takes an image as its
``C*H*W`` pixels and starts with ``nn.Unflatten`` back to ``(C, H, W)``; optional training-time
augmentation (:class:`~nerve.workflow.images.ImageAugment`) follows, active in training mode
only, like dropout. Every size is checked on plain numbers before a weight is allocated.

Example:
    >>> spec = CnnSpec(input_shape=[1, 8, 8], channels=[4], output_size=10, hidden=[16])
    >>> spec.describe("multiclass")
    '1x8x8 -> conv 4 k3 (relu, pool 2) -> 16 (relu) -> 10 (linear), loss cross_entropy'
    >>> spec.feature_shapes()
    [(4, 4, 4)]
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from nerve import nn

from .errors import DataError, check_choice, check_fraction, check_int
from .model import (
    ACTIVATIONS,
    LOSSES,
    MAX_LAYERS,
    MAX_PARAMETERS,
    MAX_UNITS,
    ModelSpec,
    resolve_loss,
)
from .model import output_size as _output_size

__all__ = [
    "MAX_CHANNELS",
    "MAX_KERNEL",
    "MAX_BLOCKS",
    "MAX_IMAGE_SIDE",
    "MAX_IN_CHANNELS",
    "MAX_ACTIVATIONS",
    "AUGMENTATIONS",
    "CnnSpec",
    "build_cnn",
    "spec_from_dict",
]

# Bounds of a CNN spec, checked before allocating (a config or a model file may ask for
# anything). The lecture's CNNs have 2-4 blocks of 8-128 channels with 3x3 or 5x5 kernels.
MAX_CHANNELS = 1024
MAX_KERNEL = 31
MAX_BLOCKS = 16
MAX_IMAGE_SIDE = 4096
MAX_IN_CHANNELS = 4  # gray, RGB or RGBA
# Values of all feature maps of one example: 32 M float32 are 128 MB per example, kept for the
# backward pass; a batch of such examples is already more than a laptop holds.
MAX_ACTIVATIONS = 1 << 25
AUGMENTATIONS = ("flip", "crop", "rotate")


@dataclass
class CnnSpec:
    """A convolutional network as plain data (saved with the model).

    Args:
        input_shape: ``[channels, height, width]`` of the images.
        channels: output channels of each conv block, e.g. ``[16, 32]``.
        kernel, stride, pool: one value for all blocks or one per block (pool 1: none).
        batch_norm: ``BatchNorm2d`` after each conv (``BatchNorm1d`` in the dense layers).
        conv_dropout: ``Dropout2d`` probability after each block.
        hidden: dense layer sizes after the conv blocks.
        activation: one activation name for every layer.
        dropout: dropout probability after each dense layer.
        augment: training-time augmentations, from ``AUGMENTATIONS``.
        output_size: units of the output layer; loss: as in :class:`ModelSpec`.
    """

    input_shape: list[int]
    channels: list[int] = field(default_factory=lambda: [16, 32])
    kernel: list[int] = field(default_factory=lambda: [3])
    stride: list[int] = field(default_factory=lambda: [1])
    pool: list[int] = field(default_factory=lambda: [2])
    batch_norm: bool = False
    conv_dropout: float = 0.0
    hidden: list[int] = field(default_factory=lambda: [64])
    activation: str = "relu"
    dropout: float = 0.0
    augment: list[str] = field(default_factory=list)
    output_size: int = 1
    loss: str | None = None
    type: str = "cnn"

    def __post_init__(self) -> None:
        # Plain-number checks only: nothing is allocated before they all pass.
        if self.type != "cnn":
            raise DataError(f"a CNN spec has type 'cnn', got {self.type!r:.40}")
        shape = _ints("input_shape", self.input_shape, 1, MAX_IMAGE_SIDE)
        if len(shape) != 3:
            raise DataError(f"input_shape must be [channels, height, width], got {shape}")
        check_int("input channels", shape[0], 1, MAX_IN_CHANNELS)
        self.input_shape = shape
        if not 1 <= len(_list("channels", self.channels)) <= MAX_BLOCKS:
            raise DataError(f"channels lists {len(self.channels)} conv blocks; 1 to {MAX_BLOCKS}")
        self.channels = _ints("channels", self.channels, 1, MAX_CHANNELS)
        blocks = len(self.channels)
        self.kernel = _per_block("kernel", self.kernel, blocks, MAX_KERNEL)
        self.stride = _per_block("stride", self.stride, blocks, MAX_KERNEL)
        self.pool = _per_block("pool", self.pool, blocks, MAX_KERNEL)
        if len(_list("hidden", self.hidden)) > MAX_LAYERS:
            raise DataError(f"hidden lists {len(self.hidden)} layers; at most {MAX_LAYERS}")
        self.hidden = _ints("hidden layer size", self.hidden, 1, MAX_UNITS)
        self.output_size = check_int("output_size", self.output_size, 1, MAX_UNITS)
        for name in ("batch_norm",):
            if not isinstance(getattr(self, name), bool):
                raise DataError(f"{name} must be true or false, got {getattr(self, name)!r}")
        self.dropout = check_fraction("dropout", self.dropout, 0.0, 0.99)
        self.conv_dropout = check_fraction("conv_dropout", self.conv_dropout, 0.0, 0.99)
        if not isinstance(self.activation, str):
            raise DataError(f"a CNN takes one activation name, got {self.activation!r:.60}")
        check_choice("activation", self.activation, ACTIVATIONS)
        self.augment = [
            check_choice("augment", a, AUGMENTATIONS) for a in _list("augment", self.augment)
        ]
        if self.loss is not None:
            check_choice("loss", self.loss, LOSSES)
        maps = self.feature_shapes()  # raises when an image shrinks to nothing
        values = sum(c * h * w for c, h, w in maps) + sum(
            c * h * w for c, h, w in self._conv_shapes()
        )
        if values > MAX_ACTIVATIONS:
            raise DataError(
                f"the conv blocks {self.channels} on {self._shown()} images make {values:,} "
                f"feature-map values per image; at most {MAX_ACTIVATIONS:,} (use smaller images, "
                "fewer channels or a stride / pool)"
            )
        if self.n_parameters() > MAX_PARAMETERS:
            raise DataError(
                f"the CNN has {self.n_parameters():,} parameters; at most {MAX_PARAMETERS:,} "
                "(pool more before the dense layers, or use fewer channels)"
            )

    def _shown(self) -> str:
        return "x".join(map(str, self.input_shape))

    @property
    def input_size(self) -> int:
        """Pixels per image, ``C*H*W``: the width of the rows the network takes."""
        c, h, w = self.input_shape
        return c * h * w

    def _conv_shapes(self) -> list[tuple[int, int, int]]:
        """The shape after each conv (before its pool)."""
        shapes, (_, h, w) = [], self.input_shape
        for c, k, s, p in zip(self.channels, self.kernel, self.stride, self.pool):
            h, w = (h + 2 * (k // 2) - k) // s + 1, (w + 2 * (k // 2) - k) // s + 1
            shapes.append((c, h, w))
            h, w = h // p, w // p
        return shapes

    def feature_shapes(self) -> list[tuple[int, int, int]]:
        """The ``(C, H, W)`` output of each conv block (after its pool)."""
        shapes = []
        for i, ((c, h, w), p) in enumerate(zip(self._conv_shapes(), self.pool)):
            if h // p < 1 or w // p < 1:
                raise DataError(
                    f"{self._shown()} images shrink to nothing in conv block {i + 1} "
                    f"(kernel {self.kernel[i]}, stride {self.stride[i]}, pool {p}); use fewer "
                    "blocks, smaller strides or pool 1"
                )
            shapes.append((c, h // p, w // p))
        return shapes

    def weight_shapes(self) -> list[tuple[int, ...]]:
        """Each Conv2d's ``(out, in, k, k)`` and each Linear's ``(out, in)`` weight, in order."""
        shapes: list[tuple[int, ...]] = []
        width = self.input_shape[0]
        for c, k in zip(self.channels, self.kernel):
            shapes.append((c, width, k, k))
            width = c
        c, h, w = self.feature_shapes()[-1]
        sizes = [c * h * w, *self.hidden, self.output_size]
        return shapes + [(b, a) for a, b in zip(sizes, sizes[1:])]

    def n_parameters(self) -> int:
        """Weights and biases (and BatchNorm's scale and shift)."""
        total = 0
        for shape in self.weight_shapes():
            n = 1
            for s in shape:
                n *= s
            total += n + shape[0]
        if self.batch_norm:
            total += 2 * (sum(self.channels) + sum(self.hidden))
        return total

    def activations(self) -> list[str]:
        return [self.activation] * len(self.hidden)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CnnSpec:
        if not isinstance(d, dict):
            raise DataError(f"a model spec must be a dict, got {type(d).__name__}")
        unknown = set(d) - set(cls.__dataclass_fields__)
        if unknown or "input_shape" not in d:
            raise DataError(f"malformed CNN spec: keys {sorted(d)}")
        return cls(**d)

    def describe(self, task: str) -> str:
        """One line such as ``'1x28x28 -> conv 16 k3 (relu, pool 2) -> ... -> 10 (linear)'``."""
        parts = [self._shown()]
        for c, k, s, p in zip(self.channels, self.kernel, self.stride, self.pool):
            extras = [self.activation] + ["batchnorm"] * self.batch_norm
            extras += [f"pool {p}"] * (p > 1) + [f"dropout {self.conv_dropout:g}"] * bool(
                self.conv_dropout
            )
            parts.append(f"conv {c} k{k}{f' s{s}' if s > 1 else ''} ({', '.join(extras)})")
        for size in self.hidden:
            drop = f", dropout {self.dropout:g}" if self.dropout else ""
            parts.append(f"{size} ({self.activation}{drop})")
        loss = resolve_loss(task, self.loss)
        out = "sigmoid" if task != "regression" and loss in ("bce", "mse") else "linear"
        parts.append(f"{self.output_size} ({out})")
        aug = f", augment {'+'.join(self.augment)}" if self.augment else ""
        return " -> ".join(parts) + f", loss {loss}{aug}"


def _list(name: str, value: Any) -> list[Any]:
    if not isinstance(value, (list, tuple)):
        raise DataError(f"{name} must be a list, got {value!r:.60}")
    return list(value)


def _ints(name: str, value: Any, low: int, high: int) -> list[int]:
    return [check_int(name, v, low, high) for v in _list(name, value)]


def _per_block(name: str, value: Any, blocks: int, high: int) -> list[int]:
    """One value for every block, or exactly one per block."""
    values = _ints(name, value, 1, high)
    if len(values) == 1:
        return values * blocks
    if len(values) != blocks:
        raise DataError(
            f"{name} lists {len(values)} values for {blocks} conv blocks; give one or {blocks}"
        )
    return values


def spec_from_dict(d: Any) -> ModelSpec | CnnSpec:
    """The spec a model file stores: a :class:`CnnSpec` when its type says ``"cnn"``."""
    if isinstance(d, dict) and d.get("type", "mlp") == "cnn":
        return CnnSpec.from_dict(d)
    return ModelSpec.from_dict(d)


def build_cnn(spec: CnnSpec, task: str) -> nn.Sequential:
    """The ``nn.Sequential`` of ``spec``: Unflatten, augmentation, conv blocks, Flatten, dense
    layers, output layer (+ Sigmoid for a probability output)."""
    from .images import ImageAugment  # images.py builds on this module's spec

    loss = resolve_loss(task, spec.loss)
    expected = spec.output_size if task == "multiclass" else _output_size(task, 2, loss)
    if spec.output_size != expected or (task == "multiclass" and spec.output_size < 3):
        raise DataError(f"a {task} task with loss {loss!r} does not fit {spec.output_size} outputs")
    act = ACTIVATIONS[spec.activation]
    layers: list[nn.Module] = [nn.Unflatten(1, tuple(spec.input_shape))]
    if spec.augment:
        layers.append(ImageAugment(spec.augment))
    width = spec.input_shape[0]
    for c, k, s, p in zip(spec.channels, spec.kernel, spec.stride, spec.pool):
        layers.append(nn.Conv2d(width, c, k, stride=s, padding=k // 2))
        if spec.batch_norm:
            layers.append(nn.BatchNorm2d(c))
        layers.append(act())
        if p > 1:
            layers.append(nn.MaxPool2d(p))
        if spec.conv_dropout > 0:
            layers.append(nn.Dropout2d(spec.conv_dropout))
        width = c
    layers.append(nn.Flatten())
    c, h, w = spec.feature_shapes()[-1]
    width = c * h * w
    for size in spec.hidden:
        layers.append(nn.Linear(width, size))
        if spec.batch_norm:
            layers.append(nn.BatchNorm1d(size))
        layers.append(act())
        if spec.dropout > 0:
            layers.append(nn.Dropout(spec.dropout))
        width = size
    layers.append(nn.Linear(width, spec.output_size))
    if task != "regression" and loss in ("bce", "mse"):
        layers.append(nn.Sigmoid())
    return nn.Sequential(*layers)
