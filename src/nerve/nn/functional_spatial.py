"""Spatial transformers (``nerve.nn.functional``'s affine_grid and grid_sample), with torch's
names, options, defaults, warnings and errors: the two functions of a Spatial Transformer
Network, which learns an affine map ``theta`` and resamples its input through it.

* :func:`affine_grid` turns a batch of affine matrices into a grid of sampling positions,
  normalised to [-1, 1] (-1 the left/top edge, 1 the right/bottom one).
* :func:`grid_sample` reads the input at those positions, between pixels by bilinear or
  bicubic interpolation (or the nearest pixel), with a rule for positions outside the image.

Both are compositions of differentiable ops, so their gradients (the input's, the grid's,
theta's) and second derivatives are those ops' own. The integer parts (which pixels a position
falls between, which are inside the image) are computed on arrays: they carry no gradient, as
in torch. The one gather is an op of its own (``ops/grid_sample.py``) for its faster scatter.
A dedicated grid_sample node, forward and backward over arrays, measured only 1.17x faster
(one thread, bilinear, a (4, 3, 32, 32) input on a 32x32 grid, forward and backward: 903
against 1,059 us; torch 130 us): too little to pay for a second, hand-derived formula.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..autograd.node import apply
from ..ops.compare import where
from ..ops.grid_sample import GatherPixels
from ..ops.promotion import torch_name
from ..tensor import Tensor

__all__ = ["affine_grid", "grid_sample"]

_DEFAULT_CHANGED = (
    "Default grid_sample and affine_grid behavior has changed to align_corners=False since "
    "1.3.0. Please specify align_corners=True if the old behavior is desired. See the "
    "documentation of grid_sample for details."
)


def _const(array: Any, like: Tensor) -> Tensor:
    """A constant tensor (no gradient) of ``array`` in the dtype of ``like``."""
    return Tensor._make(np.asarray(array, dtype=like._data.dtype))


def _mask(array: Any) -> Tensor:
    """A constant bool tensor (the condition of a ``where``)."""
    return Tensor._make(np.asarray(array, dtype=bool))


# -- affine_grid ------------------------------------------------------------------------------


def _steps(n: int, align_corners: bool) -> np.ndarray:
    """The normalised centres of ``n`` pixels along one axis (torch's linspace_from_neg_one):
    from -1 to 1 at the corner pixels' centres, or, without align_corners, shrunk by
    (n - 1) / n so that -1 and 1 are the image's outer edges. One pixel sits at 0."""
    if n <= 1:
        return np.zeros(max(n, 0))
    steps = np.linspace(-1.0, 1.0, n)
    return steps if align_corners else steps * ((n - 1) / n)


def _base_grid(spatial: Sequence[int], align_corners: bool) -> np.ndarray:
    """(pixels, dims + 1): each output pixel's normalised (x, y[, z], 1), x the fastest."""
    axes = [_steps(n, align_corners) for n in spatial]  # (D,) H, W: slowest first
    mesh = np.meshgrid(*axes, indexing="ij")
    columns = [m.reshape(-1) for m in reversed(mesh)]  # x (width) first, as torch
    return np.stack([*columns, np.ones_like(columns[0])], axis=1)


def affine_grid(theta: Tensor, size: Sequence[int], align_corners: bool | None = None) -> Tensor:
    """The sampling grid of a batch of affine maps (torch.nn.functional.affine_grid): for
    ``theta`` (N, 2, 3) and ``size`` (N, C, H, W), the (N, H, W, 2) positions
    ``theta @ (x, y, 1)`` of each output pixel's normalised coordinates (x, y) in [-1, 1];
    for ``theta`` (N, 3, 4) and ``size`` (N, C, D, H, W), (N, D, H, W, 3). Differentiable in
    ``theta``. ``align_corners`` as in :func:`grid_sample` (None: False, with torch's warning).

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> identity = nerve.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
        >>> F.affine_grid(identity, (1, 1, 2, 2), align_corners=False)
        tensor([[[[-0.5000, -0.5000],
                  [ 0.5000, -0.5000]],
        <BLANKLINE>
                 [[-0.5000,  0.5000],
                  [ 0.5000,  0.5000]]]])
    """
    if align_corners is None:
        warnings.warn(_DEFAULT_CHANGED, stacklevel=2)
        align_corners = False
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = tuple(int(n) for n in size)
    if len(size) == 4:
        if theta.dim() != 3 or tuple(theta.shape[-2:]) != (2, 3):
            raise ValueError(
                "Expected a batch of 2D affine matrices of shape Nx2x3 for size "
                f"{size}. Got {theta.shape}."
            )
    elif len(size) == 5:
        if theta.dim() != 3 or tuple(theta.shape[-2:]) != (3, 4):
            raise ValueError(
                "Expected a batch of 3D affine matrices of shape Nx3x4 for size "
                f"{size}. Got {theta.shape}."
            )
    else:
        raise NotImplementedError(
            "affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
            f"respectively. Got size {size}."
        )
    spatial = size[2:]
    if align_corners and min(spatial) == 1:
        warnings.warn(
            "Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
            "align_corners=True. This is not an intended use case of affine_grid. See the "
            "documentation of affine_grid for details.",
            stacklevel=2,
        )
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if theta.shape[0] != size[0]:  # (torch's message: its product of the two, bmm)
        raise RuntimeError(
            "Expected size for first two dimensions of batch2 tensor to be: "
            f"[{size[0]}, {theta.shape[2]}] but got: [{theta.shape[0]}, {theta.shape[2]}]."
        )
    base = _const(_base_grid(spatial, align_corners), theta)  # (pixels, dims + 1)
    grid = base @ theta.transpose(1, 2)  # (N, pixels, dims)
    return grid.reshape((size[0], *spatial, len(spatial)))


# -- grid_sample ------------------------------------------------------------------------------


def _unnormalize(coord: Tensor, size: int, align_corners: bool) -> Tensor:
    """Normalised positions in [-1, 1] to pixel positions: -1 and 1 are the corner pixels'
    centres (0 and size - 1) with align_corners, else the image's edges (-0.5, size - 0.5)."""
    if align_corners:
        return (coord + 1) / 2 * (size - 1)
    return ((coord + 1) * size - 1) / 2


def _reflect(coord: Tensor, twice_low: int, twice_high: int) -> Tensor:
    """``coord`` reflected off the bounds low and high (given doubled, to stay integers) until
    it lies between them, as light between two mirrors."""
    if twice_low == twice_high:
        return coord * 0
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    distance = (coord - low).abs()
    flips = np.floor(distance._data / span)  # whole spans travelled: no gradient
    extra = distance - _const(flips * span, coord)
    return where(_mask(flips % 2 == 0), extra + low, span - extra + low)


def _pad(coord: Tensor, size: int, padding_mode: str, align_corners: bool) -> Tensor:
    """Pixel positions along an axis of ``size`` pixels, with ``border`` and ``reflection``
    brought inside the image (``zeros`` leaves them: positions outside read zeros)."""
    if padding_mode == "reflection":
        if align_corners:
            coord = _reflect(coord, 0, 2 * (size - 1))
        else:
            coord = _reflect(coord, -1, 2 * size - 1)
    if padding_mode in ("border", "reflection"):
        coord = coord.clamp(0, size - 1)
    return coord


# The cubic convolution kernel (Keys) with torch's A = -0.75: ``_NEAR`` for the two taps less
# than a pixel away, ``_FAR`` for the two between one and two pixels away.
_A = -0.75


def _near(d: Tensor) -> Tensor:
    return ((_A + 2) * d - (_A + 3)) * d * d + 1


def _far(d: Tensor) -> Tensor:
    return ((_A * d - 5 * _A) * d + 8 * _A) * d - 4 * _A


def _cubic_weights(t: Tensor) -> list[Tensor]:
    """The weights of the four taps at -1, 0, 1, 2 pixels from ``floor(position)``, for
    ``t`` the position's fractional part."""
    return [_far(t + 1), _near(t), _near(1 - t), _far(2 - t)]


def _check_options(mode: str, padding_mode: str) -> None:
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(
            "nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or "
            f"'bicubic', but got: '{mode}'"
        )
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(
            "nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
            f"'reflection', but got: '{padding_mode}'"
        )


def _check_shapes(input: Tensor, grid: Tensor, mode: str) -> None:
    """torch's errors for grid_sample's shapes and dtypes, in its order."""
    sizes = f"input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}"
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError(
            f"grid_sampler(): expected grid and input to have same batch size, but got {sizes}"
        )
    if grid.shape[-1] != input.dim() - 2:
        raise RuntimeError(
            f"grid_sampler(): expected grid to have size {input.dim() - 2} in last dimension, "
            f"but got grid with sizes {list(grid.shape)}"
        )
    for axis in range(2, input.dim()):
        if input.shape[axis] <= 0:
            raise RuntimeError(
                "grid_sampler(): expected input to have non-empty spatial dimensions, but "
                f"input has sizes {list(input.shape)} with dimension {axis} being empty"
            )
    dims = 4 if input.dim() == 4 else 5
    if input.dim() != dims or grid.dim() != dims:
        raise RuntimeError(
            f"grid_sampler(): expected {dims}D input and grid with same number of dimensions, "
            f"but got {sizes}"
        )
    if dims == 5:
        if mode == "bicubic":
            raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
        raise NotImplementedError("grid_sample: nerve samples 4-D inputs (N, C, H, W) only")
    if input.dtype != grid.dtype:
        raise RuntimeError(
            f"expected scalar type {torch_name(input.dtype)} but found {torch_name(grid.dtype)}"
        )
    if not input.is_floating_point():
        raise NotImplementedError(
            f"\"grid_sampler_2d_cpu_kernel_impl\" not implemented for '{torch_name(input.dtype)}'"
        )


def grid_sample(
    input: Tensor,
    grid: Tensor,
    mode: str = "bilinear",
    padding_mode: str = "zeros",
    align_corners: bool | None = None,
) -> Tensor:
    """Sample ``input`` (N, C, H_in, W_in) at the positions of ``grid`` (N, H_out, W_out, 2)
    (torch.nn.functional.grid_sample): an (N, C, H_out, W_out) output whose pixel (i, j)
    reads the input at ``grid[n, i, j] = (x, y)``, normalised so that (-1, -1) is the top
    left and (1, 1) the bottom right (the corner pixels' centres with ``align_corners``, else
    the image's outer corners; None: False, with torch's warning).

    ``mode``: ``'bilinear'`` (the four surrounding pixels, weighted by nearness),
    ``'nearest'`` or ``'bicubic'`` (the 4x4 surrounding pixels, cubic convolution with torch's
    A = -0.75). ``padding_mode`` for positions outside: ``'zeros'``, ``'border'`` (the
    nearest edge pixel) or ``'reflection'`` (mirrored at the edges). Differentiable in the
    input and, for bilinear and bicubic, in the grid (nearest gives the grid a zero gradient,
    as torch). 5-D inputs (volumes) are not sampled yet.

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> image = nerve.tensor([[[[0.0, 1.0], [2.0, 3.0]]]])
        >>> centre = nerve.zeros(1, 1, 1, 2)
        >>> F.grid_sample(image, centre, align_corners=False)
        tensor([[[[1.5000]]]])
        >>> F.grid_sample(image, nerve.tensor([[[[1.0, -1.0]]]]), align_corners=True)
        tensor([[[[1.]]]])
    """
    _check_options(mode, padding_mode)
    if align_corners is None:
        warnings.warn(_DEFAULT_CHANGED, stacklevel=2)
        align_corners = False
    _check_shapes(input, grid, mode)
    n, channels, height, width = input.shape
    _, out_h, out_w, _ = grid.shape
    x = _unnormalize(grid[..., 0], width, align_corners)  # pixel positions
    y = _unnormalize(grid[..., 1], height, align_corners)
    if mode == "bicubic":  # (the 4x4 taps are padded, not the position: torch's order)
        x0, y0 = np.floor(x._data), np.floor(y._data)
        wx, wy = _cubic_weights(x - _const(x0, x)), _cubic_weights(y - _const(y0, y))
        tx = [_pad(_const(x0 + i, x), width, padding_mode, align_corners) for i in (-1, 0, 1, 2)]
        ty = [_pad(_const(y0 + j, y), height, padding_mode, align_corners) for j in (-1, 0, 1, 2)]
        corners = [(cy._data, cx._data) for cy in ty for cx in tx]
        weights = [a * b for a in wy for b in wx]
    else:
        x = _pad(x, width, padding_mode, align_corners)
        y = _pad(y, height, padding_mode, align_corners)
    if mode == "nearest":
        # (NumPy's rint rounds halves to even, as torch's nearbyint)
        corners = [(np.rint(y._data), np.rint(x._data))]
    elif mode == "bilinear":
        x0, y0 = np.floor(x._data), np.floor(y._data)
        corners = [(y0, x0), (y0, x0 + 1), (y0 + 1, x0), (y0 + 1, x0 + 1)]
        east = x - _const(x0, x)  # the weight of the right-hand corners
        south = y - _const(y0, y)
        west, north = 1 - east, 1 - south
        weights = [north * west, north * east, south * west, south * east]
    # The input as rows of channels, one per pixel: a corner is one row, gathered by index.
    rows = input.permute(0, 2, 3, 1).reshape((n * height * width, channels))
    first = (np.arange(n) * (height * width)).reshape(n, 1, 1)  # each image's first row
    index, inside = [], []
    with np.errstate(invalid="ignore"):  # (a NaN position reads NaN, as torch)
        for cy, cx in corners:
            inside.append((cx >= 0) & (cx <= width - 1) & (cy >= 0) & (cy <= height - 1))
            cx = np.clip(np.nan_to_num(cx), 0, width - 1).astype(np.intp)
            cy = np.clip(np.nan_to_num(cy), 0, height - 1).astype(np.intp)
            index.append(first + cy * width + cx)
    values = apply(GatherPixels, rows, index=np.stack(index).reshape(-1))
    values = values.reshape((len(corners), n, out_h, out_w, channels))
    if mode == "nearest":
        out = values[0]
        if padding_mode == "zeros":
            out = out * _const(inside[0][..., None], out)
        # torch gives the grid a zero gradient (not none): a branch that is never taken
        # joins the rounded positions (gradient zero) to the graph without changing a value.
        if grid.requires_grad:
            never = _mask(np.zeros((1, 1, 1, 1)))
            out = where(never, (x.round() + y.round())[..., None], out)
    else:
        if padding_mode == "zeros":
            weights = [w * _const(ok, w) for w, ok in zip(weights, inside)]
        out = values[0] * weights[0][..., None]
        for value, weight in zip(values[1:], weights[1:]):
            out = out + value * weight[..., None]
    return out.permute(0, 3, 1, 2).contiguous()
