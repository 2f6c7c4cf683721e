"""Module hooks against torch 2.13: forward pre-hooks and forward hooks with kwargs and
always_call, full backward (pre-)hooks, removal, prepend, and Sequential's fused chain falling
back to layer by layer when a layer has hooks."""

from __future__ import annotations

import numpy as np
import pytest

import nerve
from nerve import nn

torch = pytest.importorskip("torch")


def _pair(seed: int = 0) -> tuple[nn.Linear, torch.nn.Linear]:
    rng = np.random.default_rng(seed)
    w, b = rng.standard_normal((3, 4)), rng.standard_normal(3)
    ours, theirs = nn.Linear(4, 3).double(), torch.nn.Linear(4, 3).double()
    with nerve.no_grad():
        ours.weight.copy_(nerve.tensor(w))
        ours.bias.copy_(nerve.tensor(b))
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(w))
        theirs.bias.copy_(torch.tensor(b))
    return ours, theirs


def _arrays(values: tuple) -> list:
    return [None if v is None else np.asarray(v.detach()) for v in values]


@pytest.mark.parametrize("inputs_need_grad", [True, False])
def test_full_backward_hook_sees_torch_gradients(inputs_need_grad: bool) -> None:
    ours, theirs = _pair()
    seen: dict[str, list] = {"ours": [], "theirs": []}
    x = np.random.default_rng(1).standard_normal((2, 4))

    def recorder(key: str):
        def hook(module, grad_input, grad_output):
            seen[key].append((_arrays(grad_input), _arrays(grad_output)))

        return hook

    ours.register_full_backward_hook(recorder("ours"))
    theirs.register_full_backward_hook(recorder("theirs"))
    a = nerve.tensor(x, requires_grad=inputs_need_grad)
    b = torch.tensor(x, requires_grad=inputs_need_grad)
    (ours(a) ** 2).sum().backward()
    (theirs(b) ** 2).sum().backward()
    assert len(seen["ours"]) == len(seen["theirs"]) == 1
    (gi_ours, go_ours), (gi_theirs, go_theirs) = seen["ours"][0], seen["theirs"][0]
    assert len(gi_ours) == len(gi_theirs) and len(go_ours) == len(go_theirs)
    for mine, expected in zip(gi_ours + go_ours, gi_theirs + go_theirs):
        if expected is None:
            assert mine is None
        else:
            np.testing.assert_allclose(mine, expected, rtol=1e-12)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-12)


def test_backward_hooks_replace_gradients_as_torch() -> None:
    ours, theirs = _pair()
    x = np.random.default_rng(2).standard_normal((2, 4))
    for module in (ours, theirs):
        module.register_full_backward_pre_hook(lambda m, go: (go[0] * 3,))
        module.register_full_backward_hook(lambda m, gi, go: (gi[0] * 0.5,))
    a, b = nerve.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours(a).sum().backward()
    theirs(b).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-12)


def test_backward_hook_with_a_wrong_count_raises() -> None:
    ours, _ = _pair()
    ours.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
    with pytest.raises(RuntimeError, match="invalid number of grad_input, got 2, but expected 1"):
        ours(nerve.ones(1, 4, dtype=nerve.float64, requires_grad=True)).sum().backward()


class _Scale(nn.Module):
    def forward(self, x, scale=1.0):
        return x * scale


class _TorchScale(torch.nn.Module):
    def forward(self, x, scale=1.0):
        return x * scale


def test_forward_hooks_with_kwargs_as_torch() -> None:
    results = []
    for module, lib in ((_Scale(), nerve), (_TorchScale(), torch)):
        calls = []

        def pre(m, args, kwargs, calls=calls):
            calls.append(("pre", sorted(kwargs)))
            return (args[0] + 1,), {"scale": kwargs["scale"] * 2}

        def post(m, args, kwargs, output, calls=calls):
            calls.append(("post", kwargs["scale"]))
            return output - 1

        module.register_forward_pre_hook(pre, with_kwargs=True)
        module.register_forward_hook(post, with_kwargs=True)
        out = module(lib.tensor([1.0, 2.0]), scale=3.0)
        results.append((out.tolist(), calls))
    assert results[0] == results[1]


def test_pre_hook_with_kwargs_returning_a_bad_value_raises() -> None:
    module = _Scale()
    module.register_forward_pre_hook(lambda m, a, k: a, with_kwargs=True)
    message = r"must return None or a tuple of \(new_args, new_kwargs\)"
    with pytest.raises(RuntimeError, match=message):
        module(nerve.ones(2))


class _Failing(nn.Module):
    def forward(self, x):
        raise ValueError("broken forward")


def test_always_call_hook_runs_when_forward_raises() -> None:
    module, seen = _Failing(), []
    module.register_forward_hook(lambda m, a, o: seen.append(("always", o)), always_call=True)
    module.register_forward_hook(lambda m, a, o: seen.append(("plain", o)))
    with pytest.raises(ValueError, match="broken forward"):
        module(nerve.ones(2))
    assert seen == [("always", None)]


def test_prepend_and_remove() -> None:
    module, order = _Scale(), []
    first = module.register_forward_hook(lambda m, a, o: order.append("first"))
    module.register_forward_hook(lambda m, a, o: order.append("prepended"), prepend=True)
    module(nerve.ones(1))
    assert order == ["prepended", "first"]
    first.remove()
    order.clear()
    module(nerve.ones(1))
    assert order == ["prepended"]


def test_sequential_runs_hooked_layers_one_by_one() -> None:
    """The fused chain would skip the hooks: a hooked layer falls back to its own call."""
    nerve.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    x = nerve.randn(5, 3, requires_grad=True)
    expected = model(x)
    expected.sum().backward()
    grad_plain = x.grad.numpy().copy()
    x.grad = None
    seen = []
    model[2].register_full_backward_hook(lambda m, gi, go: seen.append(go[0].shape))
    model[0].register_forward_hook(lambda m, a, o: seen.append(o.shape))
    out = model(x)
    out.sum().backward()
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy())
    np.testing.assert_allclose(x.grad.numpy(), grad_plain, rtol=1e-6)
    assert seen == [nerve.Size([5, 4]), nerve.Size([5, 2])]


def test_numpy_input_to_a_layer_names_the_layer_and_the_fix() -> None:
    with pytest.raises(TypeError, match=r"Linear: .*numpy\.ndarray.*nerve\.tensor\(array\)"):
        nn.Linear(2, 2)(np.ones((1, 2), dtype=np.float32))
    with pytest.raises(TypeError, match=r"nerve\.from_numpy"):
        nn.Sequential(nn.Linear(2, 2))(np.ones((1, 2), dtype=np.float32))
