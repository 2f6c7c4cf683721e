"""Losses on distances and margins (``nerve.nn.functional``'s margin_ranking_loss,
hinge_embedding_loss, soft_margin_loss, cosine_embedding_loss, triplet_margin_loss and
multilabel_soft_margin_loss), with torch's names, options and formulas: the losses of ranking,
metric learning (siamese and triplet networks) and multi-label classification.

Each is a composition of existing ops, so its gradient is theirs. ``target`` holds 1 or -1
where torch's does (which of two inputs should rank higher, similar or dissimilar pairs).
"""

from __future__ import annotations

from typing import Any

from ..creation import arange
from ..ops.compare import where
from ..tensor import Tensor
from .functional_activation import logsigmoid
from .functional_distance import pairwise_distance
from .functional_loss import _apply_reduction, resolve_reduction

__all__ = [
    "cosine_embedding_loss",
    "hinge_embedding_loss",
    "margin_ranking_loss",
    "multi_margin_loss",
    "multilabel_margin_loss",
    "multilabel_soft_margin_loss",
    "soft_margin_loss",
    "triplet_margin_loss",
]

# torch's epsilon under the squared norms of cosine_embedding_loss
_COSINE_EPS = 1e-12


def margin_ranking_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0.0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """``max(0, -target * (input1 - input2) + margin)``: ``target`` 1 says ``input1`` should
    rank higher, -1 that ``input2`` should.

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> F.margin_ranking_loss(nerve.tensor([2.0, 0.0]), nerve.tensor([1.0, 1.0]),
        ...                       nerve.tensor([1.0, 1.0]), margin=0.5)
        tensor(0.7500)
    """
    reduction = resolve_reduction(size_average, reduce, reduction)
    if not (input1.dim() == input2.dim() == target.dim()):
        raise RuntimeError(
            "margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: {input1.shape}, input2: {input2.shape}, target: {target.shape} "
        )
    loss = (-target * (input1 - input2) + margin).clamp(min=0)
    return _apply_reduction(loss, reduction)


def hinge_embedding_loss(
    input: Tensor,
    target: Tensor,
    margin: float = 1.0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """``input`` where ``target`` is 1, ``max(0, margin - input)`` where it is -1 (``input``
    usually a distance between two embeddings).

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> F.hinge_embedding_loss(nerve.tensor([0.3, 0.4]), nerve.tensor([1.0, -1.0]))
        tensor(0.4500)
    """
    reduction = resolve_reduction(size_average, reduce, reduction)
    below_margin = where(target != 1, (margin - input).clamp(min=0), 0.0)
    loss = below_margin + where(target != -1, input, 0.0)  # (torch's sum of both cases)
    return _apply_reduction(loss, reduction)


def soft_margin_loss(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """``log(1 + exp(-target * input))``: a smooth two-class hinge, ``target`` 1 or -1.

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> F.soft_margin_loss(nerve.tensor([2.0, -1.0]), nerve.tensor([1.0, -1.0]))
        tensor(0.2201)
    """
    reduction = resolve_reduction(size_average, reduce, reduction)
    loss = (-target * input).exp().log1p()  # (torch's formula, log1p included)
    return _apply_reduction(loss, reduction)


def cosine_embedding_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0.0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """``1 - cos(input1, input2)`` where ``target`` is 1 (similar pairs),
    ``max(0, cos - margin)`` where it is -1, the cosine taken along the last dimension.

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> a, b = nerve.tensor([[1.0, 0.0]]), nerve.tensor([[1.0, 1.0]])
        >>> F.cosine_embedding_loss(a, b, nerve.tensor([1.0]))
        tensor(0.2929)
    """
    reduction = resolve_reduction(size_average, reduce, reduction)
    sizes = f"{list(input1.shape)} and {list(input2.shape)}"
    if target.dim() > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if target.dim() == 1 and input1.dim() != 2:
        raise RuntimeError(
            f"1D target tensor expects 2D input tensors, but found inputs with sizes {sizes}."
        )
    if target.dim() == 0 and input1.dim() != 1:
        raise RuntimeError(
            f"0D target tensor expects 1D input tensors, but found inputs with sizes {sizes}."
        )
    dim = input1.dim() - 1
    products = (input1 * input2).sum(dim)
    squares = ((input1 * input1).sum(dim) + _COSINE_EPS) * (
        (input2 * input2).sum(dim) + _COSINE_EPS
    )
    cos = products / squares.sqrt()
    loss = where(target == 1, 1 - cos, 0.0) + where(target == -1, (cos - margin).clamp(min=0), 0.0)
    return _apply_reduction(loss, reduction)


def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2.0,
    eps: float = 1e-6,
    swap: bool = False,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """``max(d(anchor, positive) - d(anchor, negative) + margin, 0)``, ``d`` the p-norm
    distance (``F.pairwise_distance``); ``swap`` uses the smaller of the negative's distances
    to the anchor and to the positive.

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> anchor, positive = nerve.tensor([[0.0, 0.0]]), nerve.tensor([[1.0, 0.0]])
        >>> F.triplet_margin_loss(anchor, positive, nerve.tensor([[3.0, 0.0]]), margin=2.5)
        tensor(0.5000)
    """
    reduction = resolve_reduction(size_average, reduce, reduction)
    dims = (anchor.dim(), positive.dim(), negative.dim())
    if len(set(dims)) != 1 or dims[0] not in (1, 2):
        raise RuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number "
            f"of dimensions, 1 or 2, but got: anchor {dims[0]}D, positive {dims[1]}D, and "
            f"negative {dims[2]}D inputs"
        )
    to_positive = pairwise_distance(anchor, positive, p, eps)
    to_negative = pairwise_distance(anchor, negative, p, eps)
    if swap:
        to_negative = to_negative.minimum(pairwise_distance(positive, negative, p, eps))
    loss = (margin + to_positive - to_negative).clamp(min=0)
    return _apply_reduction(loss, reduction)


def multilabel_soft_margin_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """For (N, C) scores and 0/1 targets, each class a binary logistic loss,
    ``-(y log sigmoid(x) + (1 - y) log sigmoid(-x))``, averaged over the classes.

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> F.multilabel_soft_margin_loss(nerve.tensor([[2.0, -1.0]]), nerve.tensor([[1.0, 0.0]]))
        tensor(0.2201)
    """
    reduction = resolve_reduction(size_average, reduce, reduction)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    loss = loss.mean(dim=input.dim() - 1) if input.dim() else loss
    return _apply_reduction(loss, reduction)


def multi_margin_loss(
    input: Tensor,
    target: Tensor,
    p: int = 1,
    margin: float = 1.0,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """The multi-class hinge loss of a linear SVM: for each sample, the mean over the classes
    ``i`` other than its ``target`` of ``max(0, margin - input[target] + input[i]) ** p``
    (``p`` 1 or 2), each term scaled by ``weight[target]`` when given.

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> F.multi_margin_loss(nerve.tensor([[0.1, 0.2, 0.4, 0.8]]), nerve.tensor([3]))
        tensor(0.3250)
    """
    reduction = resolve_reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    _check_scores(input)
    scores = input if input.dim() == 2 else input.unsqueeze(0)
    rows, classes = scores.shape
    labels = target.reshape(-1)
    if labels.numel() != rows or (input.dim() == 2 and target.dim() != 1):
        raise RuntimeError(
            "multi_margin_loss: target tensor should be 1-D with size equal to the number of "
            f"input samples (batch size). Expected target size [{rows}], but got "
            f"{list(target.shape)}. Input has shape {list(input.shape)}."
        )
    label_values = labels._data
    if rows and (int(label_values.min()) < 0 or int(label_values.max()) >= classes):
        raise RuntimeError("target out of range")
    own = scores.gather(1, labels.unsqueeze(1))  # each sample's score for its class
    terms = (margin - own + scores).clamp(min=0)
    if p == 2:
        terms = terms * terms
    if weight is not None:
        terms = terms * weight[labels].unsqueeze(1)
    is_target = arange(classes, device=input.device) == labels.unsqueeze(1)
    loss = where(is_target, 0.0, terms).sum(1) / classes
    if input.dim() == 1:
        loss = loss.squeeze(0)
    return _apply_reduction(loss, reduction)


def multilabel_margin_loss(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    """The multi-label hinge loss: ``target`` lists each sample's classes (indices, ended by
    the first -1), and every listed class's score should beat every other class's by 1; the
    sum of ``max(0, 1 - (input[listed] - input[other]))`` over such pairs, over the classes.

    Example:
        >>> import nerve
        >>> import nerve.nn.functional as F
        >>> F.multilabel_margin_loss(nerve.tensor([[0.1, 0.2, 0.4, 0.8]]),
        ...                          nerve.tensor([[3, 0, -1, 1]]))
        tensor(0.8500)
    """
    reduction = resolve_reduction(size_average, reduce, reduction)
    _check_scores(input)
    if tuple(target.shape) != tuple(input.shape):
        raise RuntimeError(
            f"inconsistent target size: {list(target.shape)} for input of size: {list(input.shape)}"
        )
    scores = input if input.dim() == 2 else input.unsqueeze(0)
    labels = (target if target.dim() == 2 else target.unsqueeze(0))._data
    classes = scores.shape[1]
    xp = input.device.xp
    # a slot counts until the row's first -1 (cumulative product of "not -1")
    if bool(((labels < -1) | (labels >= classes)).any()):  # (after the -1 too, as torch)
        raise RuntimeError("argument #2 'target' is out of range")
    listed = xp.cumprod(labels != -1, axis=1).astype(bool)  # the slots before the first -1
    slots = xp.where(listed, labels, 0)
    own = scores.gather(1, Tensor._make(slots))  # each slot's listed score, (N, slots)
    pairs = (1 - own.unsqueeze(2) + scores.unsqueeze(1)).clamp(min=0)  # (N, slot, class)
    counted = listed[:, :, None] & ~_listed_classes(xp, slots, listed, classes)[:, None, :]
    loss = where(Tensor._make(counted), pairs, 0.0).sum((1, 2)) / classes
    if input.dim() == 1:
        loss = loss.squeeze(0)
    return _apply_reduction(loss, reduction)


def _listed_classes(xp: Any, slots: Any, listed: Any, classes: int) -> Any:
    """(N, C): whether each class is listed in one of its row's counted slots."""
    rows = xp.broadcast_to(xp.arange(slots.shape[0])[:, None], slots.shape)
    out = xp.zeros((slots.shape[0], classes), dtype=bool)
    out[rows[listed], slots[listed]] = True
    return out


def _check_scores(input: Tensor) -> None:
    """torch's check of a multi-class loss's scores: (C) or (N, C), not empty."""
    if input.dim() not in (1, 2) or input.numel() == 0:
        raise RuntimeError(
            "Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
            f"{list(input.shape)}"
        )
