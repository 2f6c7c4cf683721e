"""Fused losses: each a single node whose backward is the closed form that the lecture
points out ("CE is easily composed with sigmoid or softmax ... better behaved gradients"):
softmax + cross entropy gives (p - y), sigmoid + binary cross entropy gives (sigmoid(x) - y)."""

from __future__ import annotations

from typing import Any

from ..autograd.grad_mode import state
from ..autograd.node import Node, apply
from ..backend.device import xp_of
from ..tensor import Tensor
from .unary import sigmoid_array


def _reduce(loss: Any, reduction: str) -> Any:
    if reduction == "mean":
        # sum / size is what mean computes, without NumPy's Python-level mean wrapper, which
        # costs more than the arithmetic on a batch of 32
        return loss.sum() / loss.size if loss.size else loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _unreduce(g: Tensor, shape: tuple[int, ...], reduction: str) -> Tensor:
    if reduction == "mean":
        count = 1
        for n in shape:
            count *= n
        return (g / max(count, 1)).expand(shape)
    if reduction == "sum":
        return g.expand(shape)
    return g


def _unreduce_array(g: Any, shape: tuple[int, ...], reduction: str) -> Any:
    """``_unreduce`` on raw arrays (the engine's fast path when no graph is recorded)."""
    if reduction == "none":
        return g
    count = 1
    for n in shape:
        count *= n
    return g / max(count, 1) if reduction == "mean" else g


class MSE(Node):
    def forward(self, a: Any, b: Any, reduction: str) -> Any:
        self.reduction = reduction
        diff = a - b
        return _reduce(diff * diff, reduction)

    def backward(self, g: Tensor) -> tuple[Tensor | None, Tensor | None]:
        a, b = self.inputs
        grad = 2 * (a - b) * _unreduce(g, tuple(a.shape), self.reduction)
        return (grad if self.needs_input_grad[0] else None), (
            -grad if self.needs_input_grad[1] else None
        )

    def backward_array(self, g: Any) -> tuple[Any, Any]:
        a, b = self.inputs[0]._data, self.inputs[1]._data
        grad = (2 * _unreduce_array(g, a.shape, self.reduction)) * (a - b)
        return (grad if self.needs_input_grad[0] else None), (
            -grad if self.needs_input_grad[1] else None
        )


class BinaryCrossEntropy(Node):
    """-(y log p + (1 - y) log(1 - p)), logs clamped at -100 as torch does."""

    def forward(self, p: Any, y: Any, weight: Any, reduction: str, clamps: bool = True) -> Any:
        """``clamps``: whether some log may fall below -100 (p near 0, or p = 1), where torch
        clamps it; when the caller knows none can, neither the clamps nor NumPy's errstate
        (for the divide-by-zero warning of log(0)) are needed, and both cost more than the
        logs on a batch."""
        self.reduction = reduction
        xp = xp_of(p)
        if clamps:
            with _quiet(xp):
                log_p, log_q = xp.log(p), xp.log1p(-p)
            xp.maximum(log_p, -100, out=log_p)
            xp.maximum(log_q, -100, out=log_q)
        else:
            log_p, log_q = xp.log(p), xp.log1p(-p)
        # y log p + (1 - y) log q = log q + y (log p - log q), in place
        log_p -= log_q
        log_p *= y
        log_p += log_q
        if weight is not None:
            log_p *= weight
        return (-_reduce(log_p, reduction)).astype(p.dtype, copy=False)

    def backward(self, g: Tensor) -> tuple[Tensor | None, ...]:
        p, y, weight = self.inputs
        g = _unreduce(g, tuple(p.shape), self.reduction)
        if weight is not None:
            g = g * weight
        # torch's formula: (p - y) / max(p (1 - p), 1e-12)
        gp = g * (p - y) / (p * (1 - p)).clamp(min=1e-12) if self.needs_input_grad[0] else None
        gy = None
        if self.needs_input_grad[1]:
            gy = g * ((1 - p).log().clamp(min=-100) - p.log().clamp(min=-100))
        return gp, gy, None

    def backward_array(self, g: Any) -> tuple[Any, ...]:
        if self.needs_input_grad[1]:  # rare: a target that needs a gradient
            return tuple(None if t is None else t._data for t in self.backward(Tensor._make(g)))
        p, y, weight = self.inputs[0]._data, self.inputs[1]._data, self.inputs[2]
        xp = xp_of(p)
        g = _unreduce_array(g, p.shape, self.reduction)
        if weight is not None:
            g = g * weight._data
        # torch's formula: (p - y) / max(p (1 - p), 1e-12)
        return g * (p - y) / xp.maximum(p * (1 - p), 1e-12), None, None


class BCEWithLogits(Node):
    """Binary cross entropy on logits, stable for any |x|; ``pos_weight`` scales positives."""

    def forward(self, x: Any, y: Any, weight: Any, pos_weight: Any, reduction: str) -> Any:
        self.reduction = reduction
        xp = xp_of(x)
        softplus_neg = xp.maximum(-x, 0) + xp.log1p(xp.exp(-xp.abs(x)))  # -log(sigmoid(x))
        if pos_weight is None:
            loss = (1 - y) * x + softplus_neg
        else:
            loss = (1 - y) * x + (1 + (pos_weight - 1) * y) * softplus_neg
        if weight is not None:
            loss = loss * weight
        return _reduce(loss, reduction).astype(x.dtype, copy=False)

    def backward(self, g: Tensor) -> tuple[Tensor | None, ...]:
        x, y, weight, pos_weight = self.inputs
        g = _unreduce(g, tuple(x.shape), self.reduction)
        if weight is not None:
            g = g * weight
        s = x.sigmoid()
        gx = gy = None
        if self.needs_input_grad[0]:
            gx = (
                g * (s - y)
                if pos_weight is None
                else g * (s * (pos_weight * y + 1 - y) - pos_weight * y)
            )
        if self.needs_input_grad[1]:
            softplus_neg = (-x).clamp(min=0) + (-x.abs()).exp().log1p()  # -log(sigmoid(x))
            gy = g * -x if pos_weight is None else g * (-x + (pos_weight - 1) * softplus_neg)
        return gx, gy, None, None

    def backward_array(self, g: Any) -> tuple[Any, ...]:
        x, y, weight, pos_weight = self.inputs
        if self.needs_input_grad[1] or pos_weight is not None:  # the general formula
            return tuple(None if t is None else t._data for t in self.backward(Tensor._make(g)))
        x, y = x._data, y._data
        g = _unreduce_array(g, x.shape, self.reduction)
        if weight is not None:
            g = g * weight._data
        s = sigmoid_array(x)  # stable for any |x|
        return g * (s - y), None, None, None


class CrossEntropy(Node):
    """Softmax + negative log likelihood of class indices for (N, C) logits, mean or sum."""

    def forward(self, logits: Any, target: Any, reduction: str) -> Any:
        self.reduction = reduction
        xp = xp_of(logits)
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_z = xp.log(xp.exp(shifted).sum(axis=1, keepdims=True))
        log_p = shifted - log_z
        self.log_p = log_p
        picked = log_p[xp.arange(len(target)), target]  # (take_along_axis costs more)
        return -_reduce(picked, reduction)

    def backward(self, g: Tensor) -> tuple[Tensor | None, None]:
        logits, target = self.inputs
        xp = xp_of(logits._data)
        n, c = logits._data.shape
        onehot = xp.zeros((n, c), dtype=logits._data.dtype)
        onehot[xp.arange(n), target._data] = 1
        if state.enabled:  # the backward is being recorded (create_graph): stay differentiable
            probs = logits.softmax(dim=1)
        else:
            probs = Tensor._make(xp.exp(self.log_p))
        scale = g / n if self.reduction == "mean" else g
        if self.reduction == "none":
            scale = g.unsqueeze(1)
        return scale * (probs - Tensor._make(onehot)), None

    def backward_array(self, g: Any) -> tuple[Any, None]:
        target = self.inputs[1]._data
        xp = xp_of(self.log_p)
        n = self.log_p.shape[0]
        grad = xp.exp(self.log_p)  # softmax(logits) - onehot(target), scaled
        grad[xp.arange(n), target] -= 1
        if self.reduction == "mean":
            grad *= g / n
        elif self.reduction == "sum":
            grad *= g
        else:
            grad *= g[:, None]
        return grad, None


class _quiet:
    """Silence NumPy's divide-by-zero warning for log(0): the clamp at -100 handles it."""

    def __init__(self, xp: Any) -> None:
        self.xp = xp

    def __enter__(self) -> None:
        if hasattr(self.xp, "errstate"):
            self._state = self.xp.errstate(divide="ignore")
            self._state.__enter__()

    def __exit__(self, *exc: object) -> None:
        if hasattr(self, "_state"):
            self._state.__exit__(*exc)


def mse(input: Tensor, target: Tensor, reduction: str) -> Tensor:
    return apply(MSE, input, target, reduction=reduction)


def binary_cross_entropy(
    input: Tensor, target: Tensor, weight: Any, reduction: str, clamps: bool = True
) -> Tensor:
    return apply(BinaryCrossEntropy, input, target, weight, reduction=reduction, clamps=clamps)


def bce_with_logits(
    input: Tensor, target: Tensor, weight: Any, pos_weight: Any, reduction: str
) -> Tensor:
    return apply(BCEWithLogits, input, target, weight, pos_weight, reduction=reduction)


def cross_entropy_indices(input: Tensor, target: Tensor, reduction: str) -> Tensor:
    return apply(CrossEntropy, input, target, reduction=reduction)
