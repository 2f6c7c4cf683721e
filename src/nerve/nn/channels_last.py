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
when a convolution that reads channels-last windows takes its input from an earlier layer of
the stretch: the stretch's input is copied channels-last once
(``contiguous(memory_format=nerve.channels_last)``, an op: its gradient flows back), and its
output made contiguous again when it is still an image (whose gradient is made channels-last
in turn, so that the backward runs on channels-last maps too). A lone convolution (between
BatchNorm2d layers, say, which are slower on channels-last maps) is left as it is: it would
trade its own transposing copies for the stretch's two. What the
``Sequential`` returns, and every gradient of a parameter, has the same shape and layout as
before; values agree up to the order of float additions in a few weight gradients.

Measured on C3 of benchmarks/cnn.py (one thread, AMD EPYC): its 32 -> 32 layer's forward and
backward 59.7 -> 52.2 ms, its 32 -> 64 layer's 26.4 -> 24.5, the 3 -> 32 layer's 4.2 -> 3.9,
the max pools even; C1 and C2, whose convolutions read planar windows, are left as they were.
Set ``nerve.nn.Sequential.channels_last_convolutions = False`` to keep every map NCHW.
"""

from __future__ import annotations

from typing import Any
from weakref import finalize

import numpy as np

from ..memory_formats import channels_last
from ..ops.conv_kernels import Geometry, planar
from ..tensor import Tensor
from .activation import ReLU
from .conv import Conv2d
from .module import Module
from .module_tree import EDITS, class_forwards, same_forwards
from .pooling import AdaptiveAvgPool2d, MaxPool2d

LAYERS: tuple[type[Module], ...] = (Conv2d, ReLU, MaxPool2d, AdaptiveAvgPool2d)
"""Layers whose ops give a channels-last output for a channels-last input, each measured as
fast or faster on channels-last maps."""

_FORWARDS = {cls: cls.forward for cls in LAYERS}  # to notice a replaced forward


def stretches(sequential: Module, modules: list[Module]) -> dict[int, int]:
    """Where each channels-last stretch of ``sequential``'s ``modules`` begins and ends
    (exclusive): a run of plain :data:`LAYERS` from a convolution on, holding a later
    convolution that reads channels-last windows. Worked out once and kept while no module changed
    anywhere (``nn.module_tree.EDITS``, which hooks and options move too) and no layer class
    got a new forward, as nn/fused.py keeps its decisions: a C1-size step would otherwise
    spend 5% of its time finding none."""
    key = id(sequential)
    kept = _kept.get(key)
    if kept is not None and kept[0] == EDITS[0] and same_forwards(kept[1]):
        return kept[2]
    found: dict[int, int] = {}
    position = 0
    while position < len(modules):
        end = position
        while end < len(modules) and _plain(modules[end]):
            end += 1
        convolutions = [i for i in range(position, end) if isinstance(modules[i], Conv2d)]
        # worth it when such a convolution takes a map made inside the stretch: alone, it
        # would trade its own transposing copies for the stretch's two (measured: a Conv2d,
        # BatchNorm2d, ReLU network 5% slower so)
        if any(_reads_channels_last(modules[i]) for i in convolutions[1:]):
            found[convolutions[0]] = end
        position = end + 1
    if key not in _kept:
        finalize(sequential, _kept.pop, key, None)
    _kept[key] = (EDITS[0], class_forwards(modules), found)
    return found


# By the Sequential's id (see nn/fused.py's _decisions): (EDITS then, the classes' forwards,
# the stretches).
_kept: dict[int, tuple[int, Any, dict[int, int]]] = {}


def fits(input: Any) -> bool:
    """Whether a stretch can take ``input``: a 4-D float NumPy image batch."""
    if not isinstance(input, Tensor):
        return False
    data = input._data
    return type(data) is np.ndarray and data.ndim == 4 and data.dtype.kind == "f"


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
