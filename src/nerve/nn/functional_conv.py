"""The convolution functions of ``nerve.nn.functional``: conv1d, conv2d, conv_transpose1d/2d.

They check their arguments (with torch's messages), resolve ``padding='same'`` and
unbatched inputs, and call the ops in ``nerve.ops.conv``.
"""

from __future__ import annotations

from typing import Any

from ..autograd.node import apply
from ..ops.conv import Conv, ConvInput, Geometry, output_padding_shape
from ..ops.pad import pad
from ..ops.promotion import check_same_device
from ..tensor import Tensor
from ._sizes import pair as _pair
from ._sizes import single as _single


def _check(input: Tensor, weight: Tensor, groups: int, op: str, transposed: bool = False) -> None:
    if weight._data.ndim != 4:
        raise RuntimeError(f"{op}: expected a 4-D weight, got shape {list(weight.shape)}")
    if input._data.ndim != 4:
        raise RuntimeError(
            f"{op}: Expected 3D (unbatched) or 4D (batched) input to {op}, but got input of size: "
            f"{list(input.shape)}"
        )
    if groups < 1:
        raise RuntimeError(f"{op}: non-positive groups is not supported (got {groups})")
    channels = input._data.shape[1]
    expected = weight._data.shape[0] if transposed else weight._data.shape[1] * groups
    if channels != expected:
        raise RuntimeError(
            f"Given groups={groups}, weight of size {list(weight.shape)}, expected "
            f"input{list(input.shape)} to have {expected} channels, but got {channels} channels "
            "instead"
        )
    if not transposed and weight._data.shape[0] % groups:
        raise RuntimeError(
            f"{op}: the weight's {weight._data.shape[0]} output channels are not divisible by "
            f"groups={groups}"
        )
    check_same_device(input, weight, op)
    if input._data.dtype != weight._data.dtype:
        raise RuntimeError(
            f"{op}: expected input and weight to have the same dtype, but got {input.dtype} and "
            f"{weight.dtype}; convert the input, e.g. x.float()"
        )


def _batched(input: Tensor, op: str) -> tuple[Tensor, bool]:
    ndim = input._data.ndim
    if ndim == 3:
        return input.unsqueeze(0), True
    if ndim != 4:
        raise RuntimeError(
            f"{op}: Expected 3D (unbatched) or 4D (batched) input to {op}, but got input of size: "
            f"{list(input.shape)}"
        )
    return input, False


def _same_padding(
    input: Tensor, kernel: tuple[int, int], dilation: tuple[int, int], stride: tuple[int, int]
) -> tuple[Tensor, tuple[int, int]]:
    """'same': as much padding as the kernel covers, split evenly, the odd one on the end (the
    input is padded first when the split is uneven)."""
    if stride != (1, 1):
        raise ValueError("padding='same' is not supported for strided convolutions")
    totals = [d * (k - 1) for d, k in zip(dilation, kernel)]
    if all(t % 2 == 0 for t in totals):
        return input, (totals[0] // 2, totals[1] // 2)
    extra = (0, totals[1] % 2, 0, totals[0] % 2)  # (left, right, top, bottom)
    return pad(input, extra), (totals[0] // 2, totals[1] // 2)


def conv2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """2-D convolution (cross-correlation, as in every framework) of (N, C, H, W) or (C, H, W)
    ``input`` with ``weight`` (O, C/groups, kh, kw); ``padding`` is a number, a pair,
    ``'valid'`` (none) or ``'same'`` (the output keeps the input's size).

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> F.conv2d(nerve.ones(1, 1, 4, 4), nerve.ones(2, 1, 3, 3), padding=1).shape
        nerve.Size([1, 2, 4, 4])
    """
    input, unbatched = _batched(input, "conv2d")
    _check(input, weight, groups, "conv2d")
    stride_, dilation_ = _pair(stride, "stride", "conv2d"), _pair(dilation, "dilation", "conv2d")
    kernel = (weight._data.shape[2], weight._data.shape[3])
    if padding == "same":
        input, padding_ = _same_padding(input, kernel, dilation_, stride_)
    elif padding == "valid":
        padding_ = (0, 0)
    elif isinstance(padding, str):
        raise ValueError(f"Invalid padding string {padding!r}, should be one of ['valid', 'same']")
    else:
        padding_ = _pair(padding, "padding", "conv2d")
    if min(stride_) < 1 or min(dilation_) < 1 or min(padding_) < 0:
        raise RuntimeError(
            f"conv2d: stride and dilation must be positive and padding non-negative, got stride="
            f"{stride_}, padding={padding_}, dilation={dilation_}"
        )
    geometry = Geometry(stride_, padding_, dilation_, groups)
    size = (input._data.shape[2], input._data.shape[3])
    if min(geometry.out_size(size, kernel)) < 1:
        raise RuntimeError(
            f"conv2d: the input's padded size ({size[0] + 2 * padding_[0]} x "
            f"{size[1] + 2 * padding_[1]}) is smaller than the dilated kernel "
            f"({dilation_[0] * (kernel[0] - 1) + 1} x {dilation_[1] * (kernel[1] - 1) + 1})"
        )
    inputs = (input, weight) if bias is None else (input, weight, bias)
    out = apply(Conv, *inputs, geometry=geometry)
    return out.squeeze(0) if unbatched else out


def conv1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """1-D convolution of (N, C, L) or (C, L) ``input`` with ``weight`` (O, C/groups, k): a 2-D
    convolution on a height of 1."""
    if input._data.ndim not in (2, 3) or weight._data.ndim != 3:
        raise RuntimeError(
            "conv1d: expected a 2-D (unbatched) or 3-D input and a 3-D weight, got shapes "
            f"{list(input.shape)} and {list(weight.shape)}"
        )
    one = (lambda v: v) if isinstance(padding, str) else (lambda v: (0, _single(v)))
    out = conv2d(
        input.unsqueeze(-2),
        weight.unsqueeze(-2),
        bias,
        stride=(1, _single(stride)),
        padding=one(padding),
        dilation=(1, _single(dilation)),
        groups=groups,
    )
    return out.squeeze(-2)


def conv_transpose2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    """The transposed convolution ("deconvolution") of (N, Cin, H, W) ``input`` with ``weight``
    (Cin, Cout/groups, kh, kw): the gradient of conv2d for its input, used to upsample."""
    input, unbatched = _batched(input, "conv_transpose2d")
    _check(input, weight, groups, "conv_transpose2d", transposed=True)
    geometry = Geometry(
        _pair(stride, "stride", "conv2d"),
        _pair(padding, "padding", "conv2d"),
        _pair(dilation, "dilation", "conv2d"),
        groups,
    )
    extra = _pair(output_padding, "output_padding", "conv2d")
    if any(e < 0 or e >= max(s, d) for e, s, d in zip(extra, geometry.stride, geometry.dilation)):
        raise RuntimeError(
            f"conv_transpose2d: output_padding {extra} must be non-negative and smaller than "
            f"either the stride {geometry.stride} or the dilation {geometry.dilation}"
        )
    if any(e >= s for e, s in zip(extra, geometry.stride)):
        # Padding of a stride or more (torch allows it below the dilation): each whole stride
        # of it is one more input row (or column) of zeros, whose outputs lie beyond the rest;
        # what remains is below the stride, as the kernels take it.
        more = [e // s for e, s in zip(extra, geometry.stride)]
        input = pad(input, (0, more[1], 0, more[0]))
        extra = (extra[0] % geometry.stride[0], extra[1] % geometry.stride[1])
    shape = output_padding_shape(
        tuple(input._data.shape), tuple(weight._data.shape), geometry, extra
    )
    if min(shape[2:]) < 1:
        raise RuntimeError(f"conv_transpose2d: the output size {list(shape)} is too small")
    out = apply(ConvInput, input, weight, geometry=geometry, shape=shape)
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1)
    return out.squeeze(0) if unbatched else out


def conv_transpose1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    """The transposed 1-D convolution: conv_transpose2d on a height of 1."""
    out = conv_transpose2d(
        input.unsqueeze(-2),
        weight.unsqueeze(-2),
        bias,
        stride=(1, _single(stride)),
        padding=(0, _single(padding)),
        output_padding=(0, _single(output_padding)),
        groups=groups,
        dilation=(1, _single(dilation)),
    )
    return out.squeeze(-2)
