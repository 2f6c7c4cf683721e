"""nerve.save / nerve.load: round trips of module and optimizer state dicts (paths and
file-like objects), torch-style checkpoint code with ``import nerve as torch``, and clear
errors for corrupted or foreign files (never unpickled)."""

from __future__ import annotations

import io
import math
import pickle

import numpy as np
import pytest

import nerve
from nerve import nn


def _model():
    return nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))


def _trained():
    nerve.manual_seed(0)
    model = _model()
    opt = nerve.optim.Adam(model.parameters(), lr=0.01, amsgrad=True)
    for _ in range(3):
        opt.zero_grad()
        model(nerve.randn(16, 4)).pow(2).mean().backward()
        opt.step()
    return model, opt


def _assert_same_state(a, b):
    assert list(a) == list(b)
    for key in a:
        assert a[key].dtype == b[key].dtype, key
        np.testing.assert_array_equal(a[key].numpy(), b[key].numpy(), err_msg=key)


def test_module_state_dict_round_trip(tmp_path):
    model, _ = _trained()
    path = tmp_path / "model.pt"
    nerve.save(model.state_dict(), path)
    loaded = nerve.load(path)
    _assert_same_state(loaded, model.state_dict())
    assert loaded["1.num_batches_tracked"].dtype == nerve.int64
    fresh = _model()
    fresh.load_state_dict(loaded)
    x = nerve.randn(5, 4)
    model.eval(), fresh.eval()
    assert bool((model(x) == fresh(x)).all())


def test_optimizer_state_dict_round_trip_keeps_int_keys_and_nesting(tmp_path):
    model, opt = _trained()
    state = opt.state_dict()
    nerve.save(state, str(tmp_path / "opt.pt"))
    loaded = nerve.load(str(tmp_path / "opt.pt"))
    assert list(loaded["state"]) == list(state["state"]) == [0, 1, 2, 3, 4, 5]
    for index, fields in state["state"].items():
        _assert_same_state(loaded["state"][index], fields)
    assert loaded["param_groups"] == [{k: v for k, v in g.items()} for g in state["param_groups"]]
    assert loaded["param_groups"][0]["betas"] == (0.9, 0.999)
    opt.load_state_dict(loaded)


def test_plain_values_round_trip():
    tree = {
        "epoch": 7,
        "loss": 0.25,
        "nan": math.nan,
        "inf": -math.inf,
        "flags": [True, False, None],
        "name": "run-1",
        "nested": {3: {"t": nerve.arange(4)}, "tuple": (1, 2.5)},
        "half": nerve.ones(2, dtype=nerve.float16),
        "empty": nerve.zeros(0, 3),
    }
    buffer = io.BytesIO()
    nerve.save(tree, buffer)
    buffer.seek(0)
    loaded = nerve.load(buffer)
    assert loaded["epoch"] == 7 and loaded["loss"] == 0.25 and math.isnan(loaded["nan"])
    assert loaded["inf"] == -math.inf and loaded["flags"] == [True, False, None]
    assert loaded["name"] == "run-1" and loaded["nested"]["tuple"] == (1, 2.5)
    assert loaded["nested"][3]["t"].tolist() == [0, 1, 2, 3]
    assert loaded["half"].dtype == nerve.float16 and tuple(loaded["empty"].shape) == (0, 3)


def test_torch_style_checkpoint_code_runs_with_nerve_as_torch(tmp_path):
    import nerve as torch
    import nerve.nn as nn
    import nerve.optim as optim

    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loss = model(torch.randn(4, 2)).sum()
    loss.backward()
    optimizer.step()
    path = tmp_path / "checkpoint.pth"
    torch.save(
        {
            "epoch": 1,
            "model_state_dict": model.state_dict(),
            "optimizer_state_dict": optimizer.state_dict(),
            "loss": loss.item(),
        },
        path,
    )
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    model2 = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
    optimizer2 = optim.SGD(model2.parameters(), lr=0.1, momentum=0.9)
    model2.load_state_dict(checkpoint["model_state_dict"])
    optimizer2.load_state_dict(checkpoint["optimizer_state_dict"])
    assert checkpoint["epoch"] == 1 and checkpoint["loss"] == pytest.approx(loss.item())
    torch.save(model.state_dict(), str(tmp_path / "model.pt"))
    model2.load_state_dict(torch.load(str(tmp_path / "model.pt")))
    x = torch.randn(3, 2)
    assert bool((model(x) == model2(x)).all())


def test_saving_replaces_a_file_atomically(tmp_path):
    path = tmp_path / "m.pt"
    nerve.save({"a": nerve.ones(2)}, path)
    nerve.save({"b": nerve.zeros(3)}, path)
    assert list(nerve.load(path)) == ["b"]
    assert [p.name for p in tmp_path.iterdir()] == ["m.pt"]  # no temporary files left


def _bad_files(tmp_path):
    good = io.BytesIO()
    nerve.save(_model().state_dict(), good)
    data = good.getvalue()
    rng = np.random.default_rng(0)
    return {
        "random": rng.integers(0, 256, 300, dtype=np.uint8).tobytes(),
        "truncated": data[: len(data) // 2],
        "truncated-header": data[:6],
        "empty": b"",
        "pickle": pickle.dumps({"weight": np.zeros(3)}),
        "text": b'{"weight": [1, 2, 3]}',
    }


@pytest.mark.parametrize(
    "kind", ["random", "truncated", "truncated-header", "empty", "pickle", "text"]
)
def test_corrupted_or_foreign_files_fail_clearly(tmp_path, kind):
    data = _bad_files(tmp_path)[kind]
    path = tmp_path / f"{kind}.pt"
    path.write_bytes(data)
    with pytest.raises(ValueError, match=r"invalid|safetensors") as error:
        nerve.load(path)
    assert str(path) in str(error.value) or "safetensors" in str(error.value)
    with pytest.raises(ValueError, match=r"invalid|safetensors"):
        nerve.load(io.BytesIO(data))


def test_pickles_and_torch_save_files_are_named_as_such(tmp_path):
    path = tmp_path / "weights.pt"
    path.write_bytes(pickle.dumps({"weight": [1.0]}, protocol=4))
    with pytest.raises(ValueError, match=r"weights.pt' is a Python pickle.*never unpickles"):
        nerve.load(path)
    with pytest.raises(ValueError, match="is a Python pickle"):
        nerve.load(io.BytesIO(pickle.dumps([1], protocol=2)))
    torch = pytest.importorskip("torch")
    buffer = io.BytesIO()
    torch.save({"weight": torch.ones(2)}, buffer)
    with pytest.raises(ValueError, match=r"zip archive \(the format of torch.save\)"):
        nerve.load(io.BytesIO(buffer.getvalue()))


def test_pickle_payloads_are_never_executed(tmp_path):
    class Boom:
        def __reduce__(self):
            return (exec, ("raise SystemExit('pickle code ran')",))

    path = tmp_path / "evil.pt"
    path.write_bytes(pickle.dumps(Boom()))
    with pytest.raises(ValueError):
        nerve.load(path)


def test_missing_file_and_unsupported_values(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        nerve.load(tmp_path / "nope.pt")
    with pytest.raises((TypeError, ValueError)):
        nerve.save({"f": lambda: 1}, tmp_path / "bad.pt")
    assert not (tmp_path / "bad.pt").exists()


def test_saving_a_module_or_optimizer_itself_says_to_save_its_state_dict(tmp_path):
    model = nn.Linear(2, 2)
    for obj in (model, nerve.optim.SGD(model.parameters(), lr=0.1)):
        with pytest.raises(TypeError, match=r"save its state instead: nerve.save\(obj.state_dict"):
            nerve.save(obj, tmp_path / "whole.pt")
    assert not (tmp_path / "whole.pt").exists()
