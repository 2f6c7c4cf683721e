"""``nerve.nn.functional``: the layers and losses as functions (torch.nn.functional's names).

Example:
    >>> import nerve
    >>> import nerve.nn.functional as F
    >>> logits = nerve.tensor([[2.0, 0.5, -1.0]])
    >>> F.cross_entropy(logits, nerve.tensor([0]))
    tensor(0.2413)
"""

from __future__ import annotations

import warnings
from typing import Any

from ..backend import dtypes
from ..creation import rand, zeros
from ..ops import loss_ops, nn_ops
from ..ops.promotion import TORCH_NAMES
from ..ops.softmax import log_softmax, softmax
from ..ops.unary import relu, sigmoid, tanh
from ..tensor import Tensor

__all__ = [
    "batch_norm",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "dropout",
    "elu",
    "gelu",
    "hardtanh",
    "huber_loss",
    "l1_loss",
    "layer_norm",
    "leaky_relu",
    "linear",
    "log_softmax",
    "mse_loss",
    "nll_loss",
    "one_hot",
    "prelu",
    "relu",
    "relu6",
    "sigmoid",
    "silu",
    "smooth_l1_loss",
    "softmax",
    "softplus",
    "tanh",
]

linear = nn_ops.linear
leaky_relu = nn_ops.leaky_relu
elu = nn_ops.elu
gelu = nn_ops.gelu
silu = nn_ops.silu
softplus = nn_ops.softplus
hardtanh = nn_ops.hardtanh

_REDUCTIONS = ("none", "mean", "sum")


def relu6(input: Tensor) -> Tensor:
    return hardtanh(input, 0.0, 6.0)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """max(0, x) + weight * min(0, x), one weight per channel (dim 1) or one for all."""
    if weight.numel() > 1 and input.dim() > 1:
        weight = weight.reshape((1, -1) + (1,) * (input.dim() - 2))
    return input.where(input > 0, weight * input)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1/(1-p), in training only."""
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return input
    if p == 1:
        return input * 0
    keep = (rand(input.shape, dtype=input.dtype, device=input.device) >= p).to(input.dtype)
    return input * (keep * (1.0 / (1 - p)))


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float | None = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize each channel (dim 1) by batch statistics in training, by the running ones in
    evaluation; the running statistics are updated in place while training."""
    if input.dim() < 2:
        raise ValueError(f"batch_norm: expected 2D or 3D input (got {input.dim()}D input)")
    axes = (0,) + tuple(range(2, input.dim()))
    shape = (1, -1) + (1,) * (input.dim() - 2)
    if training:
        count = input.numel() // input.shape[1]
        if count <= 1:
            raise ValueError(
                "Expected more than 1 value per channel when training, got input size "
                f"{list(input.shape)}"
            )
        mean = input.mean(dim=axes, keepdim=True)
        centred = input - mean
        var = (centred * centred).mean(dim=axes, keepdim=True)
        if running_mean is not None and running_var is not None:
            _update_running(running_mean, running_var, mean, var, count, momentum)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm in evaluation mode needs running_mean and running_var")
        mean, var = running_mean.reshape(shape), running_var.reshape(shape)
        centred = input - mean
    out = centred * (var + eps).rsqrt()
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def _update_running(
    running_mean: Tensor,
    running_var: Tensor,
    mean: Tensor,
    var: Tensor,
    count: int,
    momentum: float | None,
) -> None:
    from ..autograd.grad_mode import no_grad

    factor = 0.1 if momentum is None else momentum  # None: cumulative average, set by the layer
    with no_grad():
        unbiased = var.detach().reshape(-1) * (count / (count - 1))
        running_mean.mul_(1 - factor).add_(mean.detach().reshape(-1) * factor)
        running_var.mul_(1 - factor).add_(unbiased * factor)


def layer_norm(
    input: Tensor,
    normalized_shape: Any,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize over the trailing ``normalized_shape`` dimensions of each sample."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(input.shape[input.dim() - len(shape) :]) != shape:
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape [*, "
            f"{', '.join(map(str, shape))}], but got input of size {list(input.shape)}"
        )
    axes = tuple(range(input.dim() - len(shape), input.dim()))
    mean = input.mean(dim=axes, keepdim=True)
    centred = input - mean
    var = (centred * centred).mean(dim=axes, keepdim=True)
    out = centred * (var + eps).rsqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


# -- losses ------------------------------------------------------------------------------


def _check_reduction(reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(
            f"{reduction} is not a valid value for reduction; expected one of {_REDUCTIONS}"
        )


def _check_same_shape(input: Tensor, target: Tensor, name: str) -> None:
    if input._data.shape != target._data.shape:
        raise ValueError(
            f"{name}: Using a target size ({list(target.shape)}) that is different to the input "
            f"size ({list(input.shape)}). This will likely lead to incorrect results due to "
            "broadcasting. Please ensure they have the same size."
        )


def legacy_reduction(size_average: bool | None, reduce: bool | None, reduction: str) -> str:
    """The ``reduction`` that torch's deprecated ``size_average`` / ``reduce`` arguments mean,
    with torch's warning; ``reduction`` when neither is given."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    chosen = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn(
        f"size_average and reduce args will be deprecated, please use reduction='{chosen}' "
        "instead.",
        UserWarning,
        stacklevel=3,
    )
    return chosen


def _check_binary_target(input: Tensor, target: Tensor) -> None:
    """binary_cross_entropy takes probabilities as targets: 0/1 labels as integers or bools
    raise torch's error (a float target of another precision is converted, where torch would
    raise too: it holds the right numbers)."""
    if target._data.dtype.kind != "f":
        raise RuntimeError(
            f"Found dtype {TORCH_NAMES[target.dtype.name]} but expected "
            f"{TORCH_NAMES[input.dtype.name]} (binary_cross_entropy: the target holds "
            f"probabilities of the input's dtype; convert it with target.to({input.dtype!r}))"
        )


def _apply_reduction(loss: Tensor, reduction: str) -> Tensor:
    _check_reduction(reduction)
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


def mse_loss(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """Mean squared error, (1/N) sum (y - y_hat)^2: the lecture's regression loss."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if tuple(input.shape) != tuple(target.shape):
        warnings.warn(
            f"Using a target size ({list(target.shape)}) that is different to the input size "
            f"({list(input.shape)}). This will likely lead to incorrect results due to "
            "broadcasting. Please ensure they have the same size.",
            stacklevel=2,
        )
        input, target = (
            input.expand(_broadcast(input, target)),
            target.expand(_broadcast(input, target)),
        )
    return loss_ops.mse(input, target.to(input.dtype), reduction)


def _broadcast(a: Tensor, b: Tensor) -> tuple[int, ...]:
    from ..ops.broadcast import broadcast_shape

    return broadcast_shape("mse_loss", a.shape, b.shape)


def l1_loss(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, reduction)
    return _apply_reduction((input - target).abs(), reduction)


def huber_loss(
    input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0
) -> Tensor:
    """Squared error below ``delta``, linear above: robust to outliers."""
    diff = (input - target).abs()
    loss = (0.5 * diff * diff).where(diff < delta, delta * (diff - 0.5 * delta))
    return _apply_reduction(loss, reduction)


def smooth_l1_loss(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, reduction)
    diff = (input - target).abs()
    if beta == 0:
        return _apply_reduction(diff, reduction)
    loss = (0.5 * diff * diff / beta).where(diff < beta, diff - 0.5 * beta)
    return _apply_reduction(loss, reduction)


def binary_cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """-(y log p + (1 - y) log(1 - p)) for probabilities ``input`` in [0, 1]."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    _check_same_shape(input, target, "binary_cross_entropy")
    _check_binary_target(input, target)
    # (the values' range, [0, 1] for both, is checked by the op on its arrays)
    return loss_ops.binary_cross_entropy(input, target.to(input.dtype), weight, reduction)


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """Sigmoid + binary cross entropy in one stable op; ``pos_weight`` weighs positive examples."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    _check_same_shape(input, target, "binary_cross_entropy_with_logits")
    if target._data.dtype.kind != "f" and input._data.dtype.kind == "f":
        raise RuntimeError(
            f"result type {TORCH_NAMES[input.dtype.name]} can't be cast to the desired output "
            f"type {TORCH_NAMES[target.dtype.name]} (binary_cross_entropy_with_logits: convert "
            f"the 0/1 target with target.float())"
        )
    return loss_ops.bce_with_logits(input, target.to(input.dtype), weight, pos_weight, reduction)


def _check_targets(target: Tensor, classes: int, ignore_index: int) -> None:
    data = target._data
    valid = data[data != ignore_index]
    if valid.size and (int(valid.min()) < 0 or int(valid.max()) >= classes):
        bad = int(valid.max()) if int(valid.max()) >= classes else int(valid.min())
        raise IndexError(
            f"Target {bad} is out of bounds: expected class indices in [0, {classes - 1}]"
        )


def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """The negative log likelihood of class indices, given log-probabilities (N, C, ...)."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if target._data.dtype.kind not in "iu":
        raise RuntimeError(
            f"expected target dtype to be Long or Byte, but got {TORCH_NAMES[target.dtype.name]}"
            f" (nll_loss: the target holds class indices of shape {list(input.shape[:1])}"
            f"{list(input.shape[2:]) if input.dim() > 2 else ''}; convert with target.long())"
        )
    log_p, flat_target = _flatten_classes(input, target)
    classes = log_p.shape[1]
    _check_targets(flat_target, classes, ignore_index)
    keep = flat_target != ignore_index
    safe = flat_target.masked_fill(~keep, 0)
    picked = log_p.gather(1, safe.unsqueeze(1)).squeeze(1)
    w = keep.to(log_p.dtype) if weight is None else weight.to(log_p.dtype)[safe] * keep
    loss = -picked * w
    if reduction == "none":
        return loss.reshape(target.shape)
    if reduction == "sum":
        return loss.sum()
    return _weighted_mean(loss.sum(), w.sum())


def _weighted_mean(total: Tensor, weight_sum: Tensor) -> Tensor:
    """``total / weight_sum``; when every target is ignored (weight_sum 0) the value is nan
    but the gradients are zero, as in torch, so that one such batch cannot poison a model."""
    if float(weight_sum.item()) == 0:
        return total + float("nan")  # the gradient of ``total`` is 0 where nothing is kept
    return total / weight_sum


def _flatten_classes(input: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
    """(N, C, d1, ...) scores and (N, d1, ...) targets as (N*d1*..., C) and (N*d1*...)."""
    if input.dim() == 1:
        return input.unsqueeze(0), target.reshape(1)
    if input.dim() == 2:
        if target.dim() != 1 or target.shape[0] != input.shape[0]:
            raise ValueError(
                f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                f"({target.shape[0] if target.dim() else 0}); target shape {list(target.shape)}"
            )
        return input, target
    return input.movedim(1, -1).reshape(-1, input.shape[1]), target.reshape(-1)


def _check_cross_entropy_target(input: Tensor, target: Tensor) -> None:
    """Name what is wrong with a target, as torch decides it: a target of the input's shape
    holds class probabilities (floating point); any other holds class indices (integers)."""
    kind = target._data.dtype.kind
    same_shape = target._data.shape == input._data.shape
    if kind == "f" and not same_shape:
        indices = [input.shape[0], *input.shape[2:]] if input.dim() > 1 else []
        raise RuntimeError(
            f"expected target dtype to be Long or Byte, but got {TORCH_NAMES[target.dtype.name]}"
            f" (cross_entropy: a target of shape {list(target.shape)} holds class indices, "
            f"expected integers of shape {indices} (target.long()); class probabilities need "
            f"the input's shape {list(input.shape)})"
        )
    if kind != "f" and same_shape and input.dim() > 0:
        indices = [input.shape[0], *input.shape[2:]] if input.dim() > 1 else []
        raise RuntimeError(
            "Expected floating point type for target with class probabilities, got "
            f"{TORCH_NAMES[target.dtype.name]} (cross_entropy: a target of the input's shape "
            f"{list(input.shape)} holds class probabilities, convert with target.float(); for "
            f"one-hot labels pass class indices target.argmax(dim=1), of shape {indices})"
        )


def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Softmax + cross entropy, -sum_i y_i log softmax(x)_i, on raw scores (logits).

    ``target`` holds class indices (N,) or class probabilities (N, C).
    """
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    _check_cross_entropy_target(input, target)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    probabilities = target._data.dtype.kind == "f"
    if weight is None and label_smoothing == 0:  # the fused op, when the targets suit it
        fused = loss_ops.cross_entropy_indices(input, target, ignore_index, reduction)
        if fused is not None:
            return fused
    log_p = log_softmax(input, dim=1 if input.dim() > 1 else 0)
    classes = input.shape[1] if input.dim() > 1 else input.shape[0]
    if probabilities:
        if ignore_index >= 0:  # as torch: a class index makes no sense for probabilities
            raise RuntimeError("ignore_index is not supported for floating point target")
        _check_same_shape(input, target, "cross_entropy")
        if label_smoothing > 0:
            target = target * (1 - label_smoothing) + label_smoothing / classes
        shape = (1, -1) + (1,) * (input.dim() - 2) if input.dim() > 1 else (-1,)
        scaled = log_p * target if weight is None else log_p * target * weight.reshape(shape)
        loss = -scaled.sum(dim=1 if input.dim() > 1 else 0)
        if reduction == "mean":
            return loss.sum() / (loss.numel() if input.dim() > 1 else 1)
        return _apply_reduction(loss, reduction)
    nll = nll_loss(log_p, target, weight, ignore_index=ignore_index, reduction=reduction)
    if label_smoothing == 0:
        return nll
    flat_log_p, flat_target = _flatten_classes(log_p, target)
    keep = (flat_target != ignore_index).to(log_p.dtype)
    per_class = flat_log_p if weight is None else flat_log_p * weight.to(log_p.dtype)
    smooth = -per_class.sum(dim=1) * keep
    if reduction == "none":
        smooth = smooth.reshape(target.shape)
    elif reduction == "sum":
        smooth = smooth.sum()
    elif weight is None:
        smooth = _weighted_mean(smooth.sum(), keep.sum())
    else:
        safe = flat_target.masked_fill(flat_target == ignore_index, 0)
        smooth = _weighted_mean(smooth.sum(), (weight.to(log_p.dtype)[safe] * keep).sum())
    return (1 - label_smoothing) * nll + (label_smoothing / classes) * smooth


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Class indices as one-hot rows of int64 (torch.nn.functional.one_hot)."""
    if tensor._data.dtype.kind not in "iu":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        num_classes = int(tensor._data.max()) + 1 if tensor.numel() else 0
    out = zeros(*tensor.shape, num_classes, dtype=dtypes.int64, device=tensor.device)
    if tensor.numel():
        if int(tensor._data.max()) >= num_classes or int(tensor._data.min()) < 0:
            raise RuntimeError("Class values must be smaller than num_classes.")
        out._data[(*_all_positions(tensor), tensor._data)] = 1
    return out


def _all_positions(tensor: Tensor) -> tuple[Any, ...]:
    return tuple(tensor.device.xp.indices(tensor._data.shape))


# Convolutions and padding (their own module, for the length of this one).
from ..ops.pad import pad  # noqa: E402, F401
from .functional_conv import (  # noqa: E402, F401
    conv1d,
    conv2d,
    conv_transpose1d,
    conv_transpose2d,
)

# Distances and vector normalisation (their own module).
from .functional_distance import (  # noqa: E402, F401
    cosine_similarity,
    normalize,
    pairwise_distance,
)

# Pooling, unfold/fold, 2-D normalisation, channel dropout and interpolation (their own modules).
from .functional_norm import dropout1d, dropout2d, group_norm, instance_norm  # noqa: E402, F401
from .functional_pool import (  # noqa: E402, F401
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    avg_pool1d,
    avg_pool2d,
    fold,
    max_pool1d,
    max_pool2d,
    max_unpool2d,
    unfold,
)

# Sequence models: embedding lookup and attention (their own module).
from .functional_seq import (  # noqa: E402, F401
    embedding,
    multi_head_attention_forward,
    scaled_dot_product_attention,
)
from .upsample import interpolate  # noqa: E402, F401
