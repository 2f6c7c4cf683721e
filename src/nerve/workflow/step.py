"""One training step, the lecture's loop body, written once for every trainer in nerve.

The :class:`~nerve.workflow.Trainer` calls :func:`train_step` for each mini-batch of its
epochs, and the playground calls it for each mini-batch it trains between two frames, so both
take the same step with the same penalty::

    optimizer.zero_grad()
    prediction = model(x)
    loss = loss_fn(prediction, y)
    (loss + penalty).backward()
    optimizer.step()

The penalty is the lecture's L1 / L2 regularisation on the weight matrices
(:func:`add_weight_penalty`); biases, and the 1-D scales of batch normalisation, are not
penalised, as in most textbooks. Weight decay proper is the optimizer's ``weight_decay``.

Example:
    >>> import nerve
    >>> from nerve import nn
    >>> model = nn.Sequential(nn.Linear(2, 1), nn.Sigmoid())
    >>> opt = nerve.optim.SGD(model.parameters(), lr=0.1)
    >>> x, y = nerve.zeros(4, 2), nerve.ones(4, 1)
    >>> loss, out = train_step(model, nn.BCELoss(), opt, x, y, l2=0.01)
    >>> tuple(out.shape), loss.dim()
    ((4, 1), 0)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import nerve
from nerve import nn

__all__ = ["penalized_weights", "add_weight_penalty", "train_step"]


def penalized_weights(model: nn.Module) -> list[nerve.Tensor]:
    """The parameters an L1 / L2 penalty applies to: the weight matrices (``dim() > 1``),
    in ``model.parameters()`` order; biases and batch normalisation's scales are left out."""
    return [p for p in model.parameters() if p.dim() > 1]


def add_weight_penalty(
    loss: nerve.Tensor, weights: Sequence[nerve.Tensor], l1: float = 0.0, l2: float = 0.0
) -> nerve.Tensor:
    """``loss + l1 * sum|w| + l2 / 2 * sum w**2`` over ``weights`` (terms with a zero
    coefficient are left out, so that an unregularised step builds no extra graph).

    The L1 term drives weights to exactly zero; the L2 term's gradient is ``l2 * w``, the
    same pull towards zero that weight decay applies.
    """
    if l1 > 0:
        loss = loss + l1 * sum(w.abs().sum() for w in weights)
    if l2 > 0:
        loss = loss + 0.5 * l2 * sum((w * w).sum() for w in weights)
    return loss


def train_step(
    model: nn.Module,
    loss_fn: Any,
    optimizer: nerve.optim.Optimizer,
    x: nerve.Tensor,
    y: nerve.Tensor,
    *,
    weights: Iterable[nerve.Tensor] | None = None,
    l1: float = 0.0,
    l2: float = 0.0,
    grad_clip: float | None = None,
    loss_scale: float = 1.0,
) -> tuple[nerve.Tensor, nerve.Tensor]:
    """Take one optimizer step on the mini-batch ``(x, y)``; return ``(loss, output)``.

    Args:
        model: the network, already in training mode (the caller decides when to switch).
        loss_fn: maps ``(model(x), y)`` to a scalar loss.
        optimizer: steps the parameters from their gradients.
        weights: the tensors the L1 / L2 penalty applies to; by default
            :func:`penalized_weights` of ``model``. Pass them when stepping many batches, to
            list them once.
        l1, l2: the penalty's coefficients (see :func:`add_weight_penalty`).
        grad_clip: clip the joint norm of ``model``'s gradients to this before the step.
        loss_scale: multiplies the data loss before the backward pass (data-parallel ranks
            weight their share of a batch by its size); 1.0 leaves it alone.

    The returned loss is the data loss alone, unscaled and without the penalty, so that a
    training loss stays comparable with a validation loss.
    """
    optimizer.zero_grad()
    out = model(x)
    loss = loss_fn(out, y)
    scaled = loss if loss_scale == 1.0 else loss * loss_scale
    if l1 > 0 or l2 > 0:
        chosen = penalized_weights(model) if weights is None else list(weights)
        scaled = add_weight_penalty(scaled, chosen, l1, l2)
    scaled.backward()
    if grad_clip is not None:
        nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
    optimizer.step()
    return loss, out
