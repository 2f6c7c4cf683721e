"""Sequential's fused runs of Linear layers and activations (nerve.nn.fused): the same values
and gradients as layer by layer, torch's numbers, finite differences, higher order, and the
cases that must run layer by layer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
import pytest

import nerve
from nerve import nn
from nerve.ops.chain import layer_chain
from nerve.ops.nn_ops import Linear
from nerve.ops.unary import Sigmoid, Tanh

torch = pytest.importorskip("torch")

from parity import close, copy_parameters, gradcheck, gradgradcheck  # noqa: E402

ARCHITECTURES: dict[str, Callable[[], list[nn.Module]]] = {
    "lecture": lambda: [nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1), nn.Sigmoid()],
    "tanh-no-bias": lambda: [nn.Linear(3, 5, bias=False), nn.Tanh(), nn.Linear(5, 2)],
    "activation-first": lambda: [nn.ReLU(), nn.Linear(3, 4), nn.Sigmoid(), nn.Tanh()],
    "deep": lambda: [nn.Linear(3, 6), nn.ReLU(), nn.Linear(6, 6), nn.ReLU(), nn.Linear(6, 4)],
}


@contextmanager
def layer_by_layer() -> Iterator[None]:
    nn.Sequential.fuse_layers = False
    try:
        yield
    finally:
        nn.Sequential.fuse_layers = True


def _input(model: nn.Sequential, dtype: nerve.dtype, requires_grad: bool) -> nerve.Tensor:
    first = next(m for m in model if isinstance(m, nn.Linear))
    width = first.in_features
    rng = np.random.default_rng(1)
    x = nerve.tensor(rng.standard_normal((7, width)) * 2, dtype=dtype)
    return x.requires_grad_(requires_grad)


def _gradients(model: nn.Sequential, x: nerve.Tensor) -> tuple[np.ndarray, list[np.ndarray]]:
    model.zero_grad()
    x.grad = None
    out = model(x)
    (out * out.detach().sin()).sum().backward()  # a gradient that differs per element
    grads = [p.grad.numpy().copy() for p in model.parameters()]
    if x.requires_grad:
        grads.append(x.grad.numpy().copy())
    return out.detach().numpy().copy(), grads


@pytest.mark.parametrize("requires_grad", [False, True], ids=["x", "x-with-grad"])
@pytest.mark.parametrize("dtype", [nerve.float32, nerve.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_fused_equals_layer_by_layer_exactly(name, dtype, requires_grad):
    nerve.manual_seed(0)
    model = nn.Sequential(*ARCHITECTURES[name]()).to(dtype)
    x = _input(model, dtype, requires_grad)
    out, grads = _gradients(model, x)
    assert model(x).grad_fn.name() == "LayerChainBackward0"
    with layer_by_layer():
        out_ref, grads_ref = _gradients(model, x)
        assert model(x).grad_fn.name() != "LayerChainBackward0"
    np.testing.assert_array_equal(out, out_ref)
    assert len(grads) == len(grads_ref)
    for ours, reference in zip(grads, grads_ref):
        np.testing.assert_array_equal(ours, reference)


@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_fused_matches_torch(name):
    nerve.manual_seed(0)
    ours = nn.Sequential(*ARCHITECTURES[name]()).double()
    theirs = torch.nn.Sequential(
        *[getattr(torch.nn, type(m).__name__)(*_args(m)) for m in ours]
    ).double()
    copy_parameters(ours, theirs)
    x = np.random.default_rng(2).standard_normal((5, _input(ours, nerve.float64, False).shape[1]))
    xo = nerve.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    out_o, out_t = ours(xo), theirs(xt)
    close(out_o.detach().numpy(), out_t.detach().numpy())
    out_o.pow(2).sum().backward()
    out_t.pow(2).sum().backward()
    close(xo.grad.numpy(), xt.grad.numpy())
    for p, q in zip(ours.parameters(), theirs.parameters()):
        close(p.grad.numpy(), q.grad.numpy())


def _args(module: nn.Module) -> tuple:
    if isinstance(module, nn.Linear):
        return (module.in_features, module.out_features, module.bias is not None)
    return ()


def test_finite_differences_first_and_second_order():
    ops = (Linear, Tanh, Linear, Sigmoid)

    def chain(x, w1, b1, w2, b2):
        return layer_chain(x, [w1, b1, w2, b2], ops, saves=(0, 1, 2, 3, 4))

    rng = np.random.default_rng(3)
    shapes = [(5, 3), (4, 3), (4,), (2, 4), (2,)]
    inputs = [nerve.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]
    assert gradcheck(chain, inputs)
    assert gradgradcheck(chain, inputs)


def test_gradient_penalty_through_the_chain_equals_layer_by_layer():
    nerve.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 1), nn.Sigmoid()).double()
    x = nerve.randn(6, 3, dtype=nerve.float64, requires_grad=True)

    def penalty_grads() -> list[np.ndarray]:
        model.zero_grad()
        (gx,) = nerve.autograd.grad(model(x).sum(), [x], create_graph=True)
        (gx * gx).sum().backward()
        return [p.grad.numpy().copy() for p in model.parameters()]

    fused = penalty_grads()
    with layer_by_layer():
        reference = penalty_grads()
    for ours, theirs in zip(fused, reference):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


def test_hooks_dropout_and_bad_inputs_run_layer_by_layer():
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 3))
    seen = []
    handle = model[1].register_forward_hook(lambda m, args, out: seen.append(out.shape))
    out = model(nerve.randn(5, 2, requires_grad=True))
    assert seen == [nerve.Size([5, 4])] and out.grad_fn.name() == "LinearBackward0"
    handle.remove()
    assert model(nerve.randn(5, 2)).grad_fn.name() == "LayerChainBackward0"
    # A Dropout splits the layers into two fused runs around it.
    split = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4, 3), nn.Tanh())
    out = split(nerve.randn(5, 2))
    assert out.grad_fn.name() == "LayerChainBackward0"
    out.sum().backward()
    assert all(p.grad is not None for p in split.parameters())
    # Inputs the layers reject get the layers' own errors.
    with pytest.raises(RuntimeError, match="in_features = 2"):
        model(nerve.randn(5, 3))
    with pytest.raises(RuntimeError, match="same dtype"):
        model(nerve.randn(5, 2, dtype=nerve.float64))
    # Without gradients, nothing is recorded; batched inputs run layer by layer.
    with nerve.no_grad():
        assert model(nerve.randn(5, 2)).grad_fn is None
    assert model(nerve.randn(3, 5, 2)).shape == (3, 5, 3)


def test_changing_the_output_in_place_is_caught_as_layer_by_layer():
    model = nn.Sequential(nn.Linear(2, 3), nn.Sigmoid())
    out = model(nerve.randn(4, 2))
    out.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


def test_a_layer_used_twice_sums_its_gradients():
    shared = nn.Linear(3, 3)
    model = nn.Sequential(shared, nn.Tanh(), shared)
    x = nerve.randn(4, 3)
    model(x).sum().backward()
    fused = shared.weight.grad.numpy().copy()
    shared.zero_grad()
    with layer_by_layer():
        model(x).sum().backward()
    np.testing.assert_allclose(fused, shared.weight.grad.numpy(), rtol=1e-6)


def test_double_backward_runs_each_parameter_hook_once():
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1)).double()
    calls = []
    model[0].weight.register_hook(lambda g: (calls.append(1), g * 2)[1])
    x = nerve.ones(2, 3, dtype=nerve.float64, requires_grad=True)
    (gx,) = nerve.autograd.grad(model(x).sum(), [x], create_graph=True)
    assert calls == []  # grad() did not ask for the weight
    gx.pow(2).sum().backward()
    fused = (len(calls), model[0].weight.grad.numpy().copy())
    calls.clear()
    model.zero_grad()
    with layer_by_layer():
        (gx,) = nerve.autograd.grad(model(x).sum(), [x], create_graph=True)
        gx.pow(2).sum().backward()
    assert fused[0] == len(calls) == 1
    np.testing.assert_allclose(fused[1], model[0].weight.grad.numpy(), rtol=1e-12)


def test_a_replaced_forward_is_honoured():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    model[2].forward = lambda x: nerve.zeros(x.shape[0], 2)
    assert model(nerve.randn(5, 3)).abs().sum().item() == 0.0


def test_in_place_changes_are_caught_exactly_where_layer_by_layer_catches_them():
    def attempt(build, change) -> bool:
        """Whether backward raises after ``change`` (fused, then layer by layer: the same)."""
        outcomes = []
        for fuse in (True, False):
            nn.Sequential.fuse_layers = fuse
            try:
                model, x = build()
                out = model(x)
                with nerve.no_grad():
                    change(model, x)
                try:
                    out.sum().backward()
                    outcomes.append(False)
                except RuntimeError as err:
                    assert "inplace operation" in str(err)
                    outcomes.append(True)
            finally:
                nn.Sequential.fuse_layers = True
        assert outcomes[0] == outcomes[1], outcomes
        return outcomes[0]

    def frozen_first():
        model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
        model[0].requires_grad_(False)
        return model, nerve.randn(5, 3)

    def activation_first():
        return nn.Sequential(nn.ReLU(), nn.Linear(3, 2), nn.Tanh()), nerve.randn(5, 3)

    assert not attempt(frozen_first, lambda m, x: m[0].weight.mul_(0.5))
    assert attempt(frozen_first, lambda m, x: m[2].weight.mul_(0.5))
    assert not attempt(activation_first, lambda m, x: x.add_(1))
    assert attempt(activation_first, lambda m, x: m[1].bias.add_(1))


def test_half_precision_sigmoid_stays_half():
    assert nerve.sigmoid(nerve.ones(2, dtype=nerve.float16)).dtype == nerve.float16


def _outcome(model: nn.Sequential, x: nerve.Tensor) -> tuple[object, ...]:
    """What a call gives: the output's values, dtype and node, and each gradient (or the error
    raised)."""
    model.zero_grad()
    try:
        out = model(x)
        out.sum().backward()
    except RuntimeError as error:
        return ("error", type(error), str(error).split("(")[0])
    grads = [None if p.grad is None else p.grad.numpy().tolist() for p in model.parameters()]
    return (out.detach().numpy().tolist(), out.dtype, out.grad_fn.name(), grads)


EDITS_AFTER_A_CALL = {
    # each changes what the kept decision depended on; none of them makes or edits a module,
    # so the module-edit count stays put and only the decision's own checks can notice
    "a new weight array": lambda m, x: (setattr(m[0].weight, "data", nerve.randn(4, 3)), x),
    "a float64 weight": lambda m, x: (setattr(m[0].weight, "data", m[0].weight.double()), x),
    "a frozen weight": lambda m, x: (m[2].weight.requires_grad_(False), x),
    "an input needing a gradient": lambda m, x: (None, x.clone().requires_grad_(True)),
    "a float64 input": lambda m, x: (None, x.double()),
    "a wider input": lambda m, x: (None, nerve.randn(5, 4)),
    "a 3-D input": lambda m, x: (None, nerve.randn(2, 5, 3)),
    "a forward replaced on the class": lambda m, x: (setattr(nn.ReLU, "forward", _zeros), x),
}


def _zeros(self: nn.Module, x: nerve.Tensor) -> nerve.Tensor:
    return x * 0


@pytest.mark.parametrize("edit", list(EDITS_AFTER_A_CALL))
def test_a_kept_decision_gives_way_to_what_it_depended_on(edit: str) -> None:
    """Sequential keeps its decision to fuse between calls: a change made after a call must be
    honoured by the next call exactly as layer by layer would (same values, gradients, dtype,
    node kind or error)."""
    from nerve.nn import fused
    from nerve.nn.module_tree import EDITS

    nerve.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    x = nerve.randn(5, 3)
    original = nn.ReLU.forward
    try:
        model(x)
        assert id(model) in fused._decisions
        before = EDITS[0]
        _, x = EDITS_AFTER_A_CALL[edit](model, x)
        got = _outcome(model, x)
        assert EDITS[0] == before  # the kept decision was consulted, not dropped
        with layer_by_layer():
            expected = _outcome(model, x)
        if expected[0] != "error":
            expected = (*expected[:2], got[2], *expected[3:])  # (the node kind may differ)
        assert got == expected
    finally:
        nn.ReLU.forward = original


def test_a_kept_decision_sees_reordered_children_and_is_never_shared() -> None:
    from nerve.nn import fused

    nerve.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 4), nn.Tanh())
    x = nerve.randn(5, 3)
    model(x)
    model._modules.move_to_end("0")  # ReLU, Linear(4, 4), Tanh, Linear(3, 4): wrong widths
    with pytest.raises(RuntimeError, match="in_features = 4"):
        model(x)

    class Equal(nn.Sequential):  # equal when of one length: one decision each all the same
        def __eq__(self, other: object) -> bool:
            return isinstance(other, Equal) and len(self) == len(other)

        def __hash__(self) -> int:
            return len(self)

    a, b = Equal(nn.Linear(3, 4), nn.ReLU()), Equal(nn.Linear(3, 4), nn.ReLU())
    assert a == b
    outputs = [a(x), b(x), b(x)]
    with layer_by_layer():
        np.testing.assert_array_equal(outputs[2].detach().numpy(), b(x).detach().numpy())
    assert not np.array_equal(outputs[0].detach().numpy(), outputs[1].detach().numpy())
    key = id(a)
    del a, outputs
    assert key not in fused._decisions  # a model's decision goes with it


def test_a_kept_decision_guards_in_place_changes_as_frozen_layers_do() -> None:
    """Freezing the first layer after a call: layer by layer that layer is no longer recorded,
    so changing its weight in place before backward is allowed; the kept decision must not
    keep guarding it."""
    nerve.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    x = nerve.randn(5, 3)
    model(x)
    model[0].requires_grad_(False)
    for fused_layers in (True, False):
        nn.Sequential.fuse_layers = fused_layers
        try:
            out = model(x)
            with nerve.no_grad():
                model[0].weight.mul_(2)
            out.sum().backward()  # no "modified by an inplace operation" error
        finally:
            nn.Sequential.fuse_layers = True
