"""nerve.compile falls back to eager mode whenever a recorded plan might not hold, and what the
user sees of autograd (hooks, retain_grad, autograd.grad, create_graph, version errors) stays."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import nerve
from nerve import nn

REPLAY = "ReplayBackward0"


def _pair(*layers: nn.Module) -> tuple[nn.Module, nn.Module]:
    """A model and a compiled twin with the same weights."""
    nerve.manual_seed(0)
    model = nn.Sequential(*layers)
    return model, nerve.compile(copy.deepcopy(model))


def replayed(compiled: nn.Module, *args: nerve.Tensor) -> bool:
    """Whether this call of ``compiled`` was replayed (rather than run eagerly)."""
    before = compiled.replays
    compiled(*args)
    return compiled.replays == before + 1


def _warm(compiled: nn.Module, x: nerve.Tensor) -> None:
    compiled(x)  # recorded
    assert replayed(compiled, x)


def _net() -> tuple[nn.Module, nn.Module]:
    # Linear and LeakyReLU (not fused: a run of one, and an activation outside the chain),
    # then a fused Linear + Sigmoid: three ops, replayed as one Replay node
    return _pair(nn.Linear(3, 5), nn.LeakyReLU(0.2), nn.Linear(5, 2), nn.Sigmoid())


X = nerve.ones(4, 3) * nerve.arange(3.0)


def test_first_call_is_eager_and_later_calls_replay() -> None:
    model, compiled = _net()
    first = compiled(X)
    assert first.grad_fn.name() == "LayerChainBackward0"
    again = compiled(X)
    assert again.grad_fn.name() == REPLAY
    np.testing.assert_array_equal(again.detach().numpy(), model(X).detach().numpy())


def test_no_grad_and_anomaly_mode_run_eagerly() -> None:
    _, compiled = _net()
    _warm(compiled, X)
    with nerve.no_grad():
        assert compiled(X).grad_fn is None
    with nerve.autograd.detect_anomaly():
        assert not replayed(compiled, X)


def test_new_shape_or_dtype_records_a_new_plan() -> None:
    _, compiled = _net()
    _warm(compiled, X)
    smaller = X[:2]
    assert not replayed(compiled, smaller)  # new signature: eager, recorded
    assert replayed(compiled, smaller)
    double = compiled._orig_mod.double()  # parameters change dtype: a new plan
    assert not replayed(compiled, X.double())
    assert double is compiled._orig_mod


def test_forward_hook_and_replaced_forward_fall_back() -> None:
    model, compiled = _net()
    _warm(compiled, X)
    seen = []
    handle = compiled._orig_mod[0].register_forward_hook(lambda m, i, o: seen.append(o.shape))
    assert not replayed(compiled, X) and seen == [nerve.Size([4, 5])]
    handle.remove()
    assert replayed(compiled, X)  # back to the recorded plan
    compiled._orig_mod[1].forward = lambda x: x * 2  # a replaced forward runs as written
    assert not replayed(compiled, X)


def test_changed_module_option_and_replaced_layer() -> None:
    model, compiled = _pair(nn.Linear(3, 4), nn.LeakyReLU(0.1), nn.Linear(4, 1))
    _warm(compiled, X)
    compiled._orig_mod[1].negative_slope = 0.5
    model[1].negative_slope = 0.5
    for _ in range(2):
        np.testing.assert_array_equal(compiled(X).detach().numpy(), model(X).detach().numpy())
    layer = nn.Linear(4, 1)
    compiled._orig_mod[2] = layer
    model[2] = copy.deepcopy(layer)
    assert not replayed(compiled, X)
    before = compiled.replays
    out = compiled(X)
    assert compiled.replays == before + 1
    np.testing.assert_array_equal(out.detach().numpy(), model(X).detach().numpy())


def test_custom_module_types_run_eagerly() -> None:
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(3, 1)

        def forward(self, x: nerve.Tensor) -> nerve.Tensor:
            return self.fc(x) * 2 if x.sum().item() > 0 else self.fc(x)

    compiled = nerve.compile(Net())
    for _ in range(3):
        assert not replayed(compiled, X)


def test_dropout_in_training_draws_the_same_random_numbers_as_eager() -> None:
    model, compiled = _pair(nn.Linear(3, 8), nn.Dropout(0.5), nn.Linear(8, 1))
    outs = []
    for net in (model, compiled):
        nerve.manual_seed(7)
        outs.append([net(X).detach().numpy() for _ in range(3)] + [nerve.rand(3).numpy()])
    for a, b in zip(*outs):
        np.testing.assert_array_equal(a, b)
    assert compiled.plan_for(X) is None  # the random mask is made outside an op
    compiled.eval()  # in evaluation Dropout is the identity: replayed
    _warm(compiled, X)
    compiled.train()
    assert not replayed(compiled, X)


def test_parameter_hooks_and_retain_grad_see_eager_gradients() -> None:
    model, compiled = _net()
    _warm(compiled, X)
    results = []
    for net in (model, compiled):
        seen = []
        weight = list(net.parameters())[0]
        handle = weight.register_hook(lambda g, seen=seen: seen.append(g.numpy().copy()))
        out = net(X)
        out.retain_grad()
        (out * out).sum().backward()
        handle.remove()
        results.append((seen[0], out.grad.numpy(), weight.grad.numpy()))
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


def test_autograd_grad_create_graph_and_retain_graph_match_eager() -> None:
    model, compiled = _net()
    _warm(compiled, X)
    x = X.clone().requires_grad_()
    found = []
    for net in (model, compiled):
        out = net(x)
        (gx,) = nerve.autograd.grad(out.sum(), [x], create_graph=True)
        (ggx,) = nerve.autograd.grad((gx * gx).sum(), [x])
        params = list(net.parameters())
        loss = (net(x) ** 2).sum()
        loss.backward(retain_graph=True)
        loss.backward()
        found.append([gx.detach().numpy(), ggx.numpy()] + [p.grad.numpy() for p in params])
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            out = net(x).sum()
            out.backward()
            out.backward()
    for a, b in zip(*found):
        np.testing.assert_array_equal(a, b)


def test_in_place_writes_to_parameters() -> None:
    model, compiled = _net()
    _warm(compiled, X)
    for net in (model, compiled):
        weight = list(net.parameters())[0]
        with nerve.no_grad():  # outside the optimizer, between steps: the replay reads it
            weight.mul_(0.5)
    np.testing.assert_array_equal(compiled(X).detach().numpy(), model(X).detach().numpy())
    for net in (model, compiled):  # between forward and backward: eager's error
        out = net(X).sum()
        with nerve.no_grad():
            list(net.parameters())[0].add_(1.0)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            out.backward()


def test_frozen_parameter_gets_no_gradient() -> None:
    model, compiled = _net()
    _warm(compiled, X)
    for net in (model, compiled):
        list(net.parameters())[0].requires_grad_(False)
        net(X).sum().backward()
        net(X).sum().backward()
    grads = [
        [None if p.grad is None else p.grad.numpy() for p in n.parameters()]
        for n in (model, compiled)
    ]
    assert grads[0][0] is None and grads[1][0] is None
    for a, b in zip(grads[0][1:], grads[1][1:]):
        np.testing.assert_array_equal(a, b)


def test_keyword_and_non_tensor_arguments_run_eagerly() -> None:
    _, compiled = _net()
    _warm(compiled, X)
    with pytest.raises(TypeError):
        compiled(X.numpy())  # the layer's own error for a NumPy array


def test_compile_arguments() -> None:
    model = nn.Linear(2, 1)
    assert nerve.compile(model, disable=True) is model
    with pytest.raises(TypeError, match="expects an nn.Module"):
        nerve.compile(lambda x: x)
    compiled = nerve.compile(model)
    assert [n for n, _ in compiled.named_parameters()] == ["_orig_mod.weight", "_orig_mod.bias"]


def test_forward_returning_its_input_or_writing_in_place_runs_eagerly() -> None:
    identity = nerve.compile(nn.Sequential(nn.Identity(), nn.Dropout(0.3)).eval())
    identity(X)
    assert identity(X) is X and identity.plan_for(X) is None
    model, compiled = _pair(nn.Linear(3, 4), nn.ReLU(inplace=True), nn.Linear(4, 1))
    x = X.clone()
    for _ in range(3):
        np.testing.assert_array_equal(compiled(x).detach().numpy(), model(x).detach().numpy())
    np.testing.assert_array_equal(x.numpy(), X.numpy())  # as eager: the input is not written


def test_a_one_op_plan_applies_that_op_itself() -> None:
    model, compiled = _pair(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1), nn.Sigmoid())
    _warm(compiled, X)
    plan = compiled.plan_for(X)
    assert plan is not None and len(plan.steps) == 1
    out = compiled(X)
    assert out.grad_fn.name() == model(X).grad_fn.name() == "LayerChainBackward0"


def test_a_kept_chain_is_applied_only_while_eager_mode_would_apply_it(monkeypatch) -> None:
    # a Sequential kept to run as one chain is applied by compile without its own guards, but
    # a hook on the Sequential itself, or fusion turned off, still changes what runs
    model, compiled = _pair(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1), nn.Sigmoid())
    _warm(compiled, X)
    np.testing.assert_array_equal(compiled(X).detach().numpy(), model(X).detach().numpy())
    assert replayed(compiled, nerve.ones(5, 3))  # another batch size: the same chain
    assert not replayed(compiled, nerve.ones(5, 3, requires_grad=True))  # recorded anew
    seen = []
    handle = compiled._orig_mod.register_forward_hook(lambda *_: seen.append(1))
    compiled(X)
    compiled(X)  # (the first call made the Sequential's decision anew, hook and all)
    assert seen == [1, 1]
    handle.remove()
    assert replayed(compiled, X)
    monkeypatch.setattr(nn.Sequential, "fuse_layers", False)
    assert compiled(X).grad_fn.name() == "SigmoidBackward0"
    monkeypatch.setattr(nn.Sequential, "fuse_layers", True)
    # a forward replaced on the Sequential (the instance, or the class) runs, even though it
    # calls the original one, which keeps the decision anew
    original = nn.Sequential.forward
    inner = compiled._orig_mod
    inner.forward = lambda x: original(inner, x) * 2
    for _ in range(2):
        np.testing.assert_array_equal(compiled(X).detach().numpy(), 2 * model(X).detach().numpy())
    del inner.forward
    monkeypatch.setattr(nn.Sequential, "forward", lambda self, x: original(self, x) * 3)
    for _ in range(2):
        got = compiled(X).detach().numpy()
        np.testing.assert_array_equal(got, 3 * original(model, X).detach().numpy())


def test_a_deep_copy_records_plans_of_its_own() -> None:
    model, compiled = _net()
    _warm(compiled, X)
    twin = copy.deepcopy(compiled)
    assert twin.replays == 0 and not replayed(twin, X) and replayed(twin, X)
    twin._orig_mod[1].negative_slope = 0.7  # the copy's own tree is the one guarded
    model[1].negative_slope = 0.7
    np.testing.assert_array_equal(twin(X).detach().numpy(), model(X).detach().numpy())
    assert replayed(compiled, X)


def test_plans_stay_bounded_when_shapes_keep_changing() -> None:
    from nerve.replay.module import MAX_PLANS

    model, compiled = _net()
    compiled(X)
    compiled.eval()  # a second snapshot of the tree: plans under another number than the first
    for n in range(1, MAX_PLANS + 3):
        x = nerve.ones(n, 3)
        compiled(x)
        assert replayed(compiled, x)  # recorded under the number the next call looks up
    assert len(compiled._plans) <= MAX_PLANS


def test_every_kind_of_module_edit_is_counted_and_a_training_step_makes_none() -> None:
    """The guard trusts a module tree unchanged while ``EDITS`` stays put: each way of changing
    a module moves it, and a whole training step (forward, loss, backward, optimizer) does not,
    so that replayed calls take the one-comparison check."""
    from nerve.nn.module_tree import EDITS

    model, compiled = _net()
    layer = compiled._orig_mod[1]

    def moved(edit) -> bool:
        before = EDITS[0]
        edit()
        return EDITS[0] != before

    handle = None

    def register() -> None:
        nonlocal handle
        handle = layer.register_forward_hook(lambda *a: None)

    assert moved(lambda: setattr(layer, "negative_slope", 0.3))
    assert moved(lambda: setattr(layer, "extra", nn.Parameter(nerve.ones(1))))
    assert moved(lambda: delattr(layer, "extra"))
    assert moved(register)
    assert moved(lambda: handle.remove())
    assert moved(compiled.eval)
    assert moved(compiled.train)
    assert moved(lambda: layer.register_buffer("count", nerve.zeros(1)))
    assert moved(lambda: layer._buffers.pop("count"))
    assert moved(lambda: compiled._orig_mod.add_module("extra", nn.Identity()))
    assert moved(lambda: compiled._orig_mod._modules.popitem())
    optimizer = nerve.optim.SGD(compiled.parameters(), lr=0.1)
    loss_fn = nn.MSELoss()  # (a module made inside the loop would count as an edit)
    _warm(compiled, X)
    before = EDITS[0]
    for _ in range(3):
        optimizer.zero_grad()
        loss = loss_fn(compiled(X), nerve.zeros(4, 2))
        loss.backward()
        optimizer.step()
        loss.item()
    assert EDITS[0] == before


def test_an_edit_elsewhere_is_checked_once_and_this_tree_still_replays() -> None:
    model, compiled = _net()
    _warm(compiled, X)
    nn.Linear(2, 2).weight = nn.Parameter(nerve.ones(2, 2))  # some other module changes
    assert replayed(compiled, X)  # the full check finds this tree as recorded
    compiled._orig_mod[1].negative_slope = 0.5  # this tree changes
    assert not replayed(compiled, X)
    np.testing.assert_array_equal(
        compiled(X).detach().numpy(),
        nn.Sequential(*[copy.deepcopy(m) for m in compiled._orig_mod])(X).detach().numpy(),
    )


def test_reordered_children_and_a_forward_replaced_on_the_class_fall_back() -> None:
    model, compiled = _pair(nn.Linear(3, 3), nn.LeakyReLU(0.2), nn.Linear(3, 3), nn.Sigmoid())
    _warm(compiled, X)
    for tree in (model, compiled._orig_mod):  # Sigmoid first, then the rest
        tree._modules.move_to_end("3", last=False)
    assert not replayed(compiled, X)
    np.testing.assert_array_equal(compiled(X).detach().numpy(), model(X).detach().numpy())
    _warm(compiled, X)
    original = nn.LeakyReLU.forward
    nn.LeakyReLU.forward = lambda self, x: x * 0
    try:
        assert not replayed(compiled, X)
        np.testing.assert_array_equal(compiled(X).detach().numpy(), model(X).detach().numpy())
    finally:
        nn.LeakyReLU.forward = original
    assert replayed(compiled, X)
