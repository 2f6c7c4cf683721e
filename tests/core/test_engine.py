"""The backward engine: accumulation, retain_graph, create_graph and higher-order gradients,
grad modes, retain_grad, hooks and autograd.grad (the safety nets: test_engine_safety.py)."""

from __future__ import annotations

import numpy as np
import pytest

import nerve
from nerve.autograd import grad

SECOND_TIME = "backward through the graph a second time"


def leaf(*values: float, dtype=nerve.float64) -> nerve.Tensor:
    return nerve.tensor(list(values), dtype=dtype, requires_grad=True)


def values(t: nerve.Tensor) -> list:
    return t.detach().tolist()


# -- accumulation and retain_graph ---------------------------------------------------------


def test_gradients_accumulate_across_backward_calls():
    x = leaf(1.0, 2.0)
    (x * x).sum().backward()
    (x * x).sum().backward()
    assert values(x.grad) == [4.0, 8.0]


class _Identity(nerve.autograd.Function):
    """The identity as a user's Function; subclasses give it an unusual backward."""

    @staticmethod
    def forward(ctx, x):
        return x * 1


class _ReadOnlyGradient(_Identity):
    """Its backward returns a fresh read-only array (no base), as a user's Function may."""

    @staticmethod
    def backward(ctx, g):
        array = np.full(2, 3.0)
        array.flags.writeable = False
        return nerve.from_numpy(array)


@pytest.mark.parametrize(
    "loss",
    [
        lambda w: w.sum() * 2,  # w receives an expanded (broadcast, read-only) gradient
        lambda w: w.mean(),
        lambda w: w.expand(3, 2).sum(),
        lambda w: (w + w).sum(),  # one gradient array reaches w twice
        lambda w: _ReadOnlyGradient.apply(w).sum(),  # a fresh read-only array, no base
    ],
)
def test_grad_owns_its_memory_so_later_backwards_add_into_it(loss):
    w = leaf(1.0, 2.0)
    loss(w).backward()
    first = values(w.grad)
    loss(w).backward()
    assert values(w.grad) == [2 * g for g in first]
    w.grad.zero_()
    assert values(w.grad) == [0.0, 0.0]


def test_leaves_fed_by_one_gradient_array_get_separate_grads():
    a, b = leaf(1.0), leaf(2.0)
    (a + b).sum().backward()
    a.grad.add_(5)
    assert values(b.grad) == [1.0]


def test_partial_gradients_of_a_reused_tensor_are_summed():
    x = leaf(3.0)
    h = x * 2  # used twice: a diamond in the graph
    (h * h + h + x).sum().backward()
    assert values(x.grad) == [2 * 2 * 6.0 + 2 + 1]


def test_retain_graph_allows_a_second_backward():
    x = leaf(1.0, 2.0)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert values(x.grad) == [4.0, 8.0]
    with pytest.raises(RuntimeError, match=SECOND_TIME):
        y.backward()


def test_second_backward_without_retain_graph_raises():
    x = leaf(1.0)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=SECOND_TIME + ".*retain_graph=True"):
        y.backward()


def test_backward_of_a_non_scalar_takes_a_gradient():
    x = leaf(1.0, 2.0)
    (x * 3).backward(nerve.tensor([1.0, -1.0], dtype=nerve.float64))
    assert values(x.grad) == [3.0, -3.0]


def test_backward_with_inputs_accumulates_only_into_them():
    x, w = leaf(1.0), leaf(2.0)
    (x * w).sum().backward(inputs=[w])
    assert x.grad is None and values(w.grad) == [1.0]


def test_autograd_backward_of_several_outputs():
    x = leaf(1.0, 2.0)
    nerve.autograd.backward([x * 2, (x * x).sum()], [nerve.ones(2, dtype=nerve.float64), None])
    assert values(x.grad) == [4.0, 6.0]


# -- order of the backward pass --------------------------------------------------------------


def test_sequence_numbers_grow_in_recording_order():
    x = leaf(1.0, 2.0)
    a = x * 2
    b = a.exp()
    c = (a + b).sum()
    numbers = [t.grad_fn._sequence_nr() for t in (a, b, c)]
    assert numbers == sorted(numbers) and len(set(numbers)) == 3


def _hook_order(lib):
    """Which of four branches of one tensor gets its gradient first: each branch's hook
    notes its name; the branches are recorded in the order b, c, d, e."""
    order = []
    x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
    a = x * 2
    branches = {"b": a * 3, "c": a.sin(), "d": a * a, "e": a.exp()}
    for name, branch in branches.items():
        branch.register_hook(lambda g, name=name: order.append(name))
    a.register_hook(lambda g: order.append("a"))
    # summed in an order unlike the recording order, so a search of the graph from the root
    # would meet the branches in another order
    (branches["d"] + branches["b"] + branches["e"] + branches["c"]).sum().backward()
    return order, x.grad.tolist()


def test_nodes_run_latest_recorded_first_as_in_torch():
    torch = pytest.importorskip("torch")
    order, grad = _hook_order(nerve)
    assert order == ["e", "d", "c", "b", "a"]  # every branch before the tensor they read
    torch_order, torch_grad = _hook_order(torch)
    assert order == torch_order
    np.testing.assert_allclose(grad, torch_grad, rtol=1e-12)


def test_a_node_runs_once_after_all_its_gradients_arrived():
    """A diamond whose one side is a long chain: the shared node waits for that side."""
    calls = []
    x = leaf(0.5)
    a = x * 3
    a.register_hook(lambda g: calls.append(g.item()))
    long = a
    for _ in range(50):
        long = long * 1.0
    (long + a * 2).sum().backward()
    assert calls == [3.0]  # 1 from the chain, 2 from the short side, summed before the hook
    assert values(x.grad) == [9.0]


def _grads_of_a_shared_weight(through_queue: bool) -> tuple[bytes, bytes]:
    """A chain whose every node also reads the leaf ``w`` (three partial gradients for it,
    added to a .grad that already holds one); ``inputs=`` makes the engine take its general
    pass instead of running the chain node by node."""
    rng = np.random.default_rng(1)
    x = nerve.tensor(rng.standard_normal((4, 500)), dtype=nerve.float32)
    w = nerve.tensor(rng.standard_normal(500), dtype=nerve.float32, requires_grad=True)
    b = nerve.tensor(rng.standard_normal(500), dtype=nerve.float32, requires_grad=True)
    w.grad = nerve.tensor(rng.standard_normal(500), dtype=nerve.float32)
    loss = ((x * w).tanh() * w + b).sigmoid().mul(w).sum()
    loss.backward(inputs=[w, b] if through_queue else None)
    return w.grad.numpy().tobytes(), b.grad.numpy().tobytes()


def test_a_chain_runs_node_by_node_with_the_sums_of_the_general_pass():
    assert _grads_of_a_shared_weight(through_queue=False) == _grads_of_a_shared_weight(True)


def test_hooks_and_retained_gradients_on_a_chain():
    x = leaf(1.0, 2.0)
    h = x * 3
    h.retain_grad()
    seen = []
    h.register_hook(lambda g: seen.append(values(g)) or g * 2)  # doubles what flows on
    x.register_hook(lambda g: seen.append(values(g)))
    (h * h).sum().backward(retain_graph=True)
    assert seen == [[6.0, 12.0], [36.0, 72.0]]
    # retain_grad keeps what the hooks made of the gradient, as torch does
    assert values(h.grad) == [12.0, 24.0] and values(x.grad) == [36.0, 72.0]
    (h * h).sum().backward()  # a new top node over the retained chain
    assert values(x.grad) == [72.0, 144.0]


class _NoGradient(_Identity):
    """The identity, whose backward sends nothing back."""

    @staticmethod
    def backward(ctx, g):
        return None


def test_no_gradient_below_a_node_stops_the_chain():
    x, w = leaf(1.0, 2.0), leaf(3.0, 4.0)
    (_NoGradient.apply(x * 2) * w).sum().backward()
    assert x.grad is None  # nothing reached the nodes below
    assert values(w.grad) == [2.0, 4.0]  # a leaf of the chain above still gets its gradient


def test_a_gradient_passed_in_is_never_a_leafs_grad():
    """A view of a caller's array given as backward's gradient: the leaf gets its own copy."""
    w = leaf(1.0, 2.0, 3.0, 4.0)
    given = np.ones((2, 4))
    w.view(2, 2).backward(nerve.from_numpy(given[0].reshape(2, 2)))
    w.grad.add_(1)  # a later accumulation in place must not reach the caller's array
    assert given.tolist() == np.ones((2, 4)).tolist()
    assert values(w.grad) == [2.0, 2.0, 2.0, 2.0]


@pytest.mark.parametrize(
    "call",
    [
        lambda lib, y: lib.autograd.grad(y, [], retain_graph=True),
        lambda lib, y: y.backward(inputs=[], retain_graph=True),
        lambda lib, y: lib.autograd.backward([y], inputs=[], retain_graph=True),
    ],
    ids=["grad", "Tensor.backward", "autograd.backward"],
)
def test_an_empty_inputs_list_is_refused_as_in_torch(call):
    torch = pytest.importorskip("torch")
    messages = []
    for lib in (nerve, torch):
        y = (lib.ones(2, requires_grad=True) * 2).sum()
        with pytest.raises(RuntimeError) as error:
            call(lib, y)
        messages.append(str(error.value))
    assert messages[0] == messages[1]


# -- higher order ----------------------------------------------------------------------------


def test_create_graph_gives_higher_order_derivatives():
    x = nerve.tensor(2.0, dtype=nerve.float64, requires_grad=True)
    (d1,) = grad(x**3, x, create_graph=True)
    (d2,) = grad(d1, x, create_graph=True)
    (d3,) = grad(d2, x)
    assert (d1.item(), d2.item(), d3.item()) == (12.0, 12.0, 6.0)
    assert d1.requires_grad and not d3.requires_grad


def test_backward_with_create_graph_makes_a_differentiable_grad():
    x = leaf(0.5, -1.0)
    (x.sin() * x).sum().backward(create_graph=True)
    first = x.grad
    assert first.requires_grad
    x.grad = None
    first.sum().backward()
    # d/dx (sin x + x cos x) = 2 cos x - x sin x
    expected = 2 * np.cos([0.5, -1.0]) - np.array([0.5, -1.0]) * np.sin([0.5, -1.0])
    np.testing.assert_allclose(values(x.grad), expected, rtol=1e-12)


def test_mixed_second_derivatives_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    xs, ws = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    results = []
    for lib in (nerve, torch):
        x = lib.tensor(xs, requires_grad=True)
        w = lib.tensor(ws, requires_grad=True)
        loss = ((x @ w).tanh() ** 2).sum()
        (gw,) = lib.autograd.grad(loss, w, create_graph=True)
        (hx,) = lib.autograd.grad((gw * gw).sum(), x)
        results.append(hx.detach().numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-10)


# -- grad modes ------------------------------------------------------------------------------


def assert_not_recorded(t: nerve.Tensor) -> None:
    assert t.requires_grad is False and t.grad_fn is None and t.is_leaf


def test_no_grad_context_records_nothing():
    w = leaf(1.0)
    with nerve.no_grad():
        assert not nerve.is_grad_enabled()
        assert_not_recorded(w * 2)
        with nerve.enable_grad():
            assert (w * 2).grad_fn is not None
    assert nerve.is_grad_enabled()
    assert (w * 2).grad_fn is not None


def test_grad_modes_as_decorators():
    w = leaf(1.0)

    @nerve.no_grad()
    def called():
        return w * 2

    @nerve.no_grad  # bare, as torch allows
    def bare():
        return w * 2

    @nerve.enable_grad()
    def enabled():
        return w * 2

    @nerve.set_grad_enabled(False)
    def disabled():
        return w * 2

    assert nerve.is_grad_enabled()  # decorating does not change the mode
    assert_not_recorded(called())
    assert_not_recorded(bare())
    assert_not_recorded(disabled())
    with nerve.no_grad():
        assert enabled().grad_fn is not None
    assert nerve.is_grad_enabled()


def test_set_grad_enabled_as_call_and_context():
    w = leaf(1.0)
    try:
        nerve.set_grad_enabled(False)  # takes effect at once
        assert_not_recorded(w * 2)
    finally:
        nerve.set_grad_enabled(True)
    with nerve.set_grad_enabled(False):
        assert_not_recorded(w * 2)
    assert nerve.is_grad_enabled()


def test_inference_mode():
    w = leaf(1.0)
    with nerve.inference_mode():
        assert_not_recorded(w * 2)
    with nerve.inference_mode(False):
        assert (w * 2).grad_fn is not None


def test_a_grad_mode_is_restored_after_an_exception():
    with pytest.raises(ValueError), nerve.no_grad():
        raise ValueError
    assert nerve.is_grad_enabled()


def test_nothing_is_recorded_when_nothing_requires_grad():
    a, b = nerve.randn(3), nerve.randn(3)
    for result in (a * b, (a @ b).exp(), a[1:].sum(), nerve.cat([a, b]).softmax(0)):
        assert_not_recorded(result)
    assert (a * leaf(1.0, 2.0, 3.0, dtype=nerve.float32)).grad_fn is not None


# -- retain_grad, hooks, autograd.grad ------------------------------------------------------


def test_retain_grad_keeps_the_gradient_of_a_non_leaf():
    x = leaf(1.0, 2.0)
    h = x * 3
    kept = x * 4
    kept.retain_grad()
    assert kept.retains_grad and not h.retains_grad
    (h * kept).sum().backward()
    assert values(kept.grad) == values(h)
    assert h.grad is None and not h.is_leaf and x.is_leaf


def test_register_hook_on_a_leaf_and_a_non_leaf():
    x = leaf(1.0, 2.0)
    seen = []
    handle = x.register_hook(lambda g: g * 10)
    h = x * 2
    h.register_hook(lambda g: seen.append(values(g)))
    (h * 3).sum().backward()
    assert seen == [[3.0, 3.0]]
    assert values(x.grad) == [60.0, 60.0]
    handle.remove()
    x.grad = None
    (x * 3).sum().backward()
    assert values(x.grad) == [3.0, 3.0]


def test_leaf_hooks_also_apply_to_what_grad_returns():
    x = leaf(1.0, 2.0)
    x.register_hook(lambda g: g * 10)
    (gx,) = grad((x * 3).sum(), x)
    assert values(gx) == [30.0, 30.0]


def test_a_non_leaf_hook_changes_the_gradient_downstream():
    x = leaf(1.0)
    h = x * 2
    h.register_hook(lambda g: -g)
    h.sum().backward()
    assert values(x.grad) == [-2.0]


def test_post_accumulate_grad_hook_sees_the_leaf():
    x = leaf(1.0)
    grads = []
    x.register_post_accumulate_grad_hook(lambda t: grads.append(values(t.grad)))
    (x * 5).sum().backward()
    assert grads == [[5.0]]


def test_grad_returns_gradients_without_accumulating():
    x, w = leaf(1.0, 2.0), leaf(3.0)
    gx, gw = grad((x * w).sum(), [x, w])
    assert values(gx) == [3.0, 3.0] and values(gw) == [3.0]
    assert x.grad is None and w.grad is None


def test_grad_allow_unused():
    x, unused = leaf(1.0), leaf(2.0)
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        grad((x * 2).sum(), [x, unused])
    gx, gu = grad((x * 2).sum(), [x, unused], allow_unused=True)
    assert values(gx) == [2.0] and gu is None
    _, zeros = grad((x * 2).sum(), [x, unused], materialize_grads=True)
    assert values(zeros) == [0.0]


def test_grad_of_an_input_that_does_not_require_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        grad((leaf(1.0) * 2).sum(), nerve.ones(1))
