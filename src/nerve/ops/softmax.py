"""softmax and log_softmax, each one fused node with a numerically stable forward
(the maximum is subtracted before exponentiating) and a closed-form backward."""

from __future__ import annotations

import warnings
from typing import Any

from ..autograd.node import Node, apply, run
from ..backend.device import xp_of
from ..backend.reductions import extreme, total
from ..tensor import Tensor, _check_dim
from .dual import sum as dual_sum
from .promotion import softmax_operand
from .unary import Exp


class Softmax(Node):
    saves, saves_output = (), True

    def forward(self, x: Any, axis: int) -> Any:
        self.axis = axis
        xp = xp_of(x)
        shifted = x - extreme(x, axis, keepdims=True, largest=True)
        e = xp.exp(shifted, out=shifted)
        e /= total(e, (axis,), keepdims=True)
        return e

    def backward(self, g: Any) -> Any:
        out = self.output()
        return out * (g - dual_sum(g * out, (self.axis,), keepdim=True))


class LogSoftmax(Node):
    saves, saves_output = (), True

    def forward(self, x: Any, axis: int) -> Any:
        self.axis = axis
        xp = xp_of(x)
        shifted = x - extreme(x, axis, keepdims=True, largest=True)
        shifted -= xp.log(total(xp.exp(shifted), (axis,), keepdims=True))
        return shifted

    def backward(self, g: Any) -> Any:
        return g - run(Exp, self.output()) * dual_sum(g, (self.axis,), keepdim=True)


def _softmax_axis(input: Tensor, dim: int | None, name: str) -> int:
    ndim = input._data.ndim
    if dim is None:
        dim = 0 if ndim in (0, 1, 3) else 1
        warnings.warn(
            f"Implicit dimension choice for {name} has been deprecated. Change the call to "
            "include dim=X as an argument.",
            stacklevel=3,
        )
    return _check_dim(dim, ndim, name) if ndim else 0


def softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``dim``: probabilities that sum to one.

    Example:
        >>> import nerve
        >>> nerve.softmax(nerve.tensor([1.0, 1.0]), dim=0)
        tensor([0.5000, 0.5000])
    """
    if dtype is not None:
        input = input.to(dtype)
    input = softmax_operand(input, "softmax", dim)
    if input._data.ndim == 0:
        return apply(Softmax, input.reshape(1), axis=0).reshape(())
    return apply(Softmax, input, axis=_softmax_axis(input, dim, "softmax"))


def log_softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    """log(softmax(x)) computed without forming the (possibly underflowing) softmax.

    Example:
        >>> import nerve
        >>> nerve.log_softmax(nerve.tensor([1.0, 1.0]), dim=0)
        tensor([-0.6931, -0.6931])
    """
    if dtype is not None:
        input = input.to(dtype)
    input = softmax_operand(input, "log_softmax", dim)
    if input._data.ndim == 0:
        return apply(LogSoftmax, input.reshape(1), axis=0).reshape(())
    return apply(LogSoftmax, input, axis=_softmax_axis(input, dim, "log_softmax"))


def softmin(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    """softmax(-x) along ``dim``: probabilities that favour the smallest values.

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> F.softmin(nerve.tensor([1.0, 2.0, 3.0]), dim=0)
        tensor([0.6652, 0.2447, 0.0900])
    """
    if dtype is not None:
        input = input.to(dtype)
    input = softmax_operand(input, "softmin", dim)
    if input._data.ndim:  # (its own name in the warning for a missing dim)
        dim = _softmax_axis(input, dim, "softmin")
    return softmax(-input, dim)
