"""Pooling: the maximum or the mean of each window of an image (N, C, H, W), channel by channel.

Every window position is visited by one strided slice of the (padded) input per kernel tap:
a 2x2 pool is four slices and three ``maximum`` calls, with no Python loop over pixels and no
copy of the windows (a reshape plus ``max`` over two axes measured 30x slower).

The ops close under differentiation, so that double backward comes for free:

* :class:`MaxPool` (x) -> y; its gradient sends each output's gradient to the first maximum of
  its window. Which tap that was is found in the backward from x and y (``pool_select``:
  whole-image comparisons where the windows tile the image, else one per tap): the forward,
  which runs alone in evaluation, stays three ``maximum`` calls.
* :class:`AvgPool` (x) -> y and :class:`AvgPoolAdjoint` (g) -> dx, each other's gradient.
* :class:`PoolScatter` (g) -> dx and :class:`PoolGather` (h) -> g: routing values from outputs
  to the input positions a :class:`Selection` names, and back; each other's gradient. The max
  pools and ``max_unpool2d`` use them.
"""

from __future__ import annotations

from typing import Any

from ..autograd.node import Node, run
from ..backend.device import xp_of
from ..backend.layout import prefers_channels_last
from .dual import data
from .pool_select import (
    ChannelsLastChoice,
    FlatIndices,
    Selection,
    TiledChoice,
    WindowChoice,
)
from .pool_window import Window, _lowest, padded


class PoolScatter(Node):
    """dx from g: each output's value added at the input position ``selection`` names."""

    saves = ()

    def forward(self, g: Any, *, selection: Selection) -> Any:
        self.selection = selection
        return selection.scatter(g)

    def backward(self, h: Any) -> Any:
        return run(PoolGather, h, selection=self.selection)


class PoolGather(Node):
    """The adjoint of :class:`PoolScatter`: each output reads its chosen input position."""

    saves = ()

    def forward(self, h: Any, *, selection: Selection) -> Any:
        self.selection = selection
        return selection.gather(h)

    def backward(self, g: Any) -> Any:
        scatter_all = self.selection
        if isinstance(scatter_all, FlatIndices) and not scatter_all.accumulate:
            scatter_all = FlatIndices(scatter_all.index, scatter_all.shape)
        return run(PoolScatter, g, selection=scatter_all)


# Windows that tile the image (stride = kernel, no padding or dilation, sizes that divide):
# the common 2x2 pool. Their maximum is taken in two stages, along each row's kw columns and
# then over kh rows. The column stage compares the image, flattened, with itself shifted by
# 1 .. kw - 1 values: whole contiguous passes, which NumPy vectorizes, giving each position
# the maximum of itself and its right-hand neighbours; the row stage then reads every kw-th
# of them. Measured, one thread, against reading the kw columns as strided slices (which NumPy
# runs one value at a time): C3's 64x32x32x32 map 2.6 -> 1.1 ms, 64x64x16x16 0.73 -> 0.43,
# C2's and C1's maps 1.3-1.7x faster. The maxima are taken in the same order, so the result
# is the same to the bit (ties between -0.0 and 0.0 included). The backward of such a pool
# finds its choice with whole-image operations (TiledChoice).


def _running_max(xp: Any, parts: list[Any]) -> Any:
    """The elementwise maximum of ``parts`` (arrays of one shape), as a new array."""
    if len(parts) == 1:
        return parts[0].copy()
    out = xp.maximum(parts[0], parts[1])
    for part in parts[2:]:
        xp.maximum(out, part, out=out)
    return out


def tiled_max(x: Any, kernel: tuple[int, int]) -> Any:
    """The maximum of each window of an exactly tiling ``kernel``, in two stages (the
    column stage over the flat batch as it lies in memory, NCHW or channels-last)."""
    xp = xp_of(x)
    (kh, kw), (h, w) = kernel, x.shape[-2:]
    if prefers_channels_last(x):
        # a pixel's right-hand neighbour is C values on; the windows' first columns are runs
        n, c = x.shape[:2]
        across = _across(xp, x.transpose(0, 2, 3, 1).reshape(-1), kw, c)
        starts = across.reshape(n, h // kh, kh, w // kw, kw * c)[..., :c]
        out = _running_max(xp, [starts[:, :, i] for i in range(kh)])  # (N, Ho, Wo, C)
        return out.transpose(0, 3, 1, 2)
    across = _across(xp, x.reshape(-1), kw, 1)  # (a view of a contiguous image)
    rows = across.reshape(-1, kh, w)[:, :, ::kw]  # each window's kh rows side by side
    out = _running_max(xp, [rows[:, i] for i in range(kh)])
    return out.reshape(*x.shape[:-2], h // kh, w // kw)


def _across(xp: Any, flat: Any, kw: int, step: int) -> Any:
    """Position p of the flat batch: the maximum of the values at p, p + step, ..., p + (kw -
    1) step, its window row's kw columns (read only where a window starts), in one
    contiguous pass per column. A channels-last batch (step C, one thread): C3's 64x32x32x32
    map 1.0 ms comparing its columns' runs of C values, 0.68 ms so."""
    if kw == 1:
        return flat
    span = flat.size - (kw - 1) * step
    across = xp.empty_like(flat)
    xp.maximum(flat[:span], flat[step : span + step], out=across[:span])
    for j in range(2, kw):
        xp.maximum(across[:span], flat[j * step : span + j * step], out=across[:span])
    return across


def max_windows(x: Any, window: Window) -> Any:
    """The maximum of every window: a running ``maximum`` over the taps' strided slices (in
    two stages, columns then rows, when the windows tile the image)."""
    if window.tiles(x.shape):
        return tiled_max(x, window.kernel)
    source = padded(x, window, _lowest(x))
    taps = window.taps(window.out_size(x.shape[-2:]))
    return _running_max(xp_of(x), [source[..., rows, cols] for _, (rows, cols) in taps])


class MaxPool(Node):
    """y = the maximum of each window of x (..., H, W)."""

    saves_output = True

    def forward(self, x: Any, *, window: Window) -> Any:
        self.window = window
        return max_windows(x, window)

    def backward(self, g: Any) -> Any:
        x, out = data(self.input(0)), data(self.output())
        choice = (
            TiledChoice.of(x, out, self.window)
            or ChannelsLastChoice.of(x, out, self.window)
            or WindowChoice.of(x, out, self.window)
        )
        return run(PoolScatter, g, selection=choice)


class AdaptiveMaxPool(Node):
    """y = the maximum of each of Ho x Wo windows that tile x (..., H, W) (torch's adaptive
    windows: start floor(i H / Ho), end ceil((i + 1) H / Ho)); keeps the chosen positions."""

    saves = ()

    def forward(self, x: Any, *, out_size: tuple[int, int]) -> Any:
        out, self.indices = adaptive_max(x, out_size)
        self.shape = x.shape
        return out

    def backward(self, g: Any) -> Any:
        return run(PoolScatter, g, selection=FlatIndices(self.indices, self.shape))


def adaptive_bounds(xp: Any, n: int, out: int) -> tuple[Any, Any]:
    """The start and end (exclusive) of each of ``out`` adaptive windows over ``n``."""
    i = xp.arange(out)
    return (i * n) // out, -((-(i + 1) * n) // out)


def adaptive_max(x: Any, out_size: tuple[int, int]) -> tuple[Any, Any]:
    """Values and flat indices of adaptive max pooling. Each window is read with the widest
    window's number of taps, the narrower ones repeating their last row or column (a repeat
    never wins a strict comparison, so the first maximum is kept)."""
    xp = xp_of(x)
    (h, w), (ho, wo) = x.shape[-2:], out_size
    taps = []
    for n, o in ((h, ho), (w, wo)):
        start, end = adaptive_bounds(xp, n, o)
        width = int((end - start).max())
        taps.append(xp.minimum(start.reshape(-1, 1) + xp.arange(width), end.reshape(-1, 1) - 1))
    rows, cols = taps  # (Ho, kh), (Wo, kw)
    best = index = None
    for i in range(rows.shape[1]):
        for j in range(cols.shape[1]):
            r, c = rows[:, i].reshape(-1, 1), cols[:, j].reshape(1, -1)
            tap = x[..., r, c]
            where = r * w + c
            if best is None:
                best, index = tap.copy(), xp.broadcast_to(where, tap.shape).copy()
                continue
            better = (tap > best) | (tap != tap)  # torch: the last NaN
            best = xp.where(better, tap, best)
            index = xp.where(better, where, index)
    return best, index


class AvgPool(Node):
    """y = the sum of each window of x divided by ``divisor`` (a number, or one per output
    position): linear in x, so its gradient is its adjoint, :class:`AvgPoolAdjoint`."""

    saves = ()

    def forward(self, x: Any, *, window: Window, divisor: Any) -> Any:
        self.window, self.divisor, self.shape = window, divisor, x.shape
        source = padded(x, window, 0)
        out = None
        for _, (rows, cols) in window.taps(window.out_size(x.shape[-2:])):
            tap = source[..., rows, cols]
            out = tap.copy() if out is None else out.__iadd__(tap)
        return _divide(out, divisor)

    def backward(self, g: Any) -> Any:
        return run(AvgPoolAdjoint, g, window=self.window, divisor=self.divisor, shape=self.shape)


def _divide(out: Any, divisor: Any) -> Any:
    """``out / divisor`` in place (``out`` is a fresh array; its dtype is kept)."""
    if isinstance(divisor, (int, float)):
        out *= 1.0 / divisor
    else:
        out /= divisor
    return out


class AvgPoolAdjoint(Node):
    """dx from g for :class:`AvgPool`: each output's gradient, divided, spread over its
    window (the transposed pooling)."""

    saves = ()

    def forward(self, g: Any, *, window: Window, divisor: Any, shape: tuple[int, ...]) -> Any:
        self.window, self.divisor = window, divisor
        xp = xp_of(g)
        size = shape[-2:]
        hp, wp = window.padded_size(size)
        out = xp.zeros((*shape[:-2], hp, wp), dtype=g.dtype)
        share = _divide(g.copy(), divisor)
        for _, (rows, cols) in window.taps(g.shape[-2:]):
            out[..., rows, cols] += share
        (ph, pw) = window.padding
        if (hp, wp) == tuple(size):
            return out
        return out[..., ph : ph + size[0], pw : pw + size[1]]

    def backward(self, h: Any) -> Any:
        return run(AvgPool, h, window=self.window, divisor=self.divisor)


def avg_divisor(xp: Any, size: tuple[int, ...], window: Window, count_include_pad: bool) -> Any:
    """What each output of an average pool divides by (torch's rule): the window's area
    clipped to the padded input, or, without ``count_include_pad``, to the input itself.
    A plain number when every window has the same area."""
    out = window.out_size(size)
    factors = []
    for n, o, k, s, p in zip(size, out, window.kernel, window.stride, window.padding):
        start = xp.arange(o) * s - p
        end = xp.minimum(start + k, n + p)
        if not count_include_pad:
            start, end = xp.maximum(start, 0), xp.minimum(end, n)
        factors.append((end - start).astype(float))
    divisor = factors[0].reshape(-1, 1) * factors[1].reshape(1, -1)
    first = float(divisor.reshape(-1)[0])
    return first if bool((divisor == first).all()) else divisor


__all__ = ["AdaptiveMaxPool", "AvgPool", "AvgPoolAdjoint", "FlatIndices", "MaxPool"]
__all__ += ["PoolGather", "PoolScatter", "Selection", "Window", "WindowChoice"]
__all__ += ["adaptive_bounds", "avg_divisor"]
