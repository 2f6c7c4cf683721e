"""The geometry of a pooling window: its size, stride, padding and dilation over (H, W), the
slices its taps read, and the border a max pool reads as "below every value"."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from ..backend.device import xp_of
from ..backend.layout import empty, prefers_channels_last


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

    def tiles(self, size: tuple[int, ...]) -> bool:
        """Whether the windows tile an image of ``size`` (..., H, W) exactly: each position in
        one window, every window whole (the common 2x2 pool)."""
        (kh, kw), (h, w) = self.kernel, size[-2:]
        return (
            self.stride == self.kernel
            and self.padding == (0, 0)
            and self.dilation == (1, 1)
            and h % kh == 0
            and w % kw == 0
        )

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
    filled = functools.partial(xp.full, fill_value=fill)
    out = empty((*x.shape[:-2], hp, wp), x.dtype, prefers_channels_last(x), xp, filled)
    out[..., ph : ph + size[0], pw : pw + size[1]] = x
    return out


def _lowest(x: Any) -> Any:
    """The border value of a max pool: below every value of ``x``'s dtype."""
    xp = xp_of(x)
    kind = x.dtype.kind
    if kind == "f":
        return -xp.inf
    return xp.iinfo(x.dtype).min if kind in "iu" else False
