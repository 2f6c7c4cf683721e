"""The engine's safety nets: in-place changes of saved tensors, deep graphs, freeing the graph
(no reference cycles), anomaly mode, and the dtype of gradients in mixed-precision graphs."""

from __future__ import annotations

import gc
import time
import weakref

import numpy as np
import pytest

import nerve


def leaf(*values: float, dtype=nerve.float64) -> nerve.Tensor:
    return nerve.tensor(list(values), dtype=dtype, requires_grad=True)


def values(t: nerve.Tensor) -> list:
    return t.detach().tolist()


# -- in-place safety -------------------------------------------------------------------------


def test_changing_a_saved_tensor_in_place_fails_at_backward():
    x = leaf(1.0, 2.0)
    a = x * 2
    b = a * a  # saves a
    a.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        b.sum().backward()


def test_changing_a_saved_output_in_place_fails_at_backward():
    x = leaf(1.0, 2.0)
    y = x.exp()  # saves its output
    y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_in_place_on_a_tensor_no_op_saved_is_fine():
    x = leaf(1.0, 2.0)
    y = x + 1  # add saves nothing
    y.mul_(3)
    y.sum().backward()
    assert values(x.grad) == [3.0, 3.0]


def test_changing_a_view_of_a_saved_tensor_is_detected():
    x = leaf(1.0, 2.0)
    a = x * 2
    b = a * a
    a[0].add_(1)  # a view shares the version counter of its base
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        b.sum().backward()


def test_in_place_through_a_view_is_recorded_on_the_base():
    x = leaf(1.0, 2.0, 3.0)
    y = x * 1
    y[1:].mul_(10)
    assert repr(y.grad_fn).startswith("<CopySlices")
    (y * y).sum().backward()
    assert values(x.grad) == [2.0, 400.0, 600.0]


def test_a_view_of_a_leaf_that_requires_grad_cannot_change_in_place():
    w = leaf(1.0, 2.0)
    with pytest.raises(RuntimeError, match="view of a leaf Variable"):
        w[0].mul_(2)
    with nerve.no_grad():
        w[0].mul_(2)
    assert values(w) == [2.0, 2.0] and w.is_leaf


def test_sgd_update_under_no_grad_works_on_a_leaf():
    w = leaf(1.0, 2.0)
    (w * w).sum().backward()
    with nerve.no_grad():
        w -= 0.1 * w.grad
    assert values(w) == pytest.approx([0.8, 1.6])
    assert w.is_leaf and w.requires_grad and w.grad_fn is None


def test_in_place_on_a_leaf_that_requires_grad_raises():
    w = leaf(1.0)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w -= 1
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w.zero_()


# -- deep graphs and memory ------------------------------------------------------------------


def test_a_chain_of_100000_ops_backpropagates_quickly():
    x = leaf(1.0)
    y = x
    start = time.perf_counter()
    for _ in range(100_000):
        y = y * 1.0000001
    y.sum().backward()
    elapsed = time.perf_counter() - start
    assert values(x.grad) == pytest.approx([1.0000001**100_000], rel=1e-9)
    del y  # freeing a deep chain must not overflow the stack either
    assert elapsed < 20


def test_the_graph_is_freed_after_backward_without_the_cycle_collector():
    gc.collect()
    gc.disable()
    try:
        x = leaf(1.0, 2.0)
        h = x.exp()
        y = (h * h).sum()  # MulBackward saves h
        h_ref, array_ref, node_ref = weakref.ref(h), weakref.ref(h._data), weakref.ref(h.grad_fn)
        del h
        assert h_ref() is not None  # the graph keeps what backward needs
        y.backward()
        assert h_ref() is None and array_ref() is None  # freed by backward
        del y
        assert node_ref() is None  # nothing but the output held the graph
        assert gc.collect() == 0  # and no reference cycles were left behind
    finally:
        gc.enable()


def test_retain_graph_keeps_saved_tensors_until_the_output_goes():
    gc.collect()
    gc.disable()
    try:
        x = leaf(1.0)
        h = x * 2
        y = h * h
        h_ref = weakref.ref(h)
        del h
        y.backward(retain_graph=True)
        assert h_ref() is not None
        del y
        assert h_ref() is None
    finally:
        gc.enable()


# -- anomaly mode ----------------------------------------------------------------------------


def test_anomaly_mode_names_the_op_and_the_line_that_made_it():
    x = leaf(0.0, 1.0)
    with nerve.autograd.detect_anomaly(), np.errstate(all="ignore"):
        assert nerve.autograd.is_anomaly_enabled()
        root = x.sqrt()  # the culprit: sqrt'(0) is inf, and inf * 0 is nan
        with pytest.raises(RuntimeError, match="SqrtBackward0") as info:
            (root * 0).sum().backward()
    assert not nerve.autograd.is_anomaly_enabled()
    assert "nan" in str(info.value)
    assert "root = x.sqrt()" in str(info.value)


def test_anomaly_trace_keeps_user_files_in_a_directory_named_nerve():
    source = "import nerve\nx = nerve.zeros(1, requires_grad=True)\ny = x.sqrt() * 0\n"
    namespace: dict = {}
    with nerve.autograd.detect_anomaly(), np.errstate(all="ignore"):
        exec(compile(source, "/home/user/nerve/train.py", "exec"), namespace)
        with pytest.raises(
            RuntimeError, match='(?s)SqrtBackward0.*"/home/user/nerve/train.py", line 3'
        ):
            namespace["y"].sum().backward()


def test_without_anomaly_mode_nan_gradients_pass_silently():
    x = leaf(0.0)
    with np.errstate(all="ignore"):
        (x.sqrt() * 0).sum().backward()
    assert np.isnan(values(x.grad)[0])


# -- gradient dtype --------------------------------------------------------------------------


def test_a_float32_leaf_used_with_float64_gets_a_float32_grad():
    w = leaf(1.0, 2.0, dtype=nerve.float32)
    x = nerve.tensor([3.0, 4.0], dtype=nerve.float64)
    y = (w * x).sum()
    assert y.dtype is nerve.float64
    y.backward()
    assert w.grad.dtype is nerve.float32
    assert values(w.grad) == [3.0, 4.0]


def test_a_float64_leaf_used_as_float32_gets_a_float64_grad():
    w = leaf(1.0, 2.0)
    (w.float() * 2).sum().backward()
    assert w.grad.dtype is nerve.float64 and values(w.grad) == [2.0, 2.0]


def test_gradients_users_receive_can_be_changed_in_place():
    # retain_grad, a hook and backward(inputs=) on a scalar loss all see writable gradients
    x = nerve.tensor([2.0], requires_grad=True)
    y = x * 3
    y.retain_grad()
    y.reshape(()).backward()
    y.grad.add_(1)
    assert y.grad.tolist() == [2.0]
    z = x * 3
    z.register_hook(lambda g: g.mul_(2))
    z.sum().backward()
    assert x.grad.tolist() == [3.0 + 6.0]


def test_create_graph_gives_each_leaf_its_own_gradient():
    x = nerve.tensor(1.0, requires_grad=True)
    y = nerve.tensor(2.0, requires_grad=True)
    (x + y).backward(create_graph=True)
    x.grad.add_(1)
    assert x.grad.item() == 2.0 and y.grad.item() == 1.0  # as torch: not the same tensor


def test_a_leaf_hook_changing_its_gradient_leaves_other_branches_alone():
    # add sends one gradient array to both operands; a leaf must not own what x2's branch
    # still reads (the data-parallel reducer divides gradients in place from such a hook)
    x = nerve.ones(3, requires_grad=True)
    x2 = nerve.ones(3, requires_grad=True)
    x.register_post_accumulate_grad_hook(lambda p: p.grad.mul_(0))
    ((x2 * 3 + x) * nerve.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x2.grad.tolist() == [3.0, 6.0, 9.0] and x.grad.tolist() == [0.0, 0.0, 0.0]


def test_the_training_loops_backward_gives_each_leaf_its_own_gradient():
    # loss.backward() on a 0-d loss whose graph is a path (engine.backward_from_scalar): the
    # seed is the engine's own one, yet two leaves never share an array, a view is copied and
    # a second backward adds into the gradient already there.
    x = nerve.tensor(1.0, requires_grad=True)
    y = nerve.tensor(2.0, requires_grad=True)
    (x + y).backward()  # add sends its one gradient array to both leaves
    x.grad.add_(1)
    assert x.grad.item() == 2.0 and y.grad.item() == 1.0
    w = nerve.tensor([1.0, 2.0], requires_grad=True)
    w.sum().backward()  # a broadcast, read-only view of the seed
    w.grad.add_(1)
    assert w.grad.tolist() == [2.0, 2.0]
    z = nerve.tensor(3.0, requires_grad=True)
    loss = z.clone()  # clone's backward passes the seed itself on
    loss.backward(retain_graph=True)
    loss.backward()
    assert z.grad.item() == 2.0
    seen = []
    v = nerve.tensor([1.0, 2.0], requires_grad=True)
    v.register_hook(lambda g: g * 10)
    v.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.tolist()))
    (v * v).sum().backward()
    assert v.grad.tolist() == [20.0, 40.0] and seen == [[20.0, 40.0]]
