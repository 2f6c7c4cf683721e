"""Gradients of BCEWithLogits's ``weight`` and ``pos_weight`` (the fused op's backward).

torch 2.13 refuses a ``weight`` or ``pos_weight`` that requires grad ("not differentiable with
respect to argument 'weight'"), so its fused op is no oracle here: the reference is the same
loss composed from torch's elementwise ops (which torch differentiates), plus finite
differences of first and second order through the parity harness.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nerve  # noqa: E402
from parity import assert_close, gradcheck, gradgradcheck  # noqa: E402

rng = np.random.default_rng(5)
X, Y = rng.standard_normal((4, 3)) * 3, rng.random((4, 3))
W, PW = rng.random(3) + 0.5, rng.random(3) + 0.5


def _composed_torch(x, y, weight, pos_weight, reduction):
    """torch's formula for the loss, from ops torch can differentiate in every argument."""
    sp = torch.nn.functional.softplus(-x)  # -log(sigmoid(x))
    loss = (1 - y) * x + (sp if pos_weight is None else (1 + (pos_weight - 1) * y) * sp)
    loss = loss if weight is None else loss * weight
    return {"mean": loss.mean, "sum": loss.sum}.get(reduction, lambda: loss)()


CASES = [
    ("weight", True, False),
    ("pos_weight", False, True),
    ("both", True, True),
]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("what, with_w, with_pw", CASES, ids=[c[0] for c in CASES])
def test_weight_gradients_match_torchs_formula(what, with_w, with_pw, reduction):
    grads = []
    for lib in (nerve, torch):
        x = lib.tensor(X, requires_grad=True)
        w = lib.tensor(W, requires_grad=True) if with_w else None
        pw = lib.tensor(PW, requires_grad=True) if with_pw else None
        y = lib.tensor(Y)
        if lib is nerve:
            out = nerve.nn.BCEWithLogitsLoss(weight=w, pos_weight=pw, reduction=reduction)(x, y)
        else:
            out = _composed_torch(x, y, w, pw, reduction)
        (out * out).sum().backward() if reduction == "none" else out.backward()
        grads.append([t.grad for t in (x, w, pw) if t is not None])
    for ours, theirs in zip(*grads):
        assert ours is not None
        assert_close(ours, theirs, "module", what)


def test_a_learnable_pos_weight_trains():
    pw = nerve.nn.Parameter(nerve.ones(3))
    loss = nerve.nn.functional.binary_cross_entropy_with_logits(
        nerve.tensor(X), nerve.tensor(Y), pos_weight=pw
    )
    loss.backward()
    assert pw.grad is not None and pw.grad.shape == (3,)


@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_finite_differences_first_and_second_order(reduction):
    def fn(x, w, pw):
        return nerve.nn.functional.binary_cross_entropy_with_logits(
            x, nerve.tensor(Y), weight=w, pos_weight=pw, reduction=reduction
        )

    inputs = [nerve.tensor(a, requires_grad=True) for a in (X, W, PW)]
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


def test_broadcast_weight_gradient_has_the_weights_shape():
    w = nerve.tensor(rng.random((4, 1)), requires_grad=True)
    loss = nerve.nn.functional.binary_cross_entropy_with_logits(
        nerve.tensor(X), nerve.tensor(Y), weight=w
    )
    loss.backward()
    assert w.grad.shape == (4, 1)
