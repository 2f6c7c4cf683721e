"""Which input position each output of a max pool chose (its first maximum, as torch), kept
for the backward: ``scatter`` sends gradients from the outputs to those positions and
``gather`` reads them back (its adjoint)."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from ..backend.device import xp_of
from ..backend.layout import empty, prefers_channels_last, to_channels_last
from ..backend.reductions import all_finite as _finite
from .pool_window import Window, _lowest, padded


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

    def __init__(
        self, masks: list[Any], window: Window, shape: tuple[int, ...], channels_last: bool = False
    ) -> None:
        self.masks, self.window, self.shape = masks, window, tuple(shape)
        self.channels_last = channels_last  # the input's layout, which its gradient takes

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
        return cls(masks, window, x.shape, prefers_channels_last(x))

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
        fill = None if tiled else xp.zeros
        out = empty((*self.shape[:-2], hp, wp), g.dtype, self.channels_last, xp, fill)
        finite = _finite(g)
        for (_, (rows, cols)), mask in zip(window.taps(g.shape[-2:]), self.masks):
            if non_overlapping and finite:  # each input position is read by one tap
                xp.multiply(g, mask, out=out[..., rows, cols])
            elif non_overlapping:
                out[..., rows, cols] = xp.where(mask, g, 0)
            else:
                out[..., rows, cols] += _picked(xp, g, mask, finite)
        (ph, pw) = window.padding
        if (hp, wp) == tuple(size):
            return out
        inside = out[..., ph : ph + size[0], pw : pw + size[1]]
        # dense in the input's layout, as torch's gradient is
        return to_channels_last(inside) if self.channels_last else xp.ascontiguousarray(inside)

    def gather(self, h: Any) -> Any:
        xp, source, finite = xp_of(h), padded(h, self.window, 0), _finite(h)
        out = None
        for (_, (rows, cols)), mask in zip(self.window.taps(self.masks[0].shape[-2:]), self.masks):
            part = _picked(xp, source[..., rows, cols], mask, finite)
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


class TiledChoice(Selection):
    """The first maximum of each window, for windows that tile the image (a 2x2 pool with
    stride 2, say), found and used with whole-image array operations.

    :class:`WindowChoice` compares and writes one tap at a time through strided slices, and
    NumPy restarts its inner loop on every output row of them (4 values long on an 8x8 map).
    Here every step runs over the image as it lies in memory instead:

    1. the pooled values spread back over their windows (by a product with a 0/1 matrix, or
       by copying float32 bits, :func:`_spread_over_windows`): a window row's values are then
       side by side with the maximum they are compared to;
    2. one comparison with the image: where each window holds its maximum;
    3. each window row's ``kw`` hits read as one unsigned integer (a byte per hit), so that
       ``hits & -hits`` keeps its lowest set byte: the row's first hit;
    4. the hits of rows below a row that already has one cleared (the flat array shifted by
       whole window rows; a cached pattern tells which positions sit below which);
    5. the gradient spread the same way and multiplied by the mask.

    The product adds one value times 1 and zeros, so it is exact for finite numbers (the bit
    copy for all), and the mask's zeros times a finite gradient are zeros; a non-finite pooled
    value or gradient (0 * inf is NaN) takes :class:`WindowChoice`'s path.
    On C1-C3's maps this measured 1.2-3.4x faster than :class:`WindowChoice`; the product
    costs ``Wo`` multiplications per value, so rows of more than :data:`MAX_TILED_WIDTH`
    windows stay with :class:`WindowChoice` (at 64 it was slower)."""

    def __init__(self, mask: Any, window: Window, shape: tuple[int, ...]) -> None:
        self.mask, self.window, self.shape = mask, window, tuple(shape)

    @classmethod
    def of(cls, x: Any, out: Any, window: Window) -> TiledChoice | None:
        """The choice for ``x``'s ``window`` (``out`` its pooled values), or None where this
        path does not apply: windows that do not tile ``x``, not a float NumPy array, ``kw``
        not 1, 2, 4 or 8, rows of more than :data:`MAX_TILED_WIDTH` windows, or a pooled
        value that is not finite."""
        (kh, kw), wo = window.kernel, out.shape[-1]
        if (
            not window.tiles(x.shape)
            or type(x) is not np.ndarray
            or prefers_channels_last(x)  # (its windows are not runs of one plane)
            or x.dtype not in _SPREADABLE
            or kw not in (1, 2, 4, 8)  # the sizes of unsigned integers
            or wo > MAX_TILED_WIDTH
            or out.size == 0
            or not _finite(out)
        ):
            return None
        rows = out.size // wo  # window rows of the whole batch, each kh image rows tall
        hits = x.reshape(rows, kh * kw * wo) == _spread_over_windows(out.reshape(rows, wo), kh, kw)
        # a window row's kw hits as one integer, little-endian whatever the machine: the
        # row's first column is then its lowest byte
        runs = hits.view(f"<u{kw}").reshape(-1)
        first = np.negative(runs)
        first &= runs  # its lowest set byte: the first hit in the row
        if kh > 1:  # clear what rows below a row with a hit found
            empty, shallow = first == 0, _shallow_rows(rows, kh, wo)
            keep = empty[:-wo] | shallow[0][wo:]  # the row above, in the same window, is empty
            for d in range(2, kh):  # and so are the ones further up
                keep[(d - 1) * wo :] &= empty[: -d * wo] | shallow[d - 1][d * wo :]
            first[wo:] *= keep
        mask = first.view(np.bool_).reshape(rows, kh * kw * wo)
        return cls(mask, window, x.shape)

    def scatter(self, g: Any) -> Any:
        if g.dtype not in _SPREADABLE or not _finite(g):
            return self.windows().scatter(g)
        rows, wo = self.mask.shape[0], g.shape[-1]
        out = _spread_over_windows(g.reshape(rows, wo), *self.window.kernel)
        out *= self.mask
        return out.reshape(self.shape)

    def gather(self, h: Any) -> Any:
        return self.windows().gather(h)

    def windows(self) -> WindowChoice:
        """The same choice as one mask per tap (views of this one)."""
        (kh, kw), (ho, wo) = self.window.kernel, self.window.out_size(self.shape[-2:])
        taps = self.mask.reshape(*self.shape[:-2], ho, kh, wo, kw)
        masks = [taps[..., i, :, j] for i in range(kh) for j in range(kw)]
        return WindowChoice(masks, self.window, self.shape)


class ChannelsLastChoice(Selection):
    """The first maximum of each window, for windows that tile a channels-last image (the
    layout of backend.layout), found and used with whole-batch array operations.

    In memory a window's kh x kw taps are runs of C values, one per channel, and the pooled
    value of each channel sits in a run of C too: one comparison of every tap's runs with the
    pooled ones marks where each window holds its maximum, written tap by tap ((kh, kw, N, Ho,
    Wo, C), each tap's marks one block). Only where some window holds its maximum twice
    (counted: after a ReLU most windows of zeros do) are the later hits cleared, tap by tap in
    scan order, over whole blocks read as 8-byte words. The gradient is then one product of
    the marks with the output's gradient, written in the input's layout. (C3's 64x32x32x32
    pool, after a ReLU, one thread: finding the choice 2.3 ms with the marks in the input's
    order, whose taps' runs are 4 words long, 0.9 ms tap by tap; :class:`WindowChoice`'s
    forward and backward 8.2 ms; :class:`TiledChoice` needs each plane's windows as runs.)"""

    def __init__(self, hits: Any, window: Window, shape: tuple[int, ...]) -> None:
        self.hits, self.window, self.shape = hits, window, tuple(shape)

    @classmethod
    def of(cls, x: Any, out: Any, window: Window) -> ChannelsLastChoice | None:
        """The choice for a channels-last ``x`` whose ``window`` tiles it (``out`` its pooled
        values, finite), else None."""
        if (
            not window.tiles(x.shape)
            or not prefers_channels_last(x)
            or x.dtype.kind != "f"
            or out.size == 0
            or not _finite(out)
        ):
            return None
        xp = xp_of(x)
        taps = _by_tap(x, window.kernel)
        hits = xp.equal(taps, out.transpose(0, 2, 3, 1), out=xp.empty(taps.shape, bool))
        if int(xp.count_nonzero(hits)) != out.size:  # ties: keep each window's first
            (kh, kw) = window.kernel
            words = _as_words(hits).reshape(kh * kw, -1)  # (each tap's block)
            taken, free = words[0].copy(), xp.empty_like(words[0])
            for tap in words[1:]:  # a hit where an earlier tap had none
                tap &= xp.invert(taken, out=free)
                taken |= tap
        return cls(hits, window, x.shape)

    def scatter(self, g: Any) -> Any:
        if not _finite(g):  # (0 * inf is NaN where an unchosen position must read 0)
            return self.windows().scatter(g)
        out = empty(self.shape, g.dtype, True, xp_of(g))
        xp_of(g).multiply(g.transpose(0, 2, 3, 1), self.hits, out=_by_tap(out, self.window.kernel))
        return out

    def gather(self, h: Any) -> Any:
        return self.windows().gather(h)

    def windows(self) -> WindowChoice:
        """The same choice as one mask per tap (views of this one)."""
        (kh, kw) = self.window.kernel
        masks = [self.hits[i, j].transpose(0, 3, 1, 2) for i in range(kh) for j in range(kw)]
        return WindowChoice(masks, self.window, self.shape, channels_last=True)


def _as_words(hits: Any) -> Any:
    """The bool array ``hits`` (contiguous) read as unsigned integers of up to 8 of its bytes
    along the last axis, so that logical operations on whole runs take one step per word
    (a true is the byte 1: bitwise and, or and not-then-and keep bytes 0 or 1)."""
    for size in (8, 4, 2):
        if hits.shape[-1] % size == 0:
            return hits.view(f"u{size}")
    return hits.view("u1")


def _by_tap(a: Any, kernel: tuple[int, int]) -> Any:
    """A channels-last ``a`` (N, C, H, W) as (kh, kw, N, H / kh, W / kw, C): its windows of
    ``kernel``, tap by tap (a view)."""
    (kh, kw), (n, c, h, w) = kernel, a.shape
    windows = a.transpose(0, 2, 3, 1).reshape(n, h // kh, kh, w // kw, kw, c)
    return windows.transpose(2, 4, 0, 1, 3, 5)


MAX_TILED_WIDTH = 32
_SPREADABLE = (np.dtype(np.float32), np.dtype(np.float64))  # BLAS products
# From this many windows a row, float32 values spread over 2-wide windows by copying their
# bits. Measured, one thread, bit copy against product: C2's pools, 7,168 window rows of 14
# windows 82 against 163 us, 7,168 rows of 7 64 against 69 us; C3's, 32,768 rows of 16 415
# against 885 us, 32,768 rows of 8 298 against 282 us (the product's cost grows with the
# row's length, the copy's does not).
MIN_COPIED_WIDTH = 9


def _spread_over_windows(values: Any, kh: int, kw: int) -> Any:
    """Each of ``values`` (rows, Wo) copied over its kh x kw window: (rows, kh * Wo * kw), a
    window row's kh image rows one after the other. The product with :func:`_spread`, or, for
    float32 in 2-wide windows on long rows, the values' bits copied: each value's 32 bits
    twice in one 64-bit integer (a multiplication by 2^32 + 1) is the value and its right-hand
    neighbour, and a window row of those, read as one item, repeated kh times is the window
    row's image rows (exact for every value, NaN and the sign of zero included)."""
    rows, wo = values.shape
    if kw == 2 and wo >= MIN_COPIED_WIDTH and values.dtype == np.float32:
        pairs = values.view(np.uint32).astype(np.uint64)
        pairs *= 0x100000001
        row = pairs.view(np.dtype((np.void, 8 * wo)))  # (rows, 1)
        return np.repeat(row, kh, axis=1).view(np.float32).reshape(rows, kh * 2 * wo)
    return values @ _spread(wo, kh, kw, values.dtype)


@functools.lru_cache(maxsize=32)
def _spread(wo: int, kh: int, kw: int, dtype: np.dtype) -> Any:
    """The (Wo, kh * W) 0/1 matrix that copies each of a window row's Wo values over its
    window: kh image rows of W = Wo * kw values."""
    width = wo * kw
    spread = np.zeros((wo, kh * width), dtype=dtype)
    for k in range(wo):
        for i in range(kh):
            spread[k, i * width + k * kw : i * width + (k + 1) * kw] = 1
    spread.setflags(write=False)
    return spread


@functools.lru_cache(maxsize=4)  # (a pattern is a byte per 1 / kw of an image batch)
def _shallow_rows(rows: int, kh: int, wo: int) -> list[Any]:
    """For d = 1 .. kh - 1, which runs (flat, ``rows`` window rows of kh runs of Wo windows)
    lie in image rows less than d deep into their window: the ones the run d rows above does
    not belong to."""
    depth = np.broadcast_to(np.arange(kh, dtype=np.uint8).reshape(kh, 1), (rows, kh, wo))
    patterns = [(depth < d).reshape(-1) for d in range(1, kh)]
    for pattern in patterns:
        pattern.setflags(write=False)
    return patterns


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


def _picked(xp: Any, values: Any, mask: Any, finite: bool) -> Any:
    """``values`` where ``mask`` holds, else 0: a product when that is exact, else ``where``."""
    return values * mask if finite else xp.where(mask, values, 0)


def _first(xp: Any, hits: list[Any]) -> list[Any]:
    """Each mask of ``hits`` less what an earlier one already has: the first hit only."""
    taken = hits[0].copy()
    for hit in hits[1:]:
        xp.greater(hit, taken, out=hit)  # hit and not taken before
        taken |= hit
    return hits
