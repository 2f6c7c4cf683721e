"""Which input position each output of a max pool chose (its first maximum, as torch), kept
for the backward: ``scatter`` sends gradients from the outputs to those positions and
``gather`` reads them back (its adjoint)."""

from __future__ import annotations

from typing import Any

from ..backend.device import xp_of
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
