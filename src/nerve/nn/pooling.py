"""Pooling layers (torch.nn's names): MaxPool1d/2d, AvgPool1d/2d, the adaptive pools,
MaxUnpool2d, and Unfold/Fold.

A pooling layer summarizes each small window of a feature map by its maximum or its mean: the
map gets smaller and the network tolerates small shifts of what it detects. The layers hold
no parameters; they keep their settings and call ``nerve.nn.functional``.
"""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from . import functional_pool as F
from .module import Module


class _MaxPoolNd(Module):
    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        dilation: Any = 1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None and stride != [] else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class MaxPool2d(_MaxPoolNd):
    """The maximum of each window of (N, C, H, W) or (C, H, W) inputs.

    Example:
        >>> import nerve
        >>> nerve.nn.MaxPool2d(2)(nerve.randn(1, 3, 8, 8)).shape
        nerve.Size([1, 3, 4, 4])
    """

    def forward(self, input: Tensor) -> Any:
        return F.max_pool2d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            self.ceil_mode,
            self.return_indices,
        )


class MaxPool1d(_MaxPoolNd):
    """The maximum of each window of (N, C, L) or (C, L) inputs.

    Example:
        >>> import nerve
        >>> nerve.nn.MaxPool1d(2)(nerve.tensor([[[1.0, 5.0, 2.0, 0.0, 3.0, 4.0]]])).tolist()
        [[[5.0, 2.0, 4.0]]]
    """

    def forward(self, input: Tensor) -> Any:
        return F.max_pool1d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            self.ceil_mode,
            self.return_indices,
        )


class AvgPool2d(Module):
    """The mean of each window of (N, C, H, W) or (C, H, W) inputs.

    Example:
        >>> import nerve
        >>> nerve.nn.AvgPool2d(2)(nerve.ones(1, 1, 4, 4)).tolist()
        [[[[1.0, 1.0], [1.0, 1.0]]]]
    """

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None and stride != [] else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input: Tensor) -> Tensor:
        return F.avg_pool2d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(Module):
    """The mean of each window of (N, C, L) or (C, L) inputs.

    Example:
        >>> import nerve
        >>> nerve.nn.AvgPool1d(3)(nerve.tensor([[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]]])).tolist()
        [[[2.0, 5.0]]]
    """

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
    ) -> None:
        super().__init__()
        self.kernel_size = _one(kernel_size)
        self.stride = _one(stride if stride is not None and stride != [] else kernel_size)
        self.padding, self.ceil_mode = _one(padding), ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input: Tensor) -> Tensor:
        return F.avg_pool1d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


def _one(value: Any) -> tuple[int]:
    """torch's AvgPool1d keeps its sizes as 1-tuples."""
    return (int(value),) if isinstance(value, int) else tuple(int(v) for v in value)  # type: ignore[return-value]


class _AdaptivePool(Module):
    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool2d(_AdaptivePool):
    """Average pooling to a fixed ``output_size`` (an int, a pair, None keeps that size),
    whatever the input's size: ``AdaptiveAvgPool2d(1)`` is global average pooling.

    Example:
        >>> import nerve
        >>> nerve.nn.AdaptiveAvgPool2d((2, 3))(nerve.randn(1, 4, 9, 7)).shape
        nerve.Size([1, 4, 2, 3])
    """

    def __init__(self, output_size: Any) -> None:
        super().__init__(output_size)

    def forward(self, input: Tensor) -> Tensor:
        return F.adaptive_avg_pool2d(input, self.output_size)


class AdaptiveAvgPool1d(_AdaptivePool):
    """Average pooling of (N, C, L) or (C, L) inputs to a fixed length.

    Example:
        >>> import nerve
        >>> pool = nerve.nn.AdaptiveAvgPool1d(2)
        >>> pool(nerve.tensor([[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]]])).tolist()
        [[[2.0, 5.0]]]
    """

    def __init__(self, output_size: Any) -> None:
        super().__init__(output_size)

    def forward(self, input: Tensor) -> Tensor:
        return F.adaptive_avg_pool1d(input, self.output_size)


class AdaptiveMaxPool2d(_AdaptivePool):
    """Max pooling to a fixed ``output_size``; ``return_indices`` also returns where each
    maximum was (as h * W + w in its plane).

    Example:
        >>> import nerve
        >>> pool = nerve.nn.AdaptiveMaxPool2d(2, return_indices=True)
        >>> values, indices = pool(nerve.arange(16.0).reshape(1, 1, 4, 4))
        >>> values.tolist(), indices.tolist()
        ([[[[5.0, 7.0], [13.0, 15.0]]]], [[[[5, 7], [13, 15]]]])
    """

    def forward(self, input: Tensor) -> Any:
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool1d(_AdaptivePool):
    """Max pooling of (N, C, L) or (C, L) inputs to a fixed length.

    Example:
        >>> import nerve
        >>> pool = nerve.nn.AdaptiveMaxPool1d(3)
        >>> pool(nerve.tensor([[[1.0, 5.0, 2.0, 0.0, 3.0, 4.0]]])).tolist()
        [[[5.0, 2.0, 4.0]]]
    """

    def forward(self, input: Tensor) -> Any:
        return F.adaptive_max_pool1d(input, self.output_size, self.return_indices)


class MaxUnpool2d(Module):
    """Put each value of a max-pooled map back where ``indices`` says it came from (zeros
    elsewhere): the partial inverse of ``MaxPool2d(..., return_indices=True)``.

    Example:
        >>> import nerve
        >>> pool = nerve.nn.MaxPool2d(2, return_indices=True)
        >>> values, indices = pool(nerve.tensor([[[[1.0, 2.0], [4.0, 3.0]]]]))
        >>> nerve.nn.MaxUnpool2d(2)(values, indices).tolist()
        [[[[0.0, 0.0], [4.0, 0.0]]]]
    """

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        self.kernel_size = F._pair(kernel_size, "kernel_size", "MaxUnpool2d")
        self.stride = (
            self.kernel_size if stride is None else F._pair(stride, "stride", "MaxUnpool2d")
        )
        self.padding = F._pair(padding, "padding", "MaxUnpool2d")

    def forward(self, input: Tensor, indices: Tensor, output_size: Any = None) -> Tensor:
        return F.max_unpool2d(
            input, indices, self.kernel_size, self.stride, self.padding, output_size
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class Unfold(Module):
    """The sliding blocks of images as columns (N, C * kh * kw, L): ``F.unfold``.

    Example:
        >>> import nerve
        >>> blocks = nerve.nn.Unfold(kernel_size=2)(nerve.arange(9.0).reshape(1, 1, 3, 3))
        >>> blocks.shape  # 4 values per 2x2 block, 4 blocks
        nerve.Size([1, 4, 4])
        >>> blocks[0, :, 0].tolist()  # the top-left block
        [0.0, 1.0, 3.0, 4.0]
    """

    def __init__(
        self, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1
    ) -> None:
        super().__init__()
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride

    def forward(self, input: Tensor) -> Tensor:
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, dilation={self.dilation}, padding={self.padding}, "
            f"stride={self.stride}"
        )


class Fold(Module):
    """Columns of blocks added back into images of ``output_size``: ``F.fold``; where blocks
    overlap, their values add up.

    Example:
        >>> import nerve
        >>> blocks = nerve.nn.Unfold(kernel_size=2)(nerve.ones(1, 1, 3, 3))
        >>> nerve.nn.Fold(output_size=(3, 3), kernel_size=2)(blocks).tolist()  # blocks per pixel
        [[[[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]]]
    """

    def __init__(
        self,
        output_size: Any,
        kernel_size: Any,
        dilation: Any = 1,
        padding: Any = 0,
        stride: Any = 1,
    ) -> None:
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input: Tensor) -> Tensor:
        return F.fold(
            input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride
        )

    def extra_repr(self) -> str:
        return (
            f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
            f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}"
        )
