"""nn.ParameterList and nn.ParameterDict against torch's: registration (named_parameters,
state_dict keys, optimizers see them), plain tensors wrapped as Parameters, repr, dict and
list operations, errors."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import nerve  # noqa: E402


def _build(lib):
    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.weights = lib.nn.ParameterList(
                [lib.nn.Parameter(lib.ones(2)), lib.ones(3, dtype=lib.float64)]
            )
            self.scales = lib.nn.ParameterDict(
                {"b": lib.zeros(2, 3), "a": lib.nn.Parameter(lib.ones(2))}
            )
            self.scales["c"] = lib.ones(1)

        def forward(self, x):
            return (x * self.weights[0]).sum() * self.scales["a"].sum() + self.weights[1].sum()

    return Net()


def _text(module):
    return repr(module).replace("torch.", "").replace("nerve.", "")


def test_registration_state_dict_and_repr_as_torch():
    ours, theirs = _build(nerve), _build(torch)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert _text(ours) == _text(theirs)
    assert all(isinstance(p, nerve.nn.Parameter) and p.requires_grad for p in ours.parameters())
    assert ours.weights[1].dtype == nerve.float64


def test_single_entry_repr_and_non_tensor_entries_as_torch():
    for values in ([nerve.nn.Parameter(nerve.ones(2))], [nerve.ones(2), 3, "x"]):
        theirs = torch.nn.ParameterList(
            [torch.ones(2) if isinstance(v, nerve.Tensor) else v for v in values]
        )
        assert _text(nerve.nn.ParameterList(values)) == _text(theirs)
    assert _text(nerve.nn.ParameterList()) == _text(torch.nn.ParameterList())
    assert _text(nerve.nn.ParameterDict()) == _text(torch.nn.ParameterDict())


def test_an_optimizer_trains_what_the_containers_hold():
    ours = _build(nerve)
    opt = nerve.optim.SGD(ours.parameters(), lr=0.1)
    before = ours.scales["a"].detach().numpy().copy()
    ours(nerve.ones(2)).backward()
    opt.step()
    assert not np.allclose(ours.scales["a"].detach().numpy(), before)
    assert ours.scales["b"].grad is None  # unused: no gradient


def test_load_state_dict_round_trip():
    a, b = _build(nerve), _build(nerve)
    with nerve.no_grad():
        a.weights[0].fill_(5.0)
        a.scales["c"].fill_(-1.0)
    b.load_state_dict(a.state_dict())
    assert b.weights[0].tolist() == [5.0, 5.0] and b.scales["c"].tolist() == [-1.0]


def test_list_operations_as_torch():
    for lib in (nerve, torch):
        pl = lib.nn.ParameterList([lib.ones(1) * i for i in range(4)])
        pl.extend([lib.ones(1)])
        pl += [lib.ones(1)]
        pl[-1] = lib.zeros(2)
        assert len(pl) == 6 and isinstance(pl[-1], lib.nn.Parameter) and pl[-1].shape == (2,)
        sliced = pl[1:5:2]
        assert isinstance(sliced, lib.nn.ParameterList) and [p.item() for p in sliced] == [1.0, 3.0]
        assert [p.shape[0] for p in pl] == [1, 1, 1, 1, 1, 2]
        with pytest.raises(IndexError, match="index 6 is out of range"):
            pl[6]
        with pytest.raises(TypeError, match="should be called with an iterable"):
            pl.extend(lib.ones(2))
        with pytest.raises(RuntimeError, match="ParameterList should not be called."):
            pl()


def test_dict_operations_as_torch():
    results = []
    for lib in (nerve, torch):
        pd = lib.nn.ParameterDict([("x", lib.ones(1)), ("y", lib.ones(2))])
        pd.update({"z": lib.ones(3), "w": lib.ones(4)})  # a plain dict: keys sorted, as torch
        assert pd.setdefault("x").shape == (1,)
        popped = pd.pop("y")
        key, _ = pd.popitem()
        merged = pd | lib.nn.ParameterDict({"q": lib.ones(1)})
        results.append(
            (list(pd.keys()), popped.shape[0], key, "x" in pd, pd.get("nope", 7), list(merged))
        )
        with pytest.raises(AttributeError, match="object has no attribute 'nope'"):
            pd["nope"]  # torch's error; nerve's is also a KeyError
        with pytest.raises(TypeError, match="not a string"):
            pd[1]
        with pytest.raises(ValueError, match="has length 3; 2 is required"):
            pd.update([("a", lib.ones(1), 3)])
        pd.clear()
        assert len(pd) == 0 and list(pd.parameters()) == []
    assert results[0] == results[1]
    with pytest.raises(KeyError):
        nerve.nn.ParameterDict()["nope"]
