"""Normalization over some axes as one op: the core of BatchNorm, LayerNorm, GroupNorm and
InstanceNorm.

``(x - mean) / sqrt(var + eps)``, mean and biased variance taken over ``axes``, written as
means, differences and products is eight recorded ops, each a pass over the whole input
forward and more backward. As one node the forward is five passes, and the backward is the
closed form (m the mean over ``axes``, xhat the normalized input, 1/std kept from the forward)::

    dx = (g - m(g) - xhat * m(g * xhat)) / std

which is the derivative of the composition, rounding aside. Measured on one thread, forward
and backward with the layers' own affine ops, composition -> this op (torch in brackets):
LayerNorm(128) on a (32, 64, 128) batch 1.65 -> 0.95 ms (0.30-0.35), BatchNorm2d on
64x32x32x32 15.6 -> 12.1 ms (7.2-8.2), on 64x8x28x28 1.92 -> 1.57 ms (1.1-1.3), GroupNorm(4, 32)
on 64x32x32x32 13.6 -> 11.2 ms (2.2-2.4), InstanceNorm2d on 64x8x28x28 1.48 -> 0.86 ms (1.0).

As torch's ops do, the node checks its input's version (an in-place change to it before
``backward`` is the usual error), not its output's: a ReLU(inplace=True) may follow. It keeps
xhat for the backward in an array of its own; the output handed out is a copy. Under
``create_graph`` it runs the composition again as recorded ops and differentiates that, so
second derivatives are the composition's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..autograd.functional import composition_gradients
from ..autograd.node import Node, apply
from ..backend.device import xp_of
from ..backend.reductions import total
from ..tensor import Tensor
from .dual import sum_per_channel


@dataclass
class Moments:
    """What :class:`Standardize` used, for BatchNorm's running statistics: the mean and the
    biased variance over the normalized axes (arrays, the axes kept with size 1)."""

    mean: Any = None
    var: Any = None


class Standardize(Node):
    """Inputs: ``x``. Parameters: ``axes`` (sorted, non-negative), ``eps``, and ``moments``,
    filled with the statistics used."""

    saves = (0,)  # x, as torch's ops save their input (its in-place change is an error)

    def forward(self, x: Any, axes: tuple[int, ...], eps: float, moments: Moments) -> Any:
        self.axes, self.eps = axes, eps
        mean = mean_over(x, axes)
        centred = x - mean
        var = mean_over(centred * centred, axes)
        moments.mean, moments.var = mean, var
        self.inverse_std = inverse_std = 1 / xp_of(var).sqrt(var + eps)
        centred *= inverse_std
        # kept for the backward, private: the output handed out may be changed in place (a
        # contiguous copy costs less than scaling again in the backward)
        self.normalized = centred
        return centred.copy(order="K")  # (in the input's layout: channels-last stays so)

    def backward(self, g: Any) -> Any:
        if isinstance(g, Tensor):  # create_graph: a gradient that is differentiable again
            return self._recorded_backward(g)
        normalized = self.normalized
        out = mean_over(g * normalized, self.axes) * normalized
        xp_of(g).subtract(g, out, out=out)
        out -= mean_over(g, self.axes)
        out *= self.inverse_std
        return out

    def _recorded_backward(self, g: Tensor) -> Tensor:
        def composed(x: Tensor) -> Tensor:
            return standardize_composed(x, self.axes, self.eps)[0]

        return composition_gradients(self.inputs, self.needs_input_grad, composed, [g])[0]

    def release(self) -> None:
        super().release()
        self.normalized = self.inverse_std = None


def standardize(x: Tensor, axes: tuple[int, ...], eps: float) -> tuple[Tensor, Tensor, Tensor]:
    """``(x - mean) / sqrt(var + eps)`` over ``axes``, one op for a float tensor, and the
    mean and biased variance it used (tensors outside the graph, the axes kept with size 1).
    Other dtypes take the composition, with its errors (the mean of integers is one).

    Example:
        >>> import nerve
        >>> out, mean, var = standardize(nerve.tensor([[1.0, 3.0], [2.0, 6.0]]), (1,), 0.0)
        >>> out, mean.flatten(), var.flatten()
        (tensor([[-1.,  1.],
                [-1.,  1.]]), tensor([2., 4.]), tensor([1., 4.]))
    """
    if not x.is_floating_point():
        out, mean, var = standardize_composed(x, axes, eps)
        return out, mean.detach(), var.detach()
    moments = Moments()
    axes = tuple(sorted(a % x._data.ndim for a in axes))
    out = apply(Standardize, x, axes=axes, eps=eps, moments=moments)
    return out, Tensor._make(moments.mean), Tensor._make(moments.var)


def standardize_composed(
    x: Tensor, axes: tuple[int, ...], eps: float
) -> tuple[Tensor, Tensor, Tensor]:
    """The same as recorded ops (means, a difference, a product and an rsqrt), with the mean
    and variance: what :class:`Standardize` differentiates under ``create_graph``."""
    mean = x.mean(dim=axes, keepdim=True)
    centred = x - mean
    var = (centred * centred).mean(dim=axes, keepdim=True)
    return centred * (var + eps).rsqrt(), mean, var


def mean_over(a: Any, axes: tuple[int, ...]) -> Any:
    """``a.mean(axis=axes, keepdims=True)``, its sums taken as products with ones where the
    axes allow (backend.reductions.total): trailing axes (LayerNorm, GroupNorm) as the rows'
    sums, and BatchNorm's every axis but the second as ``sum_per_channel``."""
    shape = a.shape
    count = 1
    for axis in axes:
        count *= shape[axis]
    ndim = len(shape)
    if type(a) is not np.ndarray or not count or a.dtype.char not in "fd":
        return xp_of(a).mean(a, axis=axes, keepdims=True)
    if axes == tuple(range(ndim - len(axes), ndim)):
        sums = total(a.reshape(-1, count), (1,))
    elif ndim > 1 and axes == (0, *range(2, ndim)):
        sums = sum_per_channel(a)
    else:
        return a.mean(axis=axes, keepdims=True)
    sums = sums.reshape(tuple(1 if axis in axes else n for axis, n in enumerate(shape)))
    sums /= count
    return sums
