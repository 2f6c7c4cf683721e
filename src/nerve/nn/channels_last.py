"""When ``nn.Sequential`` hands its convolutions channels-last maps.

A convolution with more than a few input channels copies its input's windows channels-last
and multiplies them as one (pixels, kh * kw * C) matrix (ops/conv_kernels.py). With the usual
(N, C, H, W) maps between layers, each such convolution first transposes its input to
channels-last and then its product back, and its backward does the same to the output's
gradient and to the input's: four transposing copies of a map per layer and step.

Inside a ``Sequential`` the maps between layers are not tensors the user can reach
(``forward`` returns only the last; a layer with a hook runs on its own, as in nn/fused.py).
So a stretch of layers that each keep their input's layout (:data:`LAYERS`: Conv2d, ReLU,
MaxPool2d, AdaptiveAvgPool2d, in torch's rule of backend/layout.py) runs on channels-last maps
when one of its convolutions reads channels-last windows: the stretch's input is copied
channels-last once (``contiguous(memory_format=nerve.channels_last)``, an op: its gradient
flows back), and its output made contiguous again when it is still an image. What the
``Sequential`` returns, and every gradient of a parameter, has the same shape and layout as
before; values agree up to the order of float additions in a few weight gradients.

Measured on C3 of benchmarks/cnn.py (one thread, AMD EPYC): its 32 -> 32 layer's forward and
backward 59.7 -> 52.2 ms, its 32 -> 64 layer's 26.4 -> 24.5, the 3 -> 32 layer's 4.2 -> 3.9,
the max pools even; C1 and C2, whose convolutions read planar windows, are left as they were.
Set ``nerve.nn.Sequential.channels_last_convolutions = False`` to keep every map NCHW.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..memory_formats import channels_last
from ..ops.conv_kernels import Geometry, planar
from ..tensor import Tensor
from .activation import ReLU
from .conv import Conv2d
from .module import Module
from .pooling import AdaptiveAvgPool2d, MaxPool2d

LAYERS: tuple[type[Module], ...] = (Conv2d, ReLU, MaxPool2d, AdaptiveAvgPool2d)
"""Layers whose ops give a channels-last output for a channels-last input, each measured as
fast or faster on channels-last maps."""

_FORWARDS = {cls: cls.forward for cls in LAYERS}  # to notice a replaced forward


def stretch_end(modules: list[Module], start: int, input: Any) -> int | None:
    """Where a channels-last stretch beginning at ``modules[start]`` ends (exclusive), or None
    when none begins there: ``input`` a 4-D float NumPy image batch in NCHW, and a run of plain
    :data:`LAYERS` from ``start`` holding a convolution that reads channels-last windows."""
    if not isinstance(input, Tensor):
        return None
    data = input._data
    if type(data) is not np.ndarray or data.ndim != 4 or data.dtype.kind != "f":
        return None
    end, worth_it = start, False
    while end < len(modules) and _plain(modules[end]):
        worth_it = worth_it or _reads_channels_last(modules[end])
        end += 1
    return end if worth_it else None


def enter(input: Tensor) -> Tensor:
    """The stretch's input, copied channels-last (a graph op: its gradient flows back)."""
    return input.contiguous(memory_format=channels_last)


def leave(output: Any) -> Any:
    """The stretch's output as the layers would have given it: contiguous."""
    if isinstance(output, Tensor) and output._data.ndim == 4:
        return output.contiguous()
    return output


def _plain(module: Module) -> bool:
    """A layer of :data:`LAYERS` itself (not a subclass), with its own forward and no hook."""
    kind = type(module)
    if kind not in _FORWARDS or "forward" in module.__dict__ or kind.forward is not _FORWARDS[kind]:
        return False
    if isinstance(module, Conv2d) and module.padding_mode != "zeros":
        return False
    return not module._hooked


def _reads_channels_last(module: Module) -> bool:
    """A convolution whose windows are copied channels-last (ops/conv_kernels.planar)."""
    if not isinstance(module, Conv2d):
        return False
    kernel = tuple(module.kernel_size)
    padding = module.padding if isinstance(module.padding, tuple) else (0, 0)
    geometry = Geometry(tuple(module.stride), padding, tuple(module.dilation), module.groups)
    return not planar(module.in_channels, kernel, geometry)  # type: ignore[arg-type]
