"""dtype and device conversion as a differentiable op (``.to``, ``.float()``, ``.cuda()``)."""

from __future__ import annotations

from typing import Any

from ..autograd.node import Node, apply, run
from ..backend import dtypes
from ..backend.device import device, move
from ..tensor import Tensor


class Convert(Node):
    saves = ()

    def forward(self, x: Any, dtype: dtypes.dtype, target: device) -> Any:
        self.source_dtype = x.dtype
        self.source_device = _device_of(x)
        return move(x, target).astype(dtype.np, copy=True)

    def backward(self, g: Any) -> Any:
        dtype = dtypes.from_numpy_dtype(self.source_dtype)
        return run(Convert, g, dtype=dtype, target=self.source_device)


def _device_of(array: Any) -> device:
    from ..backend.device import device_of

    return device_of(array)


def convert(x: Tensor, dtype: dtypes.dtype, target: device) -> Tensor:
    """A copy of ``x`` with ``dtype`` on ``target``; gradients flow back converted."""
    if x.requires_grad and not dtype.is_floating_point:
        result = Tensor._make(move(x._data, target).astype(dtype.np))
        return result  # integer copies of a float tensor are cut off from the graph, as in torch
    return apply(Convert, x, dtype=dtype, target=target)
