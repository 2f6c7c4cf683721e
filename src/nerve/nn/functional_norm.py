"""Normalisation over groups of channels and instances, and dropout of whole channels
(``nerve.nn.functional``'s group_norm, instance_norm, rms_norm, dropout1d and dropout2d).

All are compositions of existing ops (means, products, a random mask), so their gradients,
double backward included, are those ops' own.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np

from ..autograd.grad_mode import no_grad
from ..creation import rand
from ..ops.inplace import apply_inplace
from ..ops.join import cat
from ..ops.standardize import standardize
from ..tensor import Tensor


def group_norm(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize each sample over groups of ``C / num_groups`` channels (and all positions),
    then scale and shift each channel: batch-size independent, for small batches.

    Example:
        >>> import nerve
        >>> out = nerve.nn.functional.group_norm(nerve.randn(2, 4, 3, 3), 2)
        >>> abs(float(out[0, :2].mean())) < 1e-5
        True
    """
    shape = tuple(input._data.shape)
    if len(shape) < 2 or num_groups < 1 or shape[1] % num_groups:
        raise RuntimeError(
            "Expected number of channels in input to be divisible by num_groups, but got "
            f"input of shape {list(shape)} and num_groups={num_groups}"
        )
    per_group = shape[1] // num_groups * math.prod(shape[2:])  # (-1 fails when empty)
    grouped = input.reshape(shape[0], num_groups, per_group)
    out = standardize(grouped, (2,), eps)[0].reshape(shape)
    per_channel = (1, -1) + (1,) * (len(shape) - 2)
    if weight is not None:
        out = out * weight.reshape(per_channel)
    if bias is not None:
        out = out + bias.reshape(per_channel)
    return out


def instance_norm(
    input: Tensor,
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize each channel of each sample (N, C, ...) over its positions. With running
    statistics, training updates them by the batch's mean of the per-instance statistics (as
    torch), and ``use_input_stats=False`` normalizes with them instead."""
    shape = tuple(input._data.shape)
    axes = tuple(range(2, len(shape)))
    per_channel = (1, -1) + (1,) * (len(shape) - 2)
    if use_input_stats:
        count = 1
        for n in shape[2:]:
            count *= n
        if count <= 1:
            raise ValueError(
                f"Expected more than 1 spatial element when training, got input size {list(shape)}"
            )
        out, mean, var = standardize(input, axes, eps)
        if running_mean is not None and running_var is not None:
            with no_grad():
                unbiased = var * (count / (count - 1))
                batch_mean = mean.reshape(shape[0], shape[1]).mean(dim=0)
                batch_var = unbiased.reshape(shape[0], shape[1]).mean(dim=0)
                running_mean.mul_(1 - momentum).add_(batch_mean * momentum)
                running_var.mul_(1 - momentum).add_(batch_var * momentum)
    else:
        if running_mean is None or running_var is None:
            raise ValueError(
                "Expected running_mean and running_var to be defined when not training"
            )
        mean, var = running_mean.reshape(per_channel), running_var.reshape(per_channel)
        out = (input - mean) * (var + eps).rsqrt()
    if weight is not None:
        out = out * weight.reshape(per_channel)
    if bias is not None:
        out = out + bias.reshape(per_channel)
    return out


def _channel_dropout(input: Tensor, p: float, training: bool) -> Tensor:
    """Zero each (sample, channel) with probability ``p``, whole, and scale the rest by
    1 / (1 - p): the mask is (N, C, 1, ...), broadcast over the positions."""
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return input
    if p == 1:
        return input * 0
    shape = tuple(input._data.shape[:2]) + (1,) * (input._data.ndim - 2)
    keep = (rand(shape, dtype=input.dtype, device=input.device) >= p).to(input.dtype)
    return input * (keep * (1.0 / (1 - p)))


def dropout1d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) ``input`` with probability ``p``
    (``inplace=True``: in ``input`` itself, returned)."""
    if inplace and training and p != 0:
        return apply_inplace(input, lambda x: dropout1d(x, p, training))
    ndim = input._data.ndim
    if ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {ndim}D input. Note that "
            "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
            "dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D "
            "inputs)."
        )
    if ndim == 2:  # unbatched (C, L)
        return _channel_dropout(input.unsqueeze(0), p, training).squeeze(0)
    return _channel_dropout(input, p, training)


def dropout2d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zero whole channels (feature maps) of (N, C, H, W) ``input`` with probability ``p``:
    neighbouring pixels are correlated, so dropping single ones regularizes little
    (``inplace=True``: in ``input`` itself, returned)."""
    if inplace and training and p != 0:
        return apply_inplace(input, lambda x: dropout2d(x, p, training))
    ndim = input._data.ndim
    if ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {ndim}-D input to dropout2d, which is deprecated and will "
            "result in an error in a future release. To retain the behavior and silence this "
            "warning, please use dropout instead. Note that dropout2d exists to provide "
            "channel-wise dropout on inputs with 2 spatial dimensions, a channel dimension, "
            "and an optional batch dimension (i.e. 3D or 4D inputs).",
            stacklevel=2,
        )
    if ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C "
            "is the channel dim. This behavior will change in a future release to interpret "
            "the input as one without a batch dimension, i.e. shape (C, H, W). To maintain "
            "the 1D channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2,
        )
    if ndim < 2:
        return _channel_dropout(input.reshape(1, -1), p, training).reshape(input.shape)
    return _channel_dropout(input, p, training)


def rms_norm(
    input: Tensor,
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    eps: float | None = None,
) -> Tensor:
    """Each sample divided by the root mean square of its last ``normalized_shape``
    dimensions (plus ``eps``, by default the dtype's machine epsilon), then scaled by
    ``weight``: LayerNorm without the mean, as recent transformers use it.

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> F.rms_norm(nerve.tensor([[3.0, 4.0]]), [2])
        tensor([[0.8485, 1.1314]])
    """
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    size = tuple(input._data.shape)
    if not shape or size[len(size) - len(shape) :] != shape or len(shape) > len(size):
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape "
            f"[*{', '.join(map(str, shape))}], but got input of size{list(size)}"
        )
    if eps is None:
        eps = float(np.finfo(input._data.dtype).eps)
    axes = tuple(range(len(size) - len(shape), len(size)))
    out = input * ((input * input).mean(dim=axes, keepdim=True) + eps).rsqrt()
    return out if weight is None else out * weight


def local_response_norm(
    input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0
) -> Tensor:
    """Each value divided by ``(k + alpha * mean of the squares of the size channels around
    it) ** beta`` (AlexNet's local response normalization; channels beyond the edges count as
    zeros, as torch's average pool over them).

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> F.local_response_norm(nerve.ones(1, 3, 1, 1), 2, alpha=1.0, beta=1.0).flatten()
        tensor([0.6667, 0.5000, 0.5000])
    """
    if input.dim() < 3:
        raise ValueError(
            f"Expected 3D or higher dimensionality input (got {input.dim()} dimensions)"
        )
    if input.numel() == 0:
        return input
    squares = input * input
    channels = input.shape[1]
    before, after = size // 2, (size - 1) // 2
    padded = squares.new_zeros((input.shape[0], before, *input.shape[2:]))
    padded = cat([padded, squares, squares.new_zeros((input.shape[0], after, *input.shape[2:]))], 1)
    window = padded.narrow(1, 0, channels)
    for shift in range(1, size):
        window = window + padded.narrow(1, shift, channels)
    return input / (window * (alpha / size) + k) ** beta
