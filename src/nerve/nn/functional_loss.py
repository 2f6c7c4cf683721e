"""``nerve.nn.functional``'s losses: regression (mse, l1, huber, smooth l1) and classification
(binary cross entropy, with logits, nll and cross entropy), each as torch.nn.functional's.

They live here for the length of ``functional.py``; import them from ``nerve.nn.functional``.
"""

from __future__ import annotations

import warnings

from ..ops import loss_ops
from ..ops.promotion import TORCH_NAMES
from ..ops.softmax import log_softmax
from ..tensor import Tensor

_REDUCTIONS = ("none", "mean", "sum")


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
        stacklevel=4,  # the caller of the loss (through resolve_reduction)
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


def resolve_reduction(size_average: bool | None, reduce: bool | None, reduction: str) -> str:
    """The reduction a loss was asked for, from ``reduction`` or the deprecated pair (see
    :func:`legacy_reduction`); ValueError naming the choices when it is none of them."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    return reduction


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
    """Mean squared error, (1/N) sum (y - y_hat)^2: the lecture's regression loss.

    ``reduction``: ``"mean"`` (the default), ``"sum"`` or ``"none"`` (one loss per element).

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> x = nerve.tensor([[1.0, -2.0], [3.0, 4.0]])
        >>> y = nerve.tensor([[0.5, 0.0], [3.0, 2.0]])
        >>> F.mse_loss(x, y)
        tensor(2.0625)
        >>> F.mse_loss(x, y, reduction="sum")
        tensor(8.2500)
    """
    reduction = resolve_reduction(size_average, reduce, reduction)
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
    """Mean absolute error, (1/N) sum |y - y_hat|: less swayed by outliers than the squared one.

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> x = nerve.tensor([[1.0, -2.0], [3.0, 4.0]])
        >>> y = nerve.tensor([[0.5, 0.0], [3.0, 2.0]])
        >>> F.l1_loss(x, y)
        tensor(1.1250)
        >>> F.l1_loss(x, y, reduction="none")
        tensor([[0.5000, 2.0000],
                [0.0000, 2.0000]])
    """
    reduction = resolve_reduction(size_average, reduce, reduction)
    return _apply_reduction((input - target).abs(), reduction)


def huber_loss(
    input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0
) -> Tensor:
    """Squared error below ``delta``, linear above: robust to outliers.

    Per element: ``0.5 * d**2`` where ``d = |y - y_hat| < delta``, else
    ``delta * (d - 0.5 * delta)``.

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> x = nerve.tensor([[1.0, -2.0], [3.0, 4.0]])
        >>> y = nerve.tensor([[0.5, 0.0], [3.0, 2.0]])
        >>> F.huber_loss(x, y)
        tensor(0.7812)
        >>> F.huber_loss(x, y, delta=2.0)
        tensor(1.0312)
    """
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
    """The Huber loss divided by ``beta``: ``0.5 * d**2 / beta`` below ``beta``, ``d - 0.5 *
    beta`` above (equal to ``huber_loss`` for ``beta = delta = 1``; ``beta = 0`` gives L1).

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> x = nerve.tensor([[1.0, -2.0], [3.0, 4.0]])
        >>> y = nerve.tensor([[0.5, 0.0], [3.0, 2.0]])
        >>> F.smooth_l1_loss(x, y)
        tensor(0.7812)
        >>> F.smooth_l1_loss(x, y, beta=2.0)
        tensor(0.5156)
    """
    reduction = resolve_reduction(size_average, reduce, reduction)
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
    """-(y log p + (1 - y) log(1 - p)) for probabilities ``input`` in [0, 1].

    ``target`` has ``input``'s shape and holds the 0/1 labels (or soft labels) as floats.

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> p = nerve.tensor([0.9, 0.2, 0.6])
        >>> F.binary_cross_entropy(p, nerve.tensor([1.0, 0.0, 1.0]))
        tensor(0.2798)
    """
    reduction = resolve_reduction(size_average, reduce, reduction)
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
    """Sigmoid + binary cross entropy in one stable op; ``pos_weight`` weighs positive examples.

    ``input`` holds raw scores (logits), not probabilities: prefer this to ``sigmoid`` followed
    by ``binary_cross_entropy``, which loses precision for large scores.

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> logits = nerve.tensor([2.0, -1.0, 0.5])
        >>> target = nerve.tensor([1.0, 0.0, 1.0])
        >>> F.binary_cross_entropy_with_logits(logits, target)
        tensor(0.3048)
        >>> F.binary_cross_entropy_with_logits(logits, target, pos_weight=nerve.tensor(2.0))
        tensor(0.5051)
    """
    reduction = resolve_reduction(size_average, reduce, reduction)
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
    """The negative log likelihood of class indices, given log-probabilities (N, C, ...).

    ``target`` holds class indices (N, ...); those equal to ``ignore_index`` count for nothing.
    With ``log_softmax`` before it, this is ``cross_entropy``.

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> scores = nerve.tensor([[2.0, 0.5, -1.0], [0.0, 1.0, 0.0]])
        >>> log_p = F.log_softmax(scores, dim=1)
        >>> F.nll_loss(log_p, nerve.tensor([0, 1]))
        tensor(0.3964)
        >>> F.nll_loss(log_p, nerve.tensor([0, 1]), reduction="none")
        tensor([0.2413, 0.5514])
    """
    reduction = resolve_reduction(size_average, reduce, reduction)
    if target.dtype.name not in INDEX_DTYPES:
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


# class indices come as int64 or uint8, as torch takes them (it refuses int32, int16, bool ...)
# (checked by the nerve dtype's name, a dict lookup; NumPy's own ``dtype.name`` is computed in
# Python, 5 microseconds a call, a tenth of a small loss's time)
INDEX_DTYPES = ("int64", "uint8")


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
    if kind != "f" and not same_shape and target.dtype.name not in INDEX_DTYPES:
        raise RuntimeError(
            f"expected target dtype to be Long or Byte, but got {TORCH_NAMES[target.dtype.name]}"
            f" (cross_entropy: class indices must be int64; convert with target.long())"
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

    ``target`` holds class indices (N,) or class probabilities (N, C); ``label_smoothing``
    mixes the target with the uniform distribution over the C classes.

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> logits = nerve.tensor([[2.0, 0.5, -1.0], [0.0, 1.0, 0.0]])
        >>> F.cross_entropy(logits, nerve.tensor([0, 1]))
        tensor(0.3964)
        >>> F.cross_entropy(logits, nerve.tensor([[1.0, 0.0, 0.0], [0.0, 0.5, 0.5]]))
        tensor(0.6464)
        >>> F.cross_entropy(logits, nerve.tensor([0, 1]), label_smoothing=0.1)
        tensor(0.5047)
    """
    reduction = resolve_reduction(size_average, reduce, reduction)
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


_KL_REDUCTIONS = ("none", "batchmean", "sum", "mean")


def kl_div(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    """The Kullback-Leibler divergence of ``input``, log-probabilities, from ``target``:
    ``target * (log(target) - input)`` per element (0 where target is 0), or with
    ``log_target=True`` a target of log-probabilities, ``exp(target) * (target - input)``.

    ``reduction="batchmean"`` (the sum over the batch's first dimension, averaged) is the
    divergence's definition; ``"mean"`` averages over every element and warns, as torch does.
    Where a target is 0, the gradient for that target is ``-input`` (torch's is NaN there,
    from 0 / 0; the divergence's one-sided derivative is -inf).

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> p = nerve.tensor([[0.5, 0.5]])
        >>> F.kl_div(p.log(), p, reduction="batchmean")
        tensor(0.)
        >>> F.kl_div(nerve.tensor([[0.25, 0.75]]).log(), p, reduction="batchmean")
        tensor(0.1438)
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    if reduction not in _KL_REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support "
            "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
            "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
            "major release.",
            stacklevel=2,
        )
    if log_target:
        loss = target.exp() * (target - input)
    else:  # t log t - t x, as torch (xlogy: t log t is 0 where t is 0, taken as 0 * log 1)
        loss = target * target.where(target > 0, 1.0).log() - target * input
    if reduction == "batchmean":
        total = loss.sum()
        return total / input.shape[0] if input.dim() else total
    return _apply_reduction(loss, reduction)
