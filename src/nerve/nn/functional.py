"""``nerve.nn.functional``: the layers and losses as functions (torch.nn.functional's names).

Example:
    >>> import nerve
    >>> import nerve.nn.functional as F
    >>> logits = nerve.tensor([[2.0, 0.5, -1.0]])
    >>> F.cross_entropy(logits, nerve.tensor([0]))
    tensor(0.2413)
"""

from __future__ import annotations

import math
from typing import Any

from ..backend import dtypes
from ..creation import rand, zeros
from ..ops import nn_ops, unary
from ..ops.inplace import apply_inplace
from ..ops.softmax import log_softmax, softmax, softmin  # noqa: F401
from ..ops.standardize import standardize
from ..ops.unary import sigmoid, tanh
from ..tensor import Tensor

__all__ = [
    "batch_norm",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "dropout",
    "elu",
    "elu_",
    "gelu",
    "hardtanh",
    "hardtanh_",
    "huber_loss",
    "l1_loss",
    "layer_norm",
    "leaky_relu",
    "leaky_relu_",
    "linear",
    "log_softmax",
    "mse_loss",
    "nll_loss",
    "one_hot",
    "prelu",
    "relu",
    "relu6",
    "relu_",
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


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0) elementwise (torch.nn.functional.relu); ``inplace=True`` writes the result
    into ``input`` and returns it, as torch does (an error for a leaf that requires grad).

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> F.relu(nerve.tensor([-1.0, 2.0]))
        tensor([0., 2.])
        >>> x = nerve.tensor([-1.0, 2.0])
        >>> _ = F.relu(x, inplace=True)
        >>> x
        tensor([0., 2.])
    """
    return apply_inplace(input, unary.relu) if inplace else unary.relu(input)


def relu_(input: Tensor) -> Tensor:
    """``relu(input, inplace=True)``: ``input`` set to max(x, 0), and returned.

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> x = nerve.tensor([-1.0, 2.0])
        >>> F.relu_(x) is x, x
        (True, tensor([0., 2.]))
    """
    return relu(input, inplace=True)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """``leaky_relu(input, negative_slope, inplace=True)``.

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> F.leaky_relu_(nerve.tensor([-1.0, 2.0]), 0.1)
        tensor([-0.1000,  2.0000])
    """
    return leaky_relu(input, negative_slope, inplace=True)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """``elu(input, alpha, inplace=True)``.

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> F.elu_(nerve.tensor([-1.0, 2.0]))
        tensor([-0.6321,  2.0000])
    """
    return elu(input, alpha, inplace=True)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """``hardtanh(input, min_val, max_val, inplace=True)``.

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> F.hardtanh_(nerve.tensor([-3.0, 0.5, 3.0]))
        tensor([-1.0000,  0.5000,  1.0000])
    """
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(0, x), 6) elementwise (torch.nn.functional.relu6); ``inplace=True`` writes
    the result into ``input`` and returns it.

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> F.relu6(nerve.tensor([-1.0, 3.0, 8.0]))
        tensor([0., 3., 6.])
    """
    return hardtanh(input, 0.0, 6.0, inplace)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """max(0, x) + weight * min(0, x), one weight per channel (dim 1) or one for all.

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> F.prelu(nerve.tensor([-2.0, 1.0]), nerve.tensor([0.25]))
        tensor([-0.5000,  1.0000])
        >>> F.prelu(nerve.tensor([[-2.0, -2.0]]), nerve.tensor([0.5, 0.1]))  # one per channel
        tensor([[-1.0000, -0.2000]])
    """
    if weight.numel() > 1 and input.dim() > 1:
        weight = weight.reshape((1, -1) + (1,) * (input.dim() - 2))
    return input.where(input > 0, weight * input)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1/(1-p), in training only
    (``inplace=True``: in ``input`` itself, returned).

    The scaling keeps each element's expected value, so evaluation (``training=False``) needs no
    correction: it returns ``input`` as it is.

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> x = nerve.ones(8)
        >>> F.dropout(x, p=0.5, training=False)
        tensor([1., 1., 1., 1., 1., 1., 1., 1.])
        >>> sorted(set(F.dropout(x, p=0.5).tolist())) in ([0.0, 2.0], [0.0], [2.0])
        True
    """
    return _drop(input, p, training, inplace, dropout, lambda x, keep: x * (keep * (1 / (1 - p))))


def _drop(
    input: Tensor,
    p: float,
    training: bool,
    inplace: bool,
    again: Any,
    kept: Any,
) -> Tensor:
    """What the dropouts share: torch's check of ``p``, the input itself outside training or
    for ``p`` 0, ``again`` (the dropout) applied in place for ``inplace``, zeros for ``p`` 1,
    else ``kept(input, keep)`` with ``keep`` 1 for each element kept (probability 1 - p), 0
    for each dropped, drawn from nerve's generator."""
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return input
    if inplace:
        return apply_inplace(input, lambda x: again(x, p, training))
    if p == 1:
        return input * 0
    keep = (rand(input.shape, dtype=input.dtype, device=input.device) >= p).to(input.dtype)
    return kept(input, keep)


# SELU's negative saturation, -scale * alpha: where alpha dropout sets a dropped value
_SELU_SATURATION = 1.7580993408473766


def alpha_dropout(
    input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False
) -> Tensor:
    """Dropout for self-normalizing networks (SELU): in training, each element is set with
    probability ``p`` to SELU's negative saturation, and an affine map keeps the mean and
    variance of a unit-Gaussian input; the identity in evaluation (the default here, as in
    torch's function).

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> F.alpha_dropout(nerve.ones(3), 0.5)  # training=False: the input
        tensor([1., 1., 1.])
    """

    def kept(x: Tensor, keep: Tensor) -> Tensor:  # x where kept, the saturation elsewhere
        a = 1 / math.sqrt((_SELU_SATURATION**2 * p + 1) * (1 - p))
        shift = (keep - 1) * (_SELU_SATURATION * a) + _SELU_SATURATION * a * p
        return x * (keep * a) + shift

    return _drop(input, p, training, inplace, alpha_dropout, kept)


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
    evaluation; the running statistics are updated in place while training.

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> x = nerve.tensor([[1.0, 2.0], [3.0, 6.0]])
        >>> mean, var = nerve.zeros(2), nerve.ones(2)
        >>> F.batch_norm(x, mean, var, training=True)
        tensor([[-1.0000, -1.0000],
                [ 1.0000,  1.0000]])
        >>> mean, var  # moved 10% (momentum) towards the batch's mean and unbiased variance
        (tensor([0.2000, 0.4000]), tensor([1.1000, 1.7000]))
    """
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
        out, mean, var = standardize(input, axes, eps)
        if running_mean is not None and running_var is not None:
            _update_running(running_mean, running_var, mean, var, count, momentum)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm in evaluation mode needs running_mean and running_var")
        mean, var = running_mean.reshape(shape), running_var.reshape(shape)
        out = (input - mean) * (var + eps).rsqrt()
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
    """Normalize over the trailing ``normalized_shape`` dimensions of each sample.

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> x = nerve.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 6.0]])
        >>> F.layer_norm(x, (3,))
        tensor([[-1.2247,  0.0000,  1.2247],
                [-0.7071, -0.7071,  1.4142]])
    """
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(input.shape[input.dim() - len(shape) :]) != shape:
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape [*, "
            f"{', '.join(map(str, shape))}], but got input of size {list(input.shape)}"
        )
    axes = tuple(range(input.dim() - len(shape), input.dim()))
    out = standardize(input, axes, eps)[0]
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Class indices as one-hot rows of int64 (torch.nn.functional.one_hot).

    ``num_classes=-1`` takes one more than the largest index.

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> F.one_hot(nerve.tensor([0, 2, 1]))
        tensor([[1, 0, 0],
                [0, 0, 1],
                [0, 1, 0]])
        >>> F.one_hot(nerve.tensor([0, 2]), num_classes=4)
        tensor([[1, 0, 0, 0],
                [0, 0, 1, 0]])
    """
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
from .embedding_bag import embedding_bag  # noqa: E402, F401

# The activations a learner meets later (their own module).
from .functional_activation import (  # noqa: E402, F401
    celu,
    celu_,
    glu,
    hardshrink,
    hardsigmoid,
    hardswish,
    logsigmoid,
    mish,
    rrelu,
    rrelu_,
    selu,
    selu_,
    softshrink,
    softsign,
    tanhshrink,
    threshold,
    threshold_,
)
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
from .functional_gumbel import gumbel_softmax  # noqa: E402, F401

# Likelihood losses (Poisson counts, Gaussian means and variances) and the bilinear form.
from .functional_likelihood import gaussian_nll_loss, poisson_nll_loss  # noqa: E402, F401
from .functional_linear import bilinear  # noqa: E402, F401

# The losses (their own module).
from .functional_loss import (  # noqa: E402, F401
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    kl_div,
    l1_loss,
    legacy_reduction,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)

# Losses on distances and margins (their own module).
from .functional_margin import (  # noqa: E402, F401
    cosine_embedding_loss,
    hinge_embedding_loss,
    margin_ranking_loss,
    multi_margin_loss,
    multilabel_margin_loss,
    multilabel_soft_margin_loss,
    soft_margin_loss,
    triplet_margin_loss,
)

# Pooling, unfold/fold, 2-D normalisation, channel dropout and interpolation (their own modules).
from .functional_norm import (  # noqa: E402, F401
    dropout1d,
    dropout2d,
    group_norm,
    instance_norm,
    local_response_norm,
    rms_norm,
)
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

# Pixels between channels and space (their own module).
from .functional_shape import channel_shuffle, pixel_shuffle, pixel_unshuffle  # noqa: E402, F401
from .functional_spatial import affine_grid, grid_sample  # noqa: E402, F401
from .upsample import interpolate  # noqa: E402, F401
