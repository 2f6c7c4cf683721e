"""Fused losses: each a single node whose backward is the closed form that the lecture
points out ("CE is easily composed with sigmoid or softmax ... better behaved gradients"):
softmax + cross entropy gives (p - y), sigmoid + binary cross entropy gives (sigmoid(x) - y)."""

from __future__ import annotations

from typing import Any

from ..autograd.node import Node, apply, run
from ..backend.device import xp_of
from ..tensor import Tensor
from .compare import Maximum
from .dual import const, data, shape_of, sum_to
from .softmax import LogSoftmax
from .unary import Abs, Exp, Log, Log1p, Sigmoid


def _reduce(loss: Any, reduction: str) -> Any:
    if reduction == "mean":
        # sum / size is what mean computes, without NumPy's Python-level mean wrapper, which
        # costs more than the arithmetic on a batch of 32
        return loss.sum() / loss.size if loss.size else loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _unreduce(g: Any, shape: tuple[int, ...], reduction: str) -> Any:
    """A reduced loss's gradient per element: for "mean" and "sum" a scalar that broadcasts in
    the formula that multiplies it (no array of the input's shape is made for it)."""
    if reduction == "mean":
        count = 1
        for n in shape:
            count *= n
        return g / max(count, 1)
    return g


def _clamped_log(x: Any) -> Any:
    """log(x) clamped below at -100, as torch's binary cross entropy clamps its logs."""
    return run(Maximum, run(Log, x), -100.0)


class MSE(Node):
    def forward(self, a: Any, b: Any, reduction: str) -> Any:
        self.reduction = reduction
        diff = a - b
        return _reduce(diff * diff, reduction)

    def backward(self, g: Any) -> tuple[Any, Any]:
        a, b = self.input(0), self.input(1)
        grad = (2 * _unreduce(g, shape_of(a), self.reduction)) * (a - b)
        return (grad if self.needs_input_grad[0] else None), (
            -grad if self.needs_input_grad[1] else None
        )


class BinaryCrossEntropy(Node):
    """-(y log p + (1 - y) log(1 - p)), logs clamped at -100 as torch does."""

    def forward(self, p: Any, y: Any, weight: Any, reduction: str) -> Any:
        self.reduction = reduction
        xp = xp_of(p)
        low, high = _range(
            p,
            "input",
            "probabilities: apply sigmoid first, or use binary_cross_entropy_with_logits",
        )
        _range(y, "target", "probabilities of the positive class, e.g. 0. or 1.")
        # A log falls below -100 (where torch clamps it) only for p within e^-100 of 0, or for
        # p = 1 (below 1, 1 - p >= 2^-53 and log(1 - p) > -37). Otherwise neither the clamps
        # nor NumPy's errstate (for log(0)'s warning) are needed, and both cost more than the
        # logs on a batch.
        if low > 1e-43 and high < 1:
            log_p, log_q = xp.log(p), xp.log1p(-p)
        else:
            with _quiet(xp):
                log_p, log_q = xp.log(p), xp.log1p(-p)
            xp.maximum(log_p, -100, out=log_p)
            xp.maximum(log_q, -100, out=log_q)
        # y log p + (1 - y) log q = log q + y (log p - log q), in place
        log_p -= log_q
        log_p *= y
        log_p += log_q
        if weight is not None:
            log_p *= weight
        return (-_reduce(log_p, reduction)).astype(p.dtype, copy=False)

    def backward(self, g: Any) -> tuple[Any, ...]:
        p, y, weight = self.input(0), self.input(1), self.input(2)
        g = _unreduce(g, shape_of(p), self.reduction)
        if weight is not None:
            g = g * weight
        gp = gy = None
        if self.needs_input_grad[0]:  # torch's formula: (p - y) / max(p (1 - p), 1e-12)
            gp = g * (p - y) / run(Maximum, p * (1 - p), 1e-12)
        if self.needs_input_grad[1]:
            gy = g * (_clamped_log(1 - p) - _clamped_log(p))
        return gp, gy, None


def _range(x: Any, what: str, expected: str) -> tuple[float, float]:
    """The smallest and largest of ``x``, which must lie in [0, 1] (NaN passes, as a diverged
    network's loss should be NaN)."""
    low, high = (float(x.min()), float(x.max())) if x.size else (0.5, 0.5)
    if low < 0 or high > 1:
        raise RuntimeError(
            f"all elements of {what} should be between 0 and 1 (binary_cross_entropy takes "
            f"{expected}); got values from {low:g} to {high:g}"
        )
    return low, high


class BCEWithLogits(Node):
    """Binary cross entropy on logits, stable for any |x|; ``pos_weight`` scales positives.
    ``weight`` and ``pos_weight`` get gradients too (torch 2.13's fused op refuses them)."""

    def forward(self, x: Any, y: Any, weight: Any, pos_weight: Any, reduction: str) -> Any:
        self.reduction = reduction
        softplus_neg = _softplus_neg(x)  # -log(sigmoid(x))
        if pos_weight is None:
            loss = (1 - y) * x + softplus_neg
        else:
            loss = (1 - y) * x + (1 + (pos_weight - 1) * y) * softplus_neg
        if weight is not None:
            loss = loss * weight
        return _reduce(loss, reduction).astype(x.dtype, copy=False)

    def backward(self, g: Any) -> tuple[Any, ...]:
        x, y = self.input(0), self.input(1)
        weight, pos_weight = self.input(2), self.input(3)
        g = _unreduce(g, shape_of(x), self.reduction)
        needs = self.needs_input_grad
        # The loss is weight * l, l = (1 - y) x + (1 + (pos_weight - 1) y) softplus(-x).
        g_weight = None
        if weight is not None and needs[2]:  # d/dweight = g * l
            l_term = (1 - y) * x + (
                _softplus_neg(x)
                if pos_weight is None
                else (1 + (pos_weight - 1) * y) * _softplus_neg(x)
            )
            g_weight = sum_to(g * l_term, shape_of(weight))
        if weight is not None:
            g = g * weight
        gx = gy = g_pos = None
        if needs[0]:
            s = run(Sigmoid, x)  # stable for any |x|
            gx = (
                g * (s - y)
                if pos_weight is None
                else g * (s * (pos_weight * y + 1 - y) - pos_weight * y)
            )
        if needs[1]:
            gy = g * -x if pos_weight is None else g * (-x + (pos_weight - 1) * _softplus_neg(x))
        if pos_weight is not None and needs[3]:  # d/dpos_weight = g * weight * y * softplus(-x)
            g_pos = sum_to(g * y * _softplus_neg(x), shape_of(pos_weight))
        return gx, gy, g_weight, g_pos


def _softplus_neg(x: Any) -> Any:
    """-log(sigmoid(x)) = max(-x, 0) + log1p(exp(-|x|)), stable for any |x|."""
    return run(Maximum, -x, 0.0) + run(Log1p, run(Exp, -run(Abs, x)))


class CrossEntropy(Node):
    """Softmax + negative log likelihood of class indices for (N, C) logits, mean or sum:
    its gradient is the closed form softmax(logits) - onehot(target)."""

    def forward(self, logits: Any, target: Any, reduction: str) -> Any:
        self.reduction = reduction
        xp = xp_of(logits)
        self.log_p = log_p = run(LogSoftmax, logits, axis=1)
        picked = log_p[xp.arange(len(target)), target]  # (take_along_axis costs more)
        return -_reduce(picked, reduction)

    def backward(self, g: Any) -> tuple[Any, None]:
        logits, target = self.input(0), data(self.input(1))
        # the log-probabilities: kept from the forward, or under create_graph recorded again
        # from the logits, so that the gradient can be differentiated in turn
        log_p = run(LogSoftmax, logits, axis=1) if isinstance(logits, Tensor) else self.log_p
        xp = xp_of(target)
        n, c = shape_of(logits)
        onehot = xp.zeros((n, c), dtype=data(log_p).dtype)
        onehot[xp.arange(n), target] = 1
        if self.reduction == "mean":
            scale = g / n
        elif self.reduction == "sum":
            scale = g
        else:
            scale = g.reshape((-1, 1))
        return (run(Exp, log_p) - const(onehot, log_p)) * scale, None


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


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Any, reduction: str) -> Tensor:
    return apply(BinaryCrossEntropy, input, target, weight, reduction=reduction)


def bce_with_logits(
    input: Tensor, target: Tensor, weight: Any, pos_weight: Any, reduction: str
) -> Tensor:
    return apply(BCEWithLogits, input, target, weight, pos_weight, reduction=reduction)


def cross_entropy_indices(
    input: Tensor, target: Tensor, ignore_index: int, reduction: str
) -> Tensor | None:
    """Cross entropy of (N, C) scores and (N,) class indices as the one fused op, when the
    targets suit it (all valid classes, none ignored, a mean or a sum); None otherwise, and
    the caller composes log_softmax and nll_loss, which check the targets in detail."""
    if _plain_class_indices(input, target, ignore_index) and reduction != "none":
        return apply(CrossEntropy, input, target, reduction=reduction)
    return None


def _plain_class_indices(input: Tensor, target: Tensor, ignore_index: int) -> bool:
    """Whether the targets are all valid classes, none ignored: the common case, told by one
    reduction (two when ``ignore_index`` is itself a class)."""
    data = target._data
    if (
        input._data.ndim != 2
        or data.dtype.kind not in "iu"
        or data.ndim != 1
        or data.shape[0] != input._data.shape[0]
        or not data.size
    ):
        return False
    classes = input._data.shape[1]
    if not 0 <= ignore_index < classes:  # (the default, -100): only the range to check
        # Read as unsigned integers of the same size, a negative class is larger than any
        # valid one, so one maximum below ``classes`` tells that all lie in [0, classes).
        return int(data.view(f"u{data.dtype.itemsize}").max()) < classes
    low, high = int(data.min()), int(data.max())
    return low >= 0 and high < classes and not low <= ignore_index <= high
