"""Rearranging an image's pixels between channels and space (``nerve.nn.functional``'s
pixel_shuffle and pixel_unshuffle, torch's names): a reshape and a permutation each, so their
gradients are those ops' own."""

from __future__ import annotations

from ..tensor import Tensor

__all__ = ["pixel_shuffle", "pixel_unshuffle"]


def _check_image(input: Tensor, name: str) -> None:
    if input.dim() < 3:
        raise RuntimeError(
            f"{name} expects input to have at least 3 dimensions, but got input with "
            f"{input.dim()} dimension(s)"
        )


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C r^2, H, W) -> (*, C, H r, W r): each group of r^2 channels becomes an r x r block
    of pixels (sub-pixel upsampling, as super-resolution networks end).

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> F.pixel_shuffle(nerve.arange(4.0).reshape(1, 4, 1, 1), 2)
        tensor([[[[0., 1.],
                  [2., 3.]]]])
    """
    _check_image(input, "pixel_shuffle")
    r = upscale_factor
    *batch, channels, height, width = input.shape
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    if channels % (r * r):
        raise RuntimeError(
            "pixel_shuffle expects its input's 'channel' dimension to be divisible by the "
            f"square of upscale_factor, but input.size(-3)={channels} is not divisible by {r * r}"
        )
    n = len(batch)
    blocks = input.reshape(*batch, channels // (r * r), r, r, height, width)
    order = (*range(n), n, n + 3, n + 1, n + 4, n + 2)  # (C, H, r, W, r)
    return blocks.permute(*order).reshape(*batch, channels // (r * r), height * r, width * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H r, W r) -> (*, C r^2, H, W): each r x r block of pixels becomes r^2 channels,
    the inverse of :func:`pixel_shuffle`.

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> F.pixel_unshuffle(nerve.arange(4.0).reshape(1, 1, 2, 2), 2).flatten()
        tensor([0., 1., 2., 3.])
    """
    _check_image(input, "pixel_unshuffle")
    r = downscale_factor
    *batch, channels, height, width = input.shape
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    for name, size, axis in (("height", height, -2), ("width", width, -1)):
        if size % r:
            raise RuntimeError(
                f"pixel_unshuffle expects {name} to be divisible by downscale_factor, but "
                f"input.size({axis})={size} is not divisible by {r}"
            )
    n = len(batch)
    blocks = input.reshape(*batch, channels, height // r, r, width // r, r)
    order = (*range(n), n, n + 2, n + 4, n + 1, n + 3)  # (C, r, r, H, W)
    return blocks.permute(*order).reshape(*batch, channels * r * r, height // r, width // r)


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """(N, C, *) with its C channels seen as ``groups`` groups of C / groups, the groups
    interleaved: channel ``g * (C / groups) + i`` moves to ``i * groups + g`` (ShuffleNet's
    mixing of grouped convolutions' outputs).

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> F.channel_shuffle(nerve.arange(6.0).reshape(1, 6, 1), 2).flatten()
        tensor([0., 3., 1., 4., 2., 5.])
    """
    if input.dim() <= 2:
        raise RuntimeError(
            f"channel_shuffle expects input with > 2 dims, but got input with sizes "
            f"{list(input.shape)}"
        )
    if groups <= 0:
        raise RuntimeError(
            f"Number of groups to divide channels in must be positive. Value of groups:{groups}"
        )
    n, channels, *rest = input.shape
    if channels % groups:
        raise RuntimeError(
            f"Number of channels must be divisible by groups. Got {channels} channels and "
            f"{groups} groups."
        )
    grouped = input.reshape(n, groups, channels // groups, *rest)
    return grouped.transpose(1, 2).reshape(n, channels, *rest)
