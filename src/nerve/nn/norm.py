"""Normalization layers: BatchNorm1d/2d/3d (a regularizer in the lecture's list), LayerNorm,
GroupNorm and InstanceNorm1d/2d."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..backend import dtypes
from ..creation import ones, tensor, zeros
from ..tensor import Tensor
from . import functional as F
from . import functional_norm
from .module import Module
from .parameter import Parameter


class _BatchNorm(Module):
    """Normalize each channel (dim 1) by the batch's mean and variance over every other
    dimension while training, and by running estimates (updated with ``momentum``; None: a
    cumulative average) in evaluation mode; then scale and shift. Subclasses check the
    input's number of dimensions."""

    dims: tuple[int, ...] = ()

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device: Any = None,
        dtype: Any = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = Parameter(ones(num_features, dtype=dtype, device=device))
            if bias:
                self.bias = Parameter(zeros(num_features, dtype=dtype, device=device))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, dtype=dtype, device=device))
            self.register_buffer("running_var", ones(num_features, dtype=dtype, device=device))
            self.register_buffer(
                "num_batches_tracked", tensor(0, dtype=dtypes.int64, device=device)
            )
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def _check_input_dim(self, input: Tensor) -> None:
        if input.dim() not in self.dims:
            expected = " or ".join(f"{n}D" for n in self.dims)
            raise ValueError(f"expected {expected} input (got {input.dim()}D input)")
        if input.shape[1] != self.num_features:
            raise ValueError(
                f"{type(self).__name__}({self.num_features}) got input with {input.shape[1]} "
                f"channels (shape {list(input.shape)}); expected dimension 1 to be "
                f"{self.num_features}"
            )

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        momentum = self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.add_(1)
            if momentum is None:  # a cumulative moving average of all batches so far
                momentum = 1.0 / int(self.num_batches_tracked.item())
        # Batch statistics while training, or always when there are no running estimates.
        use_batch_stats = self.training or self.running_mean is None
        return F.batch_norm(
            input,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            use_batch_stats,
            0.1 if momentum is None else momentum,
            self.eps,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) inputs, per feature C.

    Example:
        >>> import nerve
        >>> bn = nerve.nn.BatchNorm1d(3)
        >>> out = bn(nerve.randn(16, 3))
        >>> bool((out.mean(dim=0).abs() < 1e-5).all())  # each feature centred on the batch
        True
    """

    dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalization of images (N, C, H, W), per channel over (N, H, W).

    Example:
        >>> import nerve
        >>> out = nerve.nn.BatchNorm2d(2)(nerve.randn(4, 2, 3, 3))
        >>> bool((out.mean(dim=(0, 2, 3)).abs() < 1e-5).all())
        True
    """

    dims = (4,)


class BatchNorm3d(_BatchNorm):
    """Batch normalization of volumes (N, C, D, H, W), per channel.

    Example:
        >>> import nerve
        >>> _ = nerve.manual_seed(0)
        >>> layer = nerve.nn.BatchNorm3d(2)
        >>> out = layer(nerve.randn(4, 2, 3, 3, 3) * 5 + 1)
        >>> bool((out.mean(dim=(0, 2, 3, 4)).abs() < 1e-5).all()), out.shape
        (True, nerve.Size([4, 2, 3, 3, 3]))
        >>> layer.running_mean.shape
        nerve.Size([2])
    """

    dims = (5,)


def _trailing_shape(normalized_shape: int | Sequence[int]) -> tuple[int, ...]:
    """The trailing dimensions a layer normalizes over, as a tuple (an int is one)."""
    return (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)


class LayerNorm(Module):
    """Normalize each sample over its last dimensions, then scale and shift elementwise.

    ``normalized_shape`` names the trailing dimensions normalized together; the learned
    ``weight`` and ``bias`` have that shape (``elementwise_affine=False``: none). Unlike batch
    norm, no statistic depends on the batch, so training and evaluation agree.

    Example:
        >>> import nerve
        >>> layer = nerve.nn.LayerNorm(3)
        >>> layer(nerve.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 6.0]]))
        tensor([[-1.2247,  0.0000,  1.2247],
                [-0.7071, -0.7071,  1.4142]], grad_fn=<...>)
        >>> layer.weight.shape, layer.bias.shape
        (nerve.Size([3]), nerve.Size([3]))
    """

    def __init__(
        self,
        normalized_shape: int | tuple[int, ...],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        shape = _trailing_shape(normalized_shape)
        self.normalized_shape, self.eps, self.elementwise_affine = shape, eps, elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(ones(shape, dtype=dtype, device=device))
            if bias:
                self.bias = Parameter(zeros(shape, dtype=dtype, device=device))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, "
            f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}"
        )


class RMSNorm(Module):
    """Divide each sample by the root mean square of its last dimensions, then scale
    elementwise: LayerNorm without the mean or the shift.

    ``eps=None`` takes the input dtype's machine epsilon, as torch.

    Example:
        >>> import nerve
        >>> layer = nerve.nn.RMSNorm(2)
        >>> layer(nerve.tensor([[3.0, 4.0]]))
        tensor([[0.8485, 1.1314]], grad_fn=<MulBackward0>)
        >>> layer
        RMSNorm((2,), eps=None, elementwise_affine=True)
    """

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float | None = None,
        elementwise_affine: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        shape = _trailing_shape(normalized_shape)
        self.normalized_shape, self.eps, self.elementwise_affine = shape, eps, elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(ones(shape, dtype=dtype, device=device))
        else:
            self.register_parameter("weight", None)

    def forward(self, input: Tensor) -> Tensor:
        return F.rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )


class GroupNorm(Module):
    """Normalize each sample over groups of channels (``num_channels / num_groups`` each),
    then scale and shift per channel; independent of the batch size.

    Example:
        >>> import nerve
        >>> nerve.nn.GroupNorm(2, 4)(nerve.randn(1, 4, 3, 3)).shape
        nerve.Size([1, 4, 3, 3])
    """

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        device: Any = None,
        dtype: Any = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        if num_groups < 1 or num_channels % num_groups:
            raise ValueError(
                f"num_channels ({num_channels}) must be divisible by num_groups ({num_groups})"
            )
        self.num_groups, self.num_channels, self.eps, self.affine = (
            num_groups,
            num_channels,
            eps,
            affine,
        )
        if affine:
            self.weight = Parameter(ones(num_channels, dtype=dtype, device=device))
            if bias:
                self.bias = Parameter(zeros(num_channels, dtype=dtype, device=device))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, input: Tensor) -> Tensor:
        return functional_norm.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
            f"bias={self.bias is not None}"
        )


class _InstanceNorm(_BatchNorm):
    """Normalize each channel of each sample over its positions (InstanceNorm1d/2d): no
    affine parameters and no running statistics unless asked."""

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = False,
        track_running_stats: bool = False,
        device: Any = None,
        dtype: Any = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__(
            num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias
        )

    def forward(self, input: Tensor) -> Tensor:
        if input.dim() not in self.dims:
            expected = " or ".join(f"{n}D" for n in self.dims)
            raise ValueError(f"expected {expected} input (got {input.dim()}D input)")
        unbatched = input.dim() == self.dims[0]
        if unbatched:
            input = input.unsqueeze(0)
        if input.shape[1] != self.num_features and self.affine:
            raise ValueError(
                f"expected input's size at dim=1 to match num_features ({self.num_features}), "
                f"but got: {input.shape[1]}."
            )
        out = functional_norm.instance_norm(
            input,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            self.training or not self.track_running_stats,
            0.0 if self.momentum is None else self.momentum,  # torch: None means 0 here
            self.eps,
        )
        return out.squeeze(0) if unbatched else out


class InstanceNorm1d(_InstanceNorm):
    """Instance normalization of (N, C, L) or unbatched (C, L) inputs.

    Each channel of each sample is normalized over its length on its own; by default with no
    learned affine and no running statistics (``affine``, ``track_running_stats``).

    Example:
        >>> import nerve
        >>> x = nerve.tensor([[[1.0, 2.0, 3.0], [4.0, 4.0, 10.0]]])
        >>> nerve.nn.InstanceNorm1d(2)(x)
        tensor([[[-1.2247,  0.0000,  1.2247],
                 [-0.7071, -0.7071,  1.4142]]])
    """

    dims = (2, 3)


class InstanceNorm2d(_InstanceNorm):
    """Instance normalization of images (N, C, H, W) or unbatched (C, H, W): each feature
    map normalized on its own (style transfer, small batches).

    Example:
        >>> import nerve
        >>> out = nerve.nn.InstanceNorm2d(2)(nerve.randn(1, 2, 4, 4))
        >>> abs(float(out[0, 1].mean())) < 1e-5
        True
    """

    dims = (3, 4)


class LocalResponseNorm(Module):
    """Each value divided by a power of the mean square of the ``size`` channels around it
    (AlexNet's normalization across channels, ``F.local_response_norm``).

    Example:
        >>> import nerve
        >>> nerve.nn.LocalResponseNorm(2)(nerve.ones(1, 3, 2, 2)).shape
        nerve.Size([1, 3, 2, 2])
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> None:
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input: Tensor) -> Tensor:
        return functional_norm.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
