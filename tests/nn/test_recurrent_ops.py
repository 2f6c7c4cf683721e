"""ops/recurrent: the one-op GRU and LSTM gates against their compositions (values, first
derivatives with either LSTM output unused, second derivatives by finite differences), the
in-place guard on what their backward reads, and row_blocks, a multi-output node
(autograd.node.apply_outputs) whose unused blocks get zero gradients."""

from __future__ import annotations

import numpy as np
import pytest

import nerve
from nerve.autograd import gradcheck, gradgradcheck
from nerve.ops.recurrent import (
    gru_gates,
    gru_gates_composed,
    lstm_gates,
    lstm_gates_composed,
    row_blocks,
)

rng = np.random.default_rng(0)


def _leaves(*shapes: tuple[int, ...]) -> list[nerve.Tensor]:
    return [nerve.tensor(rng.standard_normal(shape) * 2, requires_grad=True) for shape in shapes]


def _grads(outputs, weights, leaves) -> list[np.ndarray]:
    total = sum((out * w).sum() for out, w in zip(outputs, weights) if w is not None)
    return [g.numpy() for g in nerve.autograd.grad(total, leaves)]


def test_gru_gates_match_their_composition() -> None:
    leaves = _leaves((4, 9), (4, 9), (4, 3))
    weights = [nerve.tensor(rng.standard_normal((4, 3)))]
    fused, composed = gru_gates(*leaves), gru_gates_composed(*leaves)
    np.testing.assert_allclose(fused.detach().numpy(), composed.detach().numpy(), rtol=1e-14)
    for a, b in zip(_grads([fused], weights, leaves), _grads([composed], weights, leaves)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    assert gradgradcheck(lambda *t: gru_gates(*t).tanh(), leaves)


@pytest.mark.parametrize("used", ["both", "h", "c"])
def test_lstm_gates_match_their_composition(used: str) -> None:
    leaves = _leaves((4, 12), (4, 3))
    weights = [nerve.tensor(rng.standard_normal((4, 3))) for _ in range(2)]
    if used != "both":  # one output receives no gradient: the backward gets None for it
        weights[0 if used == "c" else 1] = None
    fused, composed = lstm_gates(*leaves), lstm_gates_composed(*leaves)
    for a, b in zip(fused, composed):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-14)
    for a, b in zip(_grads(fused, weights, leaves), _grads(composed, weights, leaves)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)

    def fn(gates: nerve.Tensor, c: nerve.Tensor) -> nerve.Tensor:
        h_next, c_next = lstm_gates(gates, c)
        return h_next.tanh() * (c_next if used == "both" else 1.0)

    assert gradgradcheck(fn, leaves)


def test_what_the_backward_reads_is_guarded_against_in_place_changes() -> None:
    gates, c = _leaves((2, 8), (2, 2))
    cell = c * 1
    h_next, _ = lstm_gates(gates, cell)
    cell.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        h_next.sum().backward()


def test_row_blocks_are_one_node_and_unused_blocks_get_zeros() -> None:
    (x,) = _leaves((6, 2))
    blocks = row_blocks(x, [1, 3, 2])
    assert [tuple(b.shape) for b in blocks] == [(1, 2), (3, 2), (2, 2)]
    assert len({id(b.grad_fn) for b in blocks}) == 1 and [b._output_nr for b in blocks] == [0, 1, 2]
    np.testing.assert_array_equal(
        np.concatenate([b.detach().numpy() for b in blocks]), x.detach().numpy()
    )
    (blocks[0] * 3 + blocks[2].sum()).sum().backward()
    expected = np.zeros((6, 2))
    expected[0], expected[4:] = 3, 2  # (the sum of block 2 is added to both elements)
    np.testing.assert_array_equal(x.grad.numpy(), expected)
    assert gradgradcheck(lambda t: row_blocks(t, [2, 4])[1].pow(3), [x])
    assert gradcheck(lambda t: row_blocks(t, [2, 4])[0].pow(2), [x])
    with nerve.no_grad():
        assert not any(b.requires_grad for b in row_blocks(x, [3, 3]))
