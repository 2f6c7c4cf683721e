"""Pooling: the maximum or the mean of each window of an image (N, C, H, W), channel by channel.

Every window position is visited by one strided slice of the (padded) input per kernel tap:
a 2x2 pool is four slices and three ``maximum`` calls, with no Python loop over pixels and no
copy of the windows (a reshape plus ``max`` over two axes measured 30x slower).

The ops close under differentiation, so that double backward comes for free:

* :class:`MaxPool` (x) -> y; its gradient sends each output's gradient to the first maximum of
  its window. Which tap that was is found in the backward from x and y (one comparison per
  tap): the forward, which runs alone in evaluation, stays three ``maximum`` calls.
* :class:`AvgPool` (x) -> y and :class:`AvgPoolAdjoint` (g) -> dx, each other's gradient.
* :class:`PoolScatter` (g) -> dx and :class:`PoolGather` (h) -> g: routing values from outputs
  to the input positions a :class:`Selection` names, and back; each other's gradient. The max
  pools and ``max_unpool2d`` use them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..autograd.node import Node, run
from ..backend.device import xp_of
from .dual import data


@dataclass(frozen=True)
class Window:
    """How a pooling window slides over (H, W): per dimension its ``kernel`` size, ``stride``,
    implicit ``padding`` on both sides and ``dilation``; ``ceil_mode`` keeps a last, partial
    window that floor mode drops."""

    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: tuple[int, int] = (1, 1)
    ceil_mode: bool = False

    def out_size(self, size: tuple[int, ...]) -> tuple[int, int]:
        """torch's pooling output size: floor (or ceil) of the window count, where a last
        window in ceil mode must start inside the input or its left padding."""
        sizes = []
        for n, k, s, p, d in zip(size, self.kernel, self.stride, self.padding, self.dilation):
            span = n + 2 * p - d * (k - 1) - 1 + (s - 1 if self.ceil_mode else 0)
            out = span // s + 1
            if self.ceil_mode and (out - 1) * s >= n + p:
                out -= 1
            sizes.append(out)
        return sizes[0], sizes[1]

    def taps(self, out: tuple[int, int]) -> list[tuple[int, tuple[slice, slice]]]:
        """For each kernel tap t (in torch's scan order, row by row): the slice of the padded
        input that tap reads for every output position."""
        (kh, kw), (sh, sw), (dh, dw) = self.kernel, self.stride, self.dilation
        ho, wo = out
        return [
            (
                i * kw + j,
                (
                    slice(i * dh, i * dh + sh * (ho - 1) + 1, sh),
                    slice(j * dw, j * dw + sw * (wo - 1) + 1, sw),
                ),
            )
            for i in range(kh)
            for j in range(kw)
        ]

    def padded_size(self, size: tuple[int, ...]) -> tuple[int, int]:
        """The height and width the taps read: the padded input, and in ceil mode as far as
        the last window reaches."""
        out = self.out_size(size)
        return tuple(  # type: ignore[return-value]
            max(n + 2 * p, (o - 1) * s + d * (k - 1) + 1)
            for n, p, o, s, d, k in zip(
                size, self.padding, out, self.stride, self.dilation, self.kernel
            )
        )


def padded(x: Any, window: Window, fill: float) -> Any:
    """``x`` (..., H, W) inside a border of ``fill`` as wide as the taps read (``x`` itself
    when they read no border)."""
    size = x.shape[-2:]
    (hp, wp), (ph, pw) = window.padded_size(size), window.padding
    if (hp, wp) == tuple(size):
        return x
    xp = xp_of(x)
    out = xp.full((*x.shape[:-2], hp, wp), fill, dtype=x.dtype)
    out[..., ph : ph + size[0], pw : pw + size[1]] = x
    return out


def _lowest(x: Any) -> Any:
    """The border value of a max pool: below every value of ``x``'s dtype."""
    xp = xp_of(x)
    kind = x.dtype.kind
    if kind == "f":
        return -xp.inf
    return xp.iinfo(x.dtype).min if kind in "iu" else False


class Selection:
    """Which input position each output of a max pool came from; ``scatter`` sends values
    from the outputs to those positions (adding where two outputs chose the same one),
    ``gather`` reads the positions back (its adjoint)."""

    def scatter(self, g: Any) -> Any:
        raise NotImplementedError

    def gather(self, h: Any) -> Any:
        raise NotImplementedError


class WindowChoice(Selection):
    """For each tap of a sliding :class:`Window`, a mask of the outputs whose maximum it was."""

    def __init__(self, masks: list[Any], window: Window, shape: tuple[int, ...]) -> None:
        self.masks, self.window, self.shape = masks, window, tuple(shape)

    @classmethod
    def of(cls, x: Any, out: Any, window: Window) -> WindowChoice:
        """The first maximum of each window (torch's choice among ties, in scan order), or its
        last NaN where the window holds one (a NaN is the maximum, as in torch)."""
        xp = xp_of(x)
        source = padded(x, window, _lowest(x))
        taps = [source[..., rows, cols] for _, (rows, cols) in window.taps(out.shape[-2:])]
        masks = _first(xp, [tap == out for tap in taps])
        if x.dtype.kind == "f" and bool(xp.isnan(out).any()):  # NaN windows: their last NaN
            nans = _first(xp, [tap != tap for tap in reversed(taps)])[::-1]
            masks = [mask | nan for mask, nan in zip(masks, nans)]
        return cls(masks, window, x.shape)

    def scatter(self, g: Any) -> Any:
        xp = xp_of(g)
        window, size = self.window, self.shape[-2:]
        geometry = list(zip(window.stride, window.dilation, window.kernel, size, g.shape[-2:]))
        non_overlapping = all(s >= d * (k - 1) + 1 for s, d, k, _, _ in geometry)
        # every input position read by exactly one tap: no zeros needed under the writes
        tiled = window.padding == (0, 0) and all(
            s == k and (d == 1 or k == 1) and o * s == n for s, d, k, n, o in geometry
        )
        hp, wp = window.padded_size(size)
        out = (xp.empty if tiled else xp.zeros)((*self.shape[:-2], hp, wp), dtype=g.dtype)
        for (_, (rows, cols)), mask in zip(window.taps(g.shape[-2:]), self.masks):
            if non_overlapping:  # each input position is read by one tap of one window
                xp.multiply(g, mask, out=out[..., rows, cols])
            else:
                out[..., rows, cols] += g * mask
        (ph, pw) = window.padding
        if (hp, wp) == tuple(size):
            return out
        return out[..., ph : ph + size[0], pw : pw + size[1]]

    def gather(self, h: Any) -> Any:
        source = padded(h, self.window, 0)
        out = None
        for (_, (rows, cols)), mask in zip(self.window.taps(self.masks[0].shape[-2:]), self.masks):
            part = source[..., rows, cols] * mask
            out = part if out is None else out + part
        return out

    def flat_indices(self) -> Any:
        """torch's ``return_indices``: each maximum's position as h * W + w in its plane."""
        xp = xp_of(self.masks[0])
        kw, (sh, sw), (dh, dw) = self.window.kernel[1], self.window.stride, self.window.dilation
        (ph, pw), width = self.window.padding, self.shape[-1]
        ho, wo = self.masks[0].shape[-2:]
        rows = xp.arange(ho).reshape(-1, 1) * sh - ph
        cols = xp.arange(wo).reshape(1, -1) * sw - pw
        index = xp.zeros(self.masks[0].shape, dtype=xp.int64)
        for t, mask in enumerate(self.masks):
            i, j = divmod(t, kw)
            index += mask * ((rows + i * dh) * width + cols + j * dw)
        return index


class FlatIndices(Selection):
    """Positions given as h * W + w in each (H, W) plane (torch's pooling indices), for the
    outputs (..., Ho, Wo) of a pool over inputs ``shape`` (..., H, W). ``accumulate=False``
    writes instead of adding (``max_unpool2d``)."""

    def __init__(self, index: Any, shape: tuple[int, ...], accumulate: bool = True) -> None:
        self.index, self.shape, self.accumulate = index, tuple(shape), accumulate

    def scatter(self, g: Any) -> Any:
        xp = xp_of(g)
        planes = 1
        for n in self.shape[:-2]:
            planes *= n
        area = self.shape[-2] * self.shape[-1]
        index = self.index.reshape(planes, -1)
        if self.accumulate:  # one bincount over all planes: each plane offset by its area
            offsets = xp.arange(planes).reshape(-1, 1) * area
            flat = xp.bincount(
                (index + offsets).reshape(-1), weights=g.reshape(-1), minlength=planes * area
            )
            return flat.astype(g.dtype, copy=False).reshape(self.shape)
        out = xp.zeros((planes, area), dtype=g.dtype)
        out[xp.arange(planes).reshape(-1, 1), index] = g.reshape(planes, -1)
        return out.reshape(self.shape)

    def gather(self, h: Any) -> Any:
        xp = xp_of(h)
        planes = 1
        for n in self.shape[:-2]:
            planes *= n
        flat = h.reshape(planes, -1)
        picked = xp.take_along_axis(flat, self.index.reshape(planes, -1), axis=1)
        return picked.reshape(self.index.shape)


def _first(xp: Any, hits: list[Any]) -> list[Any]:
    """Each mask of ``hits`` less what an earlier one already has: the first hit only."""
    taken = hits[0].copy()
    for hit in hits[1:]:
        xp.greater(hit, taken, out=hit)  # hit and not taken before
        taken |= hit
    return hits


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


def max_windows(x: Any, window: Window) -> Any:
    """The maximum of every window: a running ``maximum`` over the taps' strided slices."""
    source = padded(x, window, _lowest(x))
    out = None
    xp = xp_of(x)
    for _, (rows, cols) in window.taps(window.out_size(x.shape[-2:])):
        tap = source[..., rows, cols]
        out = tap.copy() if out is None else xp.maximum(out, tap, out=out)
    return out


class MaxPool(Node):
    """y = the maximum of each window of x (..., H, W)."""

    saves_output = True

    def forward(self, x: Any, *, window: Window) -> Any:
        self.window = window
        return max_windows(x, window)

    def backward(self, g: Any) -> Any:
        choice = WindowChoice.of(data(self.input(0)), data(self.output()), self.window)
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
