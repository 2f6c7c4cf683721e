"""Convolution layers: Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d (torch.nn's names).

A convolution layer is a small Linear layer applied to every window of the image, with the same
weights everywhere: a feature detector that finds its pattern wherever it appears.
"""

from __future__ import annotations

import math
from typing import Any

from ..creation import empty
from ..ops.pad import pad
from ..tensor import Tensor
from . import functional_conv as F
from . import init
from .module import Module
from .parameter import Parameter

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _tuple(value: Any, n: int, name: str) -> tuple[int, ...]:
    if isinstance(value, int):
        return (value,) * n
    result = tuple(int(v) for v in value)
    if len(result) != n:
        raise ValueError(f"{name} must be an int or a tuple of {n} ints, got {value!r}")
    return result


class _ConvNd(Module):
    """What Conv and ConvTranspose layers of any dimension share: the parameters, their
    initialisation (torch's: kaiming-uniform with a = sqrt(5)) and the checks."""

    dims = 2
    transposed = False

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        if groups < 1 or in_channels % groups or out_channels % groups:
            raise ValueError(
                f"{name}: in_channels ({in_channels}) and out_channels ({out_channels}) must "
                f"both be divisible by groups ({groups})"
            )
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"padding_mode must be one of {list(_PADDING_MODES)}, but got "
                f"padding_mode='{padding_mode}'"
            )
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(
                    f"Invalid padding string {padding!r}, should be one of ['valid', 'same']"
                )
            if padding == "same" and any(s != 1 for s in _tuple(stride, self.dims, "stride")):
                raise ValueError("padding='same' is not supported for strided convolutions")
        n = self.dims
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _tuple(kernel_size, n, "kernel_size")
        self.stride = _tuple(stride, n, "stride")
        self.padding = padding if isinstance(padding, str) else _tuple(padding, n, "padding")
        self.dilation = _tuple(dilation, n, "dilation")
        self.output_padding = (0,) * n
        self.groups, self.padding_mode = groups, padding_mode
        shape = (
            (in_channels, out_channels // groups, *self.kernel_size)
            if self.transposed
            else (out_channels, in_channels // groups, *self.kernel_size)
        )
        self.weight = Parameter(empty(*shape, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def _padded(self, input: Tensor) -> tuple[Tensor, Any]:
        """The input padded by ``padding_mode`` (then the convolution pads no more)."""
        if self.padding_mode == "zeros" or self.padding == "valid":
            return input, self.padding
        widths: list[int] = []  # (before, after) from the last dimension backwards, as F.pad
        for d in reversed(range(self.dims)):
            if self.padding == "same":  # the odd one at the end, as torch
                total = self.dilation[d] * (self.kernel_size[d] - 1)
                widths += [total // 2, total - total // 2]
            else:
                widths += [self.padding[d], self.padding[d]]
        return pad(input, widths, mode=self.padding_mode), 0

    def extra_repr(self) -> str:
        text = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding not in ((0,) * self.dims, "valid"):
            text += (
                f", padding={self.padding!r}"
                if isinstance(self.padding, str)
                else (f", padding={self.padding}")
            )
        if self.dilation != (1,) * self.dims:
            text += f", dilation={self.dilation}"
        if self.output_padding != (0,) * self.dims:
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text


class Conv2d(_ConvNd):
    """2-D convolution over (N, C, H, W) images: ``out_channels`` filters of
    ``kernel_size``, each looking at every input channel (of its group).

    Example:
        >>> import nerve
        >>> conv = nerve.nn.Conv2d(1, 16, kernel_size=3, padding=1)
        >>> conv(nerve.zeros(32, 1, 8, 8)).shape
        nerve.Size([32, 16, 8, 8])
    """

    def forward(self, input: Tensor) -> Tensor:
        input, padding = self._padded(input)
        return F.conv2d(
            input, self.weight, self.bias, self.stride, padding, self.dilation, self.groups
        )


class Conv1d(_ConvNd):
    """1-D convolution over (N, C, L) sequences.

    Example:
        >>> import nerve
        >>> nerve.nn.Conv1d(2, 4, kernel_size=3)(nerve.zeros(8, 2, 10)).shape
        nerve.Size([8, 4, 8])
    """

    dims = 1

    def forward(self, input: Tensor) -> Tensor:
        input, padding = self._padded(input)
        padding = padding if isinstance(padding, str) else _tuple(padding, 1, "padding")[0]
        return F.conv1d(
            input, self.weight, self.bias, self.stride[0], padding, self.dilation[0], self.groups
        )


class ConvTranspose2d(_ConvNd):
    """The transposed 2-D convolution: upsampling with learned filters (the gradient of a
    Conv2d for its input). Its weight is (in_channels, out_channels / groups, kh, kw).

    Example:
        >>> import nerve
        >>> up = nerve.nn.ConvTranspose2d(8, 4, kernel_size=2, stride=2)
        >>> up(nerve.zeros(1, 8, 5, 5)).shape
        nerve.Size([1, 4, 10, 10])
    """

    transposed = True

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        output_padding: Any = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: Any = 1,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        if padding_mode != "zeros":
            raise ValueError(f"Only 'zeros' padding mode is supported for {type(self).__name__}")
        super().__init__(
            in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
            padding_mode, device, dtype,
        )  # fmt: skip
        self.output_padding = _tuple(output_padding, self.dims, "output_padding")

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:
        output_padding = self.output_padding
        if output_size is not None:  # the extra rows and columns that give that size
            output_padding = self._output_padding_for(input, tuple(output_size)[-self.dims :])
        return F.conv_transpose2d(
            input, self.weight, self.bias, self.stride, self.padding, output_padding,
            self.groups, self.dilation,
        )  # fmt: skip

    def _output_padding_for(self, input: Tensor, size: tuple[int, ...]) -> tuple[int, ...]:
        extra = []
        for d in range(self.dims):
            smallest = (
                (input.shape[-self.dims + d] - 1) * self.stride[d]
                - 2 * self.padding[d]
                + self.dilation[d] * (self.kernel_size[d] - 1)
                + 1
            )
            if not smallest <= size[d] < smallest + self.stride[d]:
                raise ValueError(
                    f"requested an output size of {list(size)}, but valid sizes range from "
                    f"{smallest} to {smallest + self.stride[d] - 1} (for an input of "
                    f"{list(input.shape)})"
                )
            extra.append(size[d] - smallest)
        return tuple(extra)


class ConvTranspose1d(ConvTranspose2d):
    """The transposed 1-D convolution over (N, C, L) sequences: (L - 1) * stride + kernel_size
    long (less twice the padding).

    Example:
        >>> import nerve
        >>> up = nerve.nn.ConvTranspose1d(4, 2, kernel_size=3, stride=2)
        >>> up(nerve.zeros(1, 4, 5)).shape
        nerve.Size([1, 2, 11])
    """

    dims = 1

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:
        output_padding = self.output_padding
        if output_size is not None:
            output_padding = self._output_padding_for(input, tuple(output_size)[-1:])
        return F.conv_transpose1d(
            input, self.weight, self.bias, self.stride[0], self.padding[0], output_padding[0],
            self.groups, self.dilation[0],
        )  # fmt: skip
