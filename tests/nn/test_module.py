"""The Module API against torch.nn.Module on the same architectures: registration,
traversal orders and names, modes, zero_grad, to(dtype), apply, hooks and repr."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nerve  # noqa: E402
from nerve import nn  # noqa: E402


def _net(m):
    """The same nested architecture from nerve.nn or torch.nn."""

    class Block(m.Module):
        def __init__(self):
            super().__init__()
            self.fc = m.Linear(4, 4)
            self.norm = m.BatchNorm1d(4)
            self.register_buffer("scale", lib(m).ones(4))
            self.register_buffer("cache", lib(m).zeros(2), persistent=False)

        def forward(self, x):
            return self.norm(self.fc(x)) * self.scale

    class Net(m.Module):
        def __init__(self):
            super().__init__()
            self.stem = m.Linear(3, 4)
            self.blocks = m.ModuleList([Block(), Block()])
            self.head = m.Sequential(m.ReLU(), m.Dropout(0.2), m.Linear(4, 2, bias=False))
            self.extra = m.ModuleDict({"b": m.PReLU(), "a": m.LayerNorm(2)})
            self.alpha = m.Parameter(lib(m).ones(1))
            self.register_parameter("unused", None)

        def forward(self, x):
            x = self.stem(x)
            for block in self.blocks:
                x = block(x)
            return self.extra["a"](self.extra["b"](self.head(x))) * self.alpha

    return Net()


def lib(m):
    return nerve if m is nn else torch


def test_named_parameters_buffers_and_modules_equal_torchs():
    ours, theirs = _net(nn), _net(torch.nn)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [tuple(p.shape) for p in ours.parameters()] == [
        tuple(p.shape) for p in theirs.parameters()
    ]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert [type(c).__name__ for c in ours.children()] == [
        type(c).__name__ for c in theirs.children()
    ]
    assert [type(c).__name__ for c in ours.modules()] == [
        type(c).__name__ for c in theirs.modules()
    ]
    assert [n for n, _ in ours.named_parameters(prefix="model")] == [
        n for n, _ in theirs.named_parameters(prefix="model")
    ]
    assert [n for n, _ in ours.blocks[0].named_parameters(recurse=False)] == []
    assert [n for n, _ in ours.named_parameters(recurse=False)] == ["alpha"]


def test_shared_parameters_and_modules_are_listed_once():
    shared = nn.Linear(2, 2)
    net = nn.Sequential(shared, nn.ReLU(), shared)
    tnet = torch.nn.Sequential(*(torch.nn.Linear(2, 2),) * 1)
    tnet.append(torch.nn.ReLU()).append(tnet[0])
    assert [n for n, _ in net.named_parameters()] == [n for n, _ in tnet.named_parameters()]
    assert [n for n, _ in net.named_modules()] == [n for n, _ in tnet.named_modules()]
    assert list(net.state_dict()) == list(tnet.state_dict())


def test_train_and_eval_recurse():
    net = _net(nn)
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.blocks.train()
    assert net.blocks[1].norm.training and not net.head.training
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(ValueError, match="boolean"):
        net.train("no")


def test_zero_grad_and_requires_grad():
    net = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    net(nerve.randn(4, 3)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(p.grad is not None and bool((p.grad == 0).all()) for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_to_dtype_casts_floats_keeps_identity_and_integer_buffers():
    net = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    params = list(net.parameters())
    assert net.to(nerve.float64) is net
    assert [id(p) for p in net.parameters()] == [id(p) for p in params]
    assert all(p.dtype == nerve.float64 for p in net.parameters())
    assert net[1].running_mean.dtype == nerve.float64
    assert net[1].num_batches_tracked.dtype == nerve.int64
    assert net(nerve.randn(4, 3, dtype=nerve.float64)).dtype == nerve.float64
    net.float()
    assert all(p.dtype == nerve.float32 for p in net.parameters())
    net.double()
    assert net[0].weight.dtype == nerve.float64
    with pytest.raises(TypeError, match="floating point"):
        net.to(nerve.int64)


def test_apply_visits_children_first_like_torch():
    order, torder = [], []
    _net(nn).apply(lambda m: order.append(type(m).__name__))
    _net(torch.nn).apply(lambda m: torder.append(type(m).__name__))
    assert order == torder


def test_apply_for_custom_init():
    net = nn.Sequential(nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 1))

    def init(m):
        if isinstance(m, nn.Linear):
            nn.init.constant_(m.weight, 0.5)
            nn.init.zeros_(m.bias)

    net.apply(init)
    assert all(bool((m.weight == 0.5).all()) for m in net if isinstance(m, nn.Linear))


def test_register_buffer_and_parameter():
    m = nn.Module()
    m.register_buffer("kept", nerve.zeros(2))
    m.register_buffer("dropped", nerve.ones(2), persistent=False)
    m.register_parameter("w", nn.Parameter(nerve.ones(3)))
    m.register_parameter("none", None)
    assert [n for n, _ in m.named_buffers()] == ["kept", "dropped"]
    assert list(m.state_dict()) == ["w", "kept"]
    assert [n for n, _ in m.named_parameters()] == ["w"]
    assert m.none is None and bool((m.dropped == 1).all())
    m.w = nn.Parameter(nerve.zeros(1))  # reassigning a parameter replaces it
    assert m.w.shape == (1,)
    with pytest.raises(TypeError, match="Parameter"):
        m.register_parameter("bad", nerve.ones(1))
    with pytest.raises(TypeError, match="parameter 'w'"):
        m.w = nerve.ones(1)
    with pytest.raises(KeyError, match="contain"):
        m.register_buffer("a.b", nerve.ones(1))
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("forward", nerve.ones(1))
    m.plain = 3
    for register in (m.register_buffer, m.register_parameter, m.add_module):
        with pytest.raises(KeyError, match="already exists"):
            register("plain", None)
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("w", nerve.zeros(1))  # a parameter's name, as torch refuses
    with pytest.raises(KeyError, match="already exists"):
        m.register_parameter("kept", None)
    m.register_buffer("kept", nerve.ones(2))  # re-registering the same kind is fine
    with pytest.raises(AttributeError, match="no attribute 'missing'"):
        m.missing  # noqa: B018
    del m.w
    assert [n for n, _ in m.named_parameters()] == []


def test_assignment_before_init_fails_clearly():
    class Bad(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Bad()


def test_forward_pre_hook_and_forward_hook():
    layer = nn.Linear(2, 2)
    seen = []

    def pre(module, args):
        seen.append(("pre", module is layer, tuple(args[0].shape)))
        return (args[0] * 0,)

    def post(module, args, output):
        seen.append(("post", tuple(output.shape)))
        return output + 1

    h1 = layer.register_forward_pre_hook(pre)
    h2 = layer.register_forward_hook(post)
    out = layer(nerve.ones(3, 2))
    assert seen == [("pre", True, (3, 2)), ("post", (3, 2))]
    np.testing.assert_allclose(
        out.detach().numpy(), (layer.bias.detach() + 1).numpy()[None].repeat(3, 0)
    )
    h1.remove()
    h2.remove()
    x = nerve.ones(3, 2)
    assert bool((layer(x) == nerve.nn.functional.linear(x, layer.weight, layer.bias)).all())
    assert len(seen) == 2


def test_missing_forward_raises():
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(nerve.ones(1))


REPR_MODELS = [
    lambda m: m.Sequential(
        m.Linear(64, 128),
        m.BatchNorm1d(128),
        m.ReLU(),
        m.Dropout(0.25),
        m.Linear(128, 10, bias=False),
        m.LogSoftmax(dim=1),
    ),
    lambda m: m.Sequential(
        m.Flatten(), m.LayerNorm(8), m.LeakyReLU(0.2), m.GELU("tanh"), m.ELU(), m.PReLU(3)
    ),
    lambda m: m.Sequential(m.Softplus(), m.Hardtanh(-2.0, 2.0), m.ReLU6(), m.Tanh(), m.Sigmoid()),
    lambda m: m.Sequential(
        m.Softmax(dim=-1),
        m.Unflatten(1, (2, 4)),
        m.Identity(),
        m.SiLU(),
        m.BatchNorm1d(4, momentum=None, affine=False, track_running_stats=False),
        m.ModuleList([m.ReLU(inplace=True)]),
        m.ModuleDict({"drop": m.Dropout()}),
    ),
    lambda m: m.Sequential(m.MSELoss(), m.CrossEntropyLoss(), m.BCEWithLogitsLoss()),
]


@pytest.mark.parametrize("make", REPR_MODELS)
def test_repr_equals_torchs(make):
    assert repr(make(nn)) == repr(make(torch.nn))


def test_repr_of_a_custom_module_equals_torchs():
    assert repr(_net(nn)) == repr(_net(torch.nn))
