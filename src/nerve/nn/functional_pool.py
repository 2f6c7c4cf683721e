"""The pooling functions of ``nerve.nn.functional`` (max, average, adaptive, unpooling) and
``unfold``/``fold``: argument checks with torch's messages, then the ops of ``nerve.ops.pool``
and ``nerve.ops.unfold``. Inputs are (N, C, H, W) or unbatched (C, H, W); the 1-D forms pool
(N, C, L) as images of height 1.
"""

from __future__ import annotations

from typing import Any

from ..autograd.node import apply
from ..ops.conv import Geometry
from ..ops.pool import (
    AdaptiveMaxPool,
    AvgPool,
    FlatIndices,
    MaxPool,
    PoolScatter,
    Window,
    WindowChoice,
    adaptive_bounds,
    adaptive_max,
    avg_divisor,
)
from ..ops.unfold import Fold, Unfold
from ..tensor import Tensor
from ._sizes import pair as _pair
from ._sizes import single as _single


def _check_image(input: Tensor, op: str) -> None:
    shape = tuple(input._data.shape)
    if len(shape) not in (3, 4):
        raise RuntimeError(
            f"{op}: non-empty 3D or 4D (batch mode) tensor expected for input, got shape "
            f"{list(shape)}"
        )
    if 0 in shape[-3:]:
        raise RuntimeError(
            "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, "
            f"but got:{list(shape)}"
        )


def _window(
    input: Tensor,
    op: str,
    kernel_size: Any,
    stride: Any,
    padding: Any,
    dilation: Any = 1,
    ceil_mode: bool = False,
) -> Window:
    """The checked window of a pool over ``input``'s last two dimensions (torch's checks)."""
    kernel = _pair(kernel_size, "kernel_size", op)
    strides = (
        kernel if stride is None or stride == [] or stride == () else _pair(stride, "stride", op)
    )
    pads, dilations = _pair(padding, "padding", op), _pair(dilation, "dilation", op)
    if min(kernel) <= 0:
        raise RuntimeError(
            f"kernel size should be greater than zero, but got kH: {kernel[0]} kW: {kernel[1]}"
        )
    if min(strides) <= 0:
        raise RuntimeError(f"stride should not be zero (got stride={strides})")
    if min(dilations) <= 0:
        raise RuntimeError(
            f"dilation should be greater than zero, but got dilationH: {dilations[0]} "
            f"dilationW: {dilations[1]}"
        )
    if min(pads) < 0:
        raise RuntimeError(f"pad must be non-negative, but got pad: {min(pads)}")
    for p, k, d in zip(pads, kernel, dilations):
        if p > (d * (k - 1) + 1) // 2:
            raise RuntimeError(
                f"pad should be at most half of effective kernel size, but got pad={p}, "
                f"kernel_size={k} and dilation={d}"
            )
    if any(p > k // 2 for p, k in zip(pads, kernel)):
        raise RuntimeError(
            f"pad should be smaller than or equal to half of kernel size, but got padW = "
            f"{pads[1]}, padH = {pads[0]}, kW = {kernel[1]}, kH = {kernel[0]}"
        )
    window = Window(kernel, strides, pads, dilations, bool(ceil_mode))
    size = tuple(input._data.shape[-2:])
    out = window.out_size(size)
    if min(out) < 1:
        c = input._data.shape[-3]
        raise RuntimeError(
            f"Given input size: ({c}x{size[0]}x{size[1]}). Calculated output size: "
            f"({c}x{out[0]}x{out[1]}). Output size is too small"
        )
    return window


def max_pool2d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """The maximum of each kh x kw window of (N, C, H, W) or (C, H, W) ``input``; with
    ``return_indices`` also where each maximum was (h * W + w, for ``max_unpool2d``).

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> F.max_pool2d(nerve.arange(16.0).reshape(1, 4, 4), 2).tolist()
        [[[5.0, 7.0], [13.0, 15.0]]]
    """
    _check_image(input, "max_pool2d")
    window = _window(input, "max_pool2d", kernel_size, stride, padding, dilation, ceil_mode)
    out = apply(MaxPool, input, window=window)
    if not return_indices:
        return out
    choice = WindowChoice.of(input._data, out._data, window)
    return out, Tensor._make(choice.flat_indices().astype("int64", copy=False))


def max_pool1d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """The maximum of each window of (N, C, L) or (C, L) ``input`` (a 2-D pool of height 1)."""
    if input._data.ndim not in (2, 3) or 0 in input._data.shape[-2:]:
        raise RuntimeError(
            "max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size "
            f"for input, but got:{list(input.shape)}"
        )
    k, p = _single(kernel_size), _single(padding)
    if p > k // 2:
        raise RuntimeError(
            "max_pool1d() padding should be at most half of kernel size, but got "
            f"padding={p} and kernel_size={k}"
        )
    result = max_pool2d(
        input.unsqueeze(-2),
        (1, k),
        (1, _single(stride if stride not in (None, [], ()) else k)),
        (0, p),
        (1, _single(dilation)),
        ceil_mode,
        return_indices,
    )
    if return_indices:
        return result[0].squeeze(-2), result[1].squeeze(-2)
    return result.squeeze(-2)


def avg_pool2d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """The mean of each kh x kw window; ``count_include_pad`` counts the zero padding in the
    mean, ``divisor_override`` divides every window's sum by that number instead."""
    _check_image(input, "avg_pool2d")
    window = _window(input, "avg_pool2d", kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override is not None:
        if int(divisor_override) == 0:
            raise RuntimeError("divisor must be not zero")
        divisor: Any = float(divisor_override)
    else:
        xp = input.device.xp
        divisor = avg_divisor(xp, tuple(input._data.shape[-2:]), window, count_include_pad)
    return apply(AvgPool, input, window=window, divisor=divisor)


def avg_pool1d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """The mean of each window of (N, C, L) or (C, L) ``input``."""
    if input._data.ndim not in (2, 3):
        raise RuntimeError(
            f"Expected 2 to 3 dimensions, but got {input._data.ndim}-dimensional tensor for "
            "argument #1 'self' (while checking arguments for avg_pool1d)"
        )
    k = _single(kernel_size)
    s = _single(stride) if stride not in (None, [], ()) else k
    out = avg_pool2d(
        input.unsqueeze(-2), (1, k), (1, s), (0, _single(padding)), ceil_mode, count_include_pad
    )
    return out.squeeze(-2)


def _adaptive_size(input: Tensor, output_size: Any, op: str) -> tuple[int, int]:
    if input._data.ndim not in (3, 4):
        raise RuntimeError(f"{op}(): Expected 3D or 4D tensor, but got {list(input.shape)}")
    sizes = (
        (output_size, output_size) if not isinstance(output_size, (tuple, list)) else output_size
    )
    if len(sizes) != 2:
        raise ValueError(f"{op}: output_size must be 2 numbers, got {output_size!r}")
    size = tuple(
        int(input._data.shape[-2 + i]) if s is None else int(s) for i, s in enumerate(sizes)
    )
    if min(size) < 0:
        raise RuntimeError(
            f"{op}: elements of output_size must be greater than or equal to 0 but received "
            f"{list(size)}"
        )
    return size  # type: ignore[return-value]


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """Average pooling to a fixed output size (torch's windows: rows floor(i H / Ho) to
    ceil((i + 1) H / Ho)), whatever the input's size."""
    out = _adaptive_size(input, output_size, "adaptive_avg_pool2d")
    size = tuple(input._data.shape[-2:])
    if out == (1, 1):  # global average pooling: one mean
        return input.mean(dim=(-2, -1), keepdim=True)
    if 0 not in out and size[0] % out[0] == 0 and size[1] % out[1] == 0:  # equal windows
        kernel = (size[0] // out[0], size[1] // out[1])
        window = Window(kernel, kernel, (0, 0))
        return apply(AvgPool, input, window=window, divisor=float(kernel[0] * kernel[1]))
    # uneven windows: one averaging matrix per dimension, rows @ x @ columns^T
    rows, cols = (_averaging(input, n, o) for n, o in zip(size, out))
    return rows @ input @ cols.mT


def _averaging(input: Tensor, n: int, out: int) -> Tensor:
    """The (out, n) matrix whose row i averages adaptive window i."""
    xp = input.device.xp
    start, end = adaptive_bounds(xp, n, out)
    positions = xp.arange(n).reshape(1, -1)
    inside = (positions >= start.reshape(-1, 1)) & (positions < end.reshape(-1, 1))
    return Tensor._make((inside / (end - start).reshape(-1, 1)).astype(input._data.dtype))


def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:
    """Adaptive average pooling of (N, C, L) or (C, L) ``input`` to ``output_size``."""
    if input._data.ndim not in (2, 3):
        raise RuntimeError(
            f"Expected 2 to 3 dimensions, but got {input._data.ndim}-dimensional tensor for "
            "argument #1 'self' (while checking arguments for adaptive_avg_pool1d)"
        )
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, _single(output_size))).squeeze(-2)


def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Max pooling to a fixed output size; with ``return_indices`` also where each maximum
    was (h * W + w)."""
    out_size = _adaptive_size(input, output_size, "adaptive_max_pool2d")
    if 0 in input._data.shape[-2:]:
        raise RuntimeError(
            f"adaptive_max_pool2d(): Expected input to have non-zero size for non-batch "
            f"dimensions, but input has sizes {list(input.shape)}"
        )
    size = tuple(input._data.shape[-2:])
    if 0 not in out_size and size[0] % out_size[0] == 0 and size[1] % out_size[1] == 0:
        # equal windows: the strided max pool (measured 10x faster than gathered windows)
        kernel = (size[0] // out_size[0], size[1] // out_size[1])
        window = Window(kernel, kernel, (0, 0))
        out = apply(MaxPool, input, window=window)
        if not return_indices:
            return out
        choice = WindowChoice.of(input._data, out._data, window)
        return out, Tensor._make(choice.flat_indices().astype("int64", copy=False))
    out = apply(AdaptiveMaxPool, input, out_size=out_size)
    if not return_indices:
        return out
    node = out.grad_fn
    if isinstance(node, AdaptiveMaxPool):
        indices = node.indices
    else:  # not recorded: find the positions again
        indices = adaptive_max(input._data, out_size)[1]
    return out, Tensor._make(indices.astype("int64", copy=False))


def adaptive_max_pool1d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Adaptive max pooling of (N, C, L) or (C, L) ``input``."""
    if input._data.ndim not in (2, 3):
        raise RuntimeError(
            f"adaptive_max_pool1d(): Expected 2D or 3D tensor, but got {list(input.shape)}"
        )
    result = adaptive_max_pool2d(input.unsqueeze(-2), (1, _single(output_size)), return_indices)
    if return_indices:
        return result[0].squeeze(-2), result[1].squeeze(-2)
    return result.squeeze(-2)


def max_unpool2d(
    input: Tensor,
    indices: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    output_size: Any = None,
) -> Tensor:
    """The inverse of ``max_pool2d`` as far as it goes: each value put back where
    ``indices`` (from ``max_pool2d(..., return_indices=True)``) says, zeros elsewhere."""
    kernel = _pair(kernel_size, "kernel_size", "max_unpool2d")
    strides = kernel if stride in (None, [], ()) else _pair(stride, "stride", "max_unpool2d")
    pads = _pair(padding, "padding", "max_unpool2d")
    shape = tuple(input._data.shape)
    if indices._data.dtype.kind != "i" or indices._data.dtype.itemsize != 8:
        raise RuntimeError(f"elements in indices should be type int64 but got: {indices.dtype}")
    if tuple(indices._data.shape) != shape:
        raise RuntimeError(
            f"Expected shape of indices to be same as that of the input tensor ({list(shape)}) "
            f"but got indices tensor with shape: {list(indices.shape)}"
        )
    default = tuple(
        (n - 1) * s - 2 * p + k for n, s, p, k in zip(shape[-2:], strides, pads, kernel)
    )
    size = default if output_size is None else tuple(int(v) for v in tuple(output_size)[-2:])
    for dim, (want, base, s) in enumerate(zip(size, default, strides)):
        if not base - s < want < base + s:
            raise ValueError(
                f'invalid output_size "{tuple(size)}" (dim {dim} must be between '
                f"{base - s + 1} and {base + s - 1})"
            )
    area = size[0] * size[1]
    if indices.numel() and (int(indices._data.max()) >= area or int(indices._data.min()) < 0):
        bad = (
            int(indices._data.max())
            if int(indices._data.max()) >= area
            else int(indices._data.min())
        )
        raise RuntimeError(
            f"Found an invalid max index: {bad} (output volumes are of size {size[0]}x{size[1]})"
        )
    selection = FlatIndices(indices._data, shape[:-2] + size, accumulate=False)
    return apply(PoolScatter, input, selection=selection)


def _geometry(
    op: str, kernel_size: Any, dilation: Any, padding: Any, stride: Any
) -> tuple[tuple[int, int], Geometry]:
    kernel = _pair(kernel_size, "kernel_size", op)
    dilations, pads = _pair(dilation, "dilation", op), _pair(padding, "padding", op)
    strides = _pair(stride, "stride", op)
    if min(kernel) <= 0:
        raise RuntimeError(
            f"kernel size should be greater than zero, but got kernel_height: {kernel[0]} "
            f"kernel_width: {kernel[1]}"
        )
    if min(strides) <= 0:
        raise RuntimeError(
            f"stride should be greater than zero, but got stride_height: {strides[0]} "
            f"stride_width: {strides[1]}"
        )
    if min(dilations) <= 0:
        raise RuntimeError(
            f"dilation should be greater than zero, but got dilation_height: {dilations[0]} "
            f"dilation_width: {dilations[1]}"
        )
    if min(pads) < 0:
        raise RuntimeError(
            f"padding should be non-negative, but got pad_height: {pads[0]} pad_width: {pads[1]}"
        )
    return kernel, Geometry(strides, pads, dilations, 1)


def unfold(
    input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1
) -> Tensor:
    """The sliding blocks of (N, C, H, W) or (C, H, W) ``input`` as columns: (N, C * kh * kw,
    L), one column per block position (im2col)."""
    if input._data.ndim not in (3, 4):
        raise RuntimeError(
            f"Input Error: Only 3D or 4D input Tensors are supported (got {input._data.ndim}D)"
        )
    kernel, geometry = _geometry("unfold", kernel_size, dilation, padding, stride)
    size = tuple(input._data.shape[-2:])
    blocks = geometry.out_size(size, kernel)  # type: ignore[arg-type]
    if min(blocks) < 1:
        raise RuntimeError(
            f"Given input with spatial size {size}, kernel_size={kernel}, dilation="
            f"{geometry.dilation}, padding={geometry.padding}, calculated shape of the array "
            f"of sliding blocks as {blocks}, but its components must be at least one."
        )
    unbatched = input._data.ndim == 3
    x = input.unsqueeze(0) if unbatched else input
    out = apply(Unfold, x, kernel=kernel, geometry=geometry)
    return out.squeeze(0) if unbatched else out


def fold(
    input: Tensor,
    output_size: Any,
    kernel_size: Any,
    dilation: Any = 1,
    padding: Any = 0,
    stride: Any = 1,
) -> Tensor:
    """The inverse layout of ``unfold``: columns (N, C * kh * kw, L) or (C * kh * kw, L) added
    back into images of ``output_size`` (overlapping blocks add up; col2im)."""
    if input._data.ndim not in (2, 3) or 0 in input._data.shape[-2:]:
        raise RuntimeError(
            "Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and "
            f"non-zero dimensions for input, but got: {list(input.shape)}"
        )
    kernel, geometry = _geometry("fold", kernel_size, dilation, padding, stride)
    size = _pair(output_size, "output_size", "fold")
    rows = input._data.shape[-2]
    if rows % (kernel[0] * kernel[1]):
        raise RuntimeError(
            "Expected size of input's dimension 1 to be divisible by the product of "
            f"kernel_size, but got input.size(1)={rows} and kernel_size={kernel}."
        )
    blocks = geometry.out_size(size, kernel)  # type: ignore[arg-type]
    if min(blocks) < 1 or blocks[0] * blocks[1] != input._data.shape[-1]:
        raise RuntimeError(
            f"Given output_size={size}, kernel_size={kernel}, dilation={geometry.dilation}, "
            f"padding={geometry.padding}, stride={geometry.stride}, expected size of input's "
            f"dimension 2 to match the calculated number of sliding blocks {blocks[0]} * "
            f"{blocks[1]} = {blocks[0] * blocks[1]}, but got input.size(2)="
            f"{input._data.shape[-1]}."
        )
    unbatched = input._data.ndim == 2
    cols = input.unsqueeze(0) if unbatched else input
    shape = (cols._data.shape[0], rows // (kernel[0] * kernel[1]), *size)
    out = apply(Fold, cols, kernel=kernel, geometry=geometry, shape=shape)
    return out.squeeze(0) if unbatched else out
