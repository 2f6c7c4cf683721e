"""Sequential, ModuleList and ModuleDict: the same operations on nerve's and torch's
containers give the same children, names and parameters."""

from __future__ import annotations

from collections import OrderedDict

import pytest

torch = pytest.importorskip("torch")

import nerve  # noqa: E402
from nerve import nn  # noqa: E402


def _layers(m):
    return [m.Linear(2, 3), m.ReLU(), m.Linear(3, 4), m.Tanh(), m.Linear(4, 1)]


def _names(module):
    return [name for name, _ in module.named_parameters()], [
        (name, type(child).__name__) for name, child in module.named_children()
    ]


def test_sequential_indexing_slicing_and_len():
    ours, theirs = nn.Sequential(*_layers(nn)), torch.nn.Sequential(*_layers(torch.nn))
    assert len(ours) == len(theirs) == 5
    for i in (0, 2, -1, -5):
        assert type(ours[i]).__name__ == type(theirs[i]).__name__
    for s in (slice(1, 3), slice(None, None, 2), slice(-2, None), slice(3, 1)):
        assert isinstance(ours[s], nn.Sequential)
        assert _names(ours[s]) == _names(theirs[s])
    assert ours[1:3][0] is ours[1]  # slices share the layers
    assert [type(m).__name__ for m in ours] == [type(m).__name__ for m in theirs]
    with pytest.raises(IndexError):
        ours[5]
    with pytest.raises(IndexError):
        ours[-6]


def test_sequential_mutation_like_torch():
    ours, theirs = nn.Sequential(*_layers(nn)), torch.nn.Sequential(*_layers(torch.nn))
    for net, m in ((ours, nn), (theirs, torch.nn)):
        net.append(m.Sigmoid())
        net.extend([m.Linear(1, 2), m.ReLU()])
        net.insert(1, m.Linear(3, 3))
        net[0] = m.Linear(2, 3, bias=False)
        del net[2]
        del net[-2:]
    assert _names(ours) == _names(theirs)
    assert repr(ours) == repr(theirs)


def test_sequential_from_ordered_dict_and_forward():
    ours = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 3)), ("act", nn.ReLU())]))
    theirs = torch.nn.Sequential(
        OrderedDict([("fc", torch.nn.Linear(2, 3)), ("act", torch.nn.ReLU())])
    )
    assert _names(ours) == _names(theirs)
    assert ours.fc is ours[0]
    x = nerve.randn(4, 2)
    expected = ours.act(ours.fc(x))
    assert bool((ours(x) == expected).all())
    assert repr(ours) == repr(theirs)


def test_module_list_like_torch():
    ours, theirs = nn.ModuleList(_layers(nn)), torch.nn.ModuleList(_layers(torch.nn))
    assert len(ours) == 5 and _names(ours) == _names(theirs)
    for net, m in ((ours, nn), (theirs, torch.nn)):
        net.append(m.Linear(1, 1))
        net.extend([m.ReLU(), m.Linear(1, 2)])
        net += [m.Sigmoid()]
        net.insert(2, m.Linear(5, 5))
        net[0] = m.Linear(9, 9)
        del net[1]
        del net[-3:-1]
    assert _names(ours) == _names(theirs)
    assert _names(ours[1:4]) == _names(theirs[1:4])
    assert isinstance(ours[1:4], nn.ModuleList)
    assert type(ours[-1]).__name__ == type(theirs[-1]).__name__
    assert repr(ours) == repr(theirs)
    with pytest.raises(IndexError):
        ours[len(ours)]


def test_module_list_registers_parameters_a_plain_list_would_hide():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
            self.hidden = [nn.Linear(2, 2)]  # a plain list: not registered, as in torch

    names = [name for name, _ in Net().named_parameters()]
    assert names == [f"layers.{i}.{p}" for i in range(3) for p in ("weight", "bias")]


def test_module_dict_like_torch():
    def make(m):
        return {"b": m.Linear(1, 2), "a": m.ReLU()}

    ours, theirs = nn.ModuleDict(make(nn)), torch.nn.ModuleDict(make(torch.nn))
    assert list(ours) == list(theirs) == ["b", "a"]
    for net, m in ((ours, nn), (theirs, torch.nn)):
        net["c"] = m.Linear(2, 2)
        net.update([("d", m.Tanh()), ("b", m.Linear(3, 3))])
        net.update(OrderedDict([("e", m.Sigmoid())]))
        net.update(type(net)({"f": m.Linear(1, 1)}))
        del net["a"]
        net.pop("e")
    assert list(ours.keys()) == list(theirs.keys())
    assert [type(v).__name__ for v in ours.values()] == [type(v).__name__ for v in theirs.values()]
    assert [k for k, _ in ours.items()] == [k for k, _ in theirs.items()]
    assert _names(ours) == _names(theirs)
    assert "c" in ours and "a" not in ours and len(ours) == len(theirs)
    assert repr(ours) == repr(theirs)
    ours.clear()
    assert len(ours) == 0 and list(ours.parameters()) == []


def test_containers_without_forward():
    with pytest.raises(NotImplementedError):
        nn.ModuleList([nn.ReLU()])(nerve.ones(1))
    with pytest.raises(NotImplementedError):
        nn.ModuleDict({"a": nn.ReLU()})(nerve.ones(1))


def test_sequential_rejects_non_modules():
    with pytest.raises(TypeError, match="Module"):
        nn.Sequential(nn.ReLU(), lambda x: x)
