"""Running extremes, quantiles and counts torch has at top level: cummax, cummin,
logcumsumexp, quantile, nanquantile, histc and unique_consecutive.

cummax and cummin find their indices over arrays and read the values with ``gather``, so the
gradient (each output's to the element it copied) is gather's. quantile sorts and
interpolates between two gathered neighbours: a composition too. logcumsumexp is a node of
its own: numpy's ``logaddexp.accumulate`` is exact where the usual max-shift is not (a
running maximum changes along the axis), and its backward is torch's formula, written once.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.node import Node, apply, run
from ..backend import dtypes
from ..backend.device import xp_of
from ..tensor import Tensor, _check_dim
from .dual import where
from .promotion import torch_name
from .reorder import Flip
from .return_types import _pair, return_types
from .unary import Abs, Exp, Log

__all__ = [
    "cummax",
    "cummin",
    "histc",
    "logcumsumexp",
    "nanquantile",
    "quantile",
    "unique_consecutive",
]

_INT64 = dtypes.int64.np

# nerve.return_types gathers torch's named tuples: these join them there
return_types.cummax = _pair("cummax")  # type: ignore[attr-defined]
return_types.cummin = _pair("cummin")  # type: ignore[attr-defined]


def _running_index(x: Any, axis: int, largest: bool) -> Any:
    """Where each running maximum (minimum) along ``axis`` was found: the latest of equal
    values; once a NaN is met the value stays NaN and the index is the latest NaN's (torch's
    rule)."""
    xp = xp_of(x)
    values = (xp.maximum if largest else xp.minimum).accumulate(x, axis=axis)
    update = x == values
    if x.dtype.kind == "f":
        update |= xp.isnan(x)
    shape = [-1 if d == axis else 1 for d in range(x.ndim)]
    positions = xp.arange(x.shape[axis], dtype=_INT64).reshape(shape)
    return xp.maximum.accumulate(xp.where(update, positions, 0), axis=axis)


def _cumulative_extreme(input: Tensor, dim: int, largest: bool, name: str) -> Any:
    pair = getattr(return_types, name)
    axis = _check_dim(dim, input._data.ndim, name)
    if input._data.ndim == 0:
        return pair(input.clone(), Tensor._make(xp_of(input._data).zeros((), _INT64)))
    if input._data.size == 0:
        return pair(input.clone(), Tensor._make(xp_of(input._data).zeros(input.shape, _INT64)))
    index = Tensor._make(_running_index(input._data, axis, largest))
    return pair(input.gather(axis, index), index)


def cummax(input: Tensor, dim: int) -> Any:
    """The running maximum along ``dim`` and where each was found, as ``(values, indices)``;
    the gradient of an output goes to the element it copies.

    Example:
        >>> import nerve
        >>> nerve.cummax(nerve.tensor([1, 3, 2, 5]), dim=0)
        nerve.return_types.cummax(
        values=tensor([1, 3, 3, 5]),
        indices=tensor([0, 1, 1, 3]))
    """
    return _cumulative_extreme(input, dim, True, "cummax")


def cummin(input: Tensor, dim: int) -> Any:
    """The running minimum along ``dim`` and where each was found, as ``(values, indices)``.

    Example:
        >>> import nerve
        >>> nerve.cummin(nerve.tensor([3, 1, 2, 0]), dim=0).values
        tensor([3, 1, 1, 0])
    """
    return _cumulative_extreme(input, dim, False, "cummin")


class LogCumSumExp(Node):
    """out_i = log(sum_{j <= i} exp(x_j)). Gradient: sum_{i >= j} g_i exp(x_j - out_i), formed
    as torch does, in log space for the positive and the negative parts of g separately, so
    that no exp overflows: a reversed logcumsumexp of log|g| - out, plus x, exponentiated."""

    saves_output = True

    def forward(self, x: Any, axis: int) -> Any:
        self.axis = axis
        return xp_of(x).logaddexp.accumulate(x, axis=axis)

    def backward(self, g: Any) -> Any:
        x, out, axes = self.input(0), self.output(), (self.axis,)
        lowest = float(np.finfo(x.dtype.np if isinstance(x, Tensor) else x.dtype).min)

        def reversed_running(t: Any) -> Any:
            flipped = run(LogCumSumExp, run(Flip, t, axes=axes), axis=self.axis)
            return run(Flip, flipped, axes=axes)

        # log|g| of a zero gradient is masked by ``lowest``, which may overflow to -inf when
        # shifted: exp makes both 0, the intended value
        with np.errstate(divide="ignore", over="ignore"):
            log_g = run(Log, run(Abs, g))
            positive = where(g > 0, log_g, lowest)
            negative = where(g < 0, log_g, lowest)
            return run(Exp, reversed_running(positive - out) + x) - run(
                Exp, reversed_running(negative - out) + x
            )


def logcumsumexp(input: Tensor, dim: int) -> Tensor:
    """log(cumsum(exp(x))) along ``dim``, computed without overflow.

    Example:
        >>> import nerve
        >>> nerve.logcumsumexp(nerve.tensor([0.0, 0.0, 100.0]), dim=0)
        tensor([  0.0000,   0.6931, 100.0000])
    """
    if input._data.dtype.kind != "f":
        raise NotImplementedError(
            f"\"logcumsumexp_out_cpu\" not implemented for '{torch_name(input.dtype)}'"
        )
    axis = _check_dim(dim, input._data.ndim, "logcumsumexp")
    if input._data.ndim == 0:
        return input.clone()
    return apply(LogCumSumExp, input, axis=axis)


def histc(input: Tensor, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:  # noqa: A002
    """Counts of the elements in ``bins`` equal-width bins between ``min`` and ``max`` (the
    data's own range when both are equal); elements outside are ignored. Not differentiable.

    Example:
        >>> import nerve
        >>> nerve.histc(nerve.tensor([1.0, 2.0, 1.0, 4.0]), bins=4, min=0, max=4)
        tensor([0., 2., 1., 1.])
    """
    x = input._data
    if x.dtype.kind != "f":
        raise NotImplementedError(
            f"\"histogram_cpu\" not implemented for '{torch_name(input.dtype)}'"
        )
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    if min > max:
        raise RuntimeError("torch.histc: max must be larger than min")
    xp = xp_of(x)
    low, high = x.dtype.type(min), x.dtype.type(max)
    if low == high and x.size:
        low, high = x.min(), x.max()
    if low == high:
        low, high = low - 1, high + 1
    inside = x[(x >= low) & (x <= high)]
    # torch's linear bin formula, in the input's dtype; the maximum falls in the last bin
    position = ((inside - low) * bins / (high - low)).astype(_INT64)
    position = xp.minimum(position, bins - 1)
    return Tensor._make(xp.bincount(position, minlength=bins).astype(x.dtype))


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(
    input: Tensor, q: Any, dim: int | None, keepdim: bool, interpolation: str, ignore_nan: bool
) -> Tensor:
    op = "quantile"  # torch's messages say quantile() for nanquantile too
    if input._data.dtype not in (dtypes.float32.np, dtypes.float64.np):
        raise RuntimeError(f"{op}() input tensor must be either float or double dtype")
    if input._data.size == 0:
        raise RuntimeError(f"{op}() input tensor must be non-empty")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(
            f"{op}() interpolation must be one of linear, lower, higher, midpoint or nearest, "
            f"but got {interpolation}"
        )
    xp = xp_of(input._data)
    if isinstance(q, Tensor):
        if q._data.ndim > 1:
            raise RuntimeError(f"{op}() q must be a scalar or 1D tensor")
        if q.dtype != input.dtype:
            raise RuntimeError(f"{op}() q tensor must be same dtype as the input tensor")
        scalar_q, qs = q._data.ndim == 0, q._data.reshape(-1)
        if bool(((qs < 0) | (qs > 1)).any()):
            raise RuntimeError(f"{op}() q values must be in the range [0, 1]")
    else:
        if not 0 <= q <= 1:
            raise RuntimeError(f"{op}() q must be in the range [0, 1] but got {q}")
        scalar_q, qs = True, xp.asarray([q], dtype=input._data.dtype)
    if dim is None:
        x, batch = input.reshape(-1), (1,) * input._data.ndim if keepdim else ()
    else:
        axis = _check_dim(dim, input._data.ndim, op)
        x = input.movedim(axis, -1) if input._data.ndim else input.reshape(1)
        kept = [(1 if d == axis else n) for d, n in enumerate(input.shape)]
        batch = tuple(kept if keepdim else (n for d, n in enumerate(input.shape) if d != axis))
    ordered = x.sort(dim=-1).values  # NaN sorts last
    n = ordered.shape[-1]
    nan = xp.isnan(ordered._data)
    if ignore_nan:  # rank among the numbers; all NaN: the last (a NaN)
        count = (~nan).sum(axis=-1, keepdims=True)
        ranks = qs * (count - 1).astype(qs.dtype)
        ranks = xp.where(count == 0, n - 1, ranks)
    else:  # a NaN in the slice: its quantiles are NaN (the last sorted value)
        ranks = xp.broadcast_to(qs * (n - 1), ordered.shape[:-1] + qs.shape)
        ranks = xp.where(nan[..., -1:], n - 1, ranks)
    if interpolation in ("lower", "higher", "nearest"):  # one rank: no interpolation
        pick = {"lower": xp.floor, "higher": xp.ceil, "nearest": xp.round}[interpolation]
        out = ordered.gather(-1, Tensor._make(pick(ranks).astype(_INT64)))
    else:
        below = xp.floor(ranks)
        low = ordered.gather(-1, Tensor._make(below.astype(_INT64)))
        high = ordered.gather(-1, Tensor._make(xp.ceil(ranks).astype(_INT64)))
        weights = xp.full_like(ranks, 0.5) if interpolation == "midpoint" else ranks - below
        out = low + Tensor._make(weights.astype(qs.dtype)) * (high - low)
    out = out.reshape(batch + (qs.shape[0],)).movedim(-1, 0)
    return out[0] if scalar_q else out


def quantile(
    input: Tensor,
    q: Any,
    dim: int | None = None,
    keepdim: bool = False,
    *,
    interpolation: str = "linear",
) -> Tensor:
    """The ``q``-quantiles (a number or a 1-D tensor in [0, 1]) over ``dim`` (all elements by
    default), interpolated between the two nearest ranks; a slice holding NaN gives NaN. A
    tensor ``q`` adds a first dimension, one entry per quantile.

    Example:
        >>> import nerve
        >>> x = nerve.tensor([1.0, 2.0, 3.0, 4.0])
        >>> nerve.quantile(x, 0.5), nerve.quantile(x, 0.5, interpolation="lower")
        (tensor(2.5000), tensor(2.))
    """
    return _quantile(input, q, dim, keepdim, interpolation, ignore_nan=False)


def nanquantile(
    input: Tensor,
    q: Any,
    dim: int | None = None,
    keepdim: bool = False,
    *,
    interpolation: str = "linear",
) -> Tensor:
    """As ``quantile``, with NaN left out (NaN only where a slice is all NaN).

    Example:
        >>> import nerve
        >>> nerve.nanquantile(nerve.tensor([1.0, float("nan"), 3.0]), 0.5)
        tensor(2.)
    """
    return _quantile(input, q, dim, keepdim, interpolation, ignore_nan=True)


def unique_consecutive(
    input: Tensor,
    return_inverse: bool = False,
    return_counts: bool = False,
    dim: int | None = None,
) -> Any:
    """``input`` with each run of equal consecutive elements (or slices along ``dim``) kept
    once; optionally the run each element belongs to and the runs' lengths.

    Example:
        >>> import nerve
        >>> nerve.unique_consecutive(nerve.tensor([1, 1, 2, 2, 3, 1]), return_counts=True)
        (tensor([1, 2, 3, 1]), tensor([2, 2, 1, 1]))
    """
    x = input._data
    xp = xp_of(x)
    if dim is None:
        rows = x.reshape(-1, 1)
    else:
        axis = _check_dim(dim, x.ndim, "unique_consecutive")
        moved = xp.moveaxis(x, axis, 0)
        rows = moved.reshape(moved.shape[0], -1)
    n = rows.shape[0]
    starts = xp.ones(n, dtype=bool)
    if n > 1:
        starts[1:] = (rows[1:] != rows[:-1]).any(axis=1)
    first = xp.flatnonzero(starts)
    if dim is None:
        values = x.reshape(-1)[first]
    else:
        values = xp.moveaxis(xp.moveaxis(x, axis, 0)[first], 0, axis)
    results: list[Any] = [Tensor._make(values)]
    if return_inverse:
        inverse = xp.cumsum(starts, dtype=_INT64) - 1
        results.append(Tensor._make(inverse.reshape(x.shape) if dim is None else inverse))
    if return_counts:
        ends = xp.concatenate([first[1:], xp.asarray([n])]) if n else first
        results.append(Tensor._make((ends - first).astype(_INT64)))
    return results[0] if len(results) == 1 else tuple(results)


TENSOR_METHODS = {
    "cummax": cummax,
    "cummin": cummin,
    "logcumsumexp": logcumsumexp,
    "histc": histc,
    "quantile": quantile,
    "nanquantile": nanquantile,
    "unique_consecutive": unique_consecutive,
}
