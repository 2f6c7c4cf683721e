"""Tests for nested state files (nerve.io.tree) on top of the safetensors layer."""

from __future__ import annotations

import json
import math
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs
from hypothesis.extra import numpy as hnp

from nerve.io import (
    SafetensorsError,
    dumps_tree,
    load_file,
    load_tree,
    loads_tree,
    save_bytes,
    save_tree,
)
from nerve.io.tree import FORMAT_KEY, TREE_KEY


def assert_tree_equal(got: object, want: object) -> None:
    """Deep equality that also checks exact types (tuple vs list, int vs bool) and nan."""
    if isinstance(want, np.ndarray):
        assert isinstance(got, np.ndarray) and got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)
        return
    assert type(got) is type(want), (got, want)
    if isinstance(want, dict):
        assert list(got) == list(want)
        for key in want:
            assert type(key) is type(next(k for k in got if k == key))
            assert_tree_equal(got[key], want[key])
    elif isinstance(want, (list, tuple)):
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert_tree_equal(g, w)
    elif isinstance(want, float) and math.isnan(want):
        assert math.isnan(got)
    elif isinstance(want, float):
        assert got == want and math.copysign(1, got) == math.copysign(1, want)
    else:
        assert got == want


def roundtrip(obj: object, tmp_path) -> object:
    via_bytes = loads_tree(dumps_tree(obj))
    path = tmp_path / "state.safetensors"
    save_tree(obj, path)
    via_file = load_tree(path)
    assert_tree_equal(via_bytes, via_file)
    return via_file


OPTIMIZER_STATE = {
    "state": {
        0: {"step": 3, "exp_avg": np.ones((2, 3), np.float32), "exp_avg_sq": np.zeros(3)},
        1: {"step": 3, "exp_avg": np.full(4, -0.5, np.float32), "exp_avg_sq": np.ones(4)},
    },
    "param_groups": [
        {
            "lr": 1e-3,
            "betas": (0.9, 0.999),
            "eps": 1e-8,
            "weight_decay": 0.0,
            "amsgrad": False,
            "foreach": None,
            "name": "encoder",
            "max_norm": math.inf,
            "params": [0, 1],
        }
    ],
}


def test_optimizer_state_dict_roundtrip_keeps_int_keys_tuples_and_plain_values(tmp_path):
    loaded = roundtrip(OPTIMIZER_STATE, tmp_path)
    assert_tree_equal(loaded, OPTIMIZER_STATE)
    assert list(loaded["state"]) == [0, 1]
    loaded["state"][0]["exp_avg"] += 1  # in-place optimizer updates must work after loading
    names = load_file(tmp_path / "state.safetensors")[0]
    assert sorted(names) == sorted(
        f"state.{i}.{k}" for i in (0, 1) for k in ("exp_avg", "exp_avg_sq")
    )


def test_special_floats_survive(tmp_path):
    obj = [math.nan, math.inf, -math.inf, -0.0, 1e308, 5e-324, 0.1, np.float32(0.1)]
    loaded = roundtrip(obj, tmp_path)
    assert_tree_equal(loaded[:7], obj[:7])
    assert loaded[7] == float(np.float32(0.1))  # NumPy scalars come back as Python numbers
    assert "NaN" not in load_file(tmp_path / "state.safetensors")[1][TREE_KEY]


@pytest.mark.parametrize(
    "obj",
    [
        np.arange(6).reshape(2, 3),
        7,
        "text",
        None,
        True,
        [],
        (),
        {},
        [np.zeros(0), (np.array(1.5), {"k": [None]})],
        {"a.b": np.ones(1), "a": {"b": np.zeros(1)}, 0: np.ones(2), "0": np.zeros(2)},
        {"__metadata__": np.ones(1), "x": np.float64(2.0), "n": np.int64(-4), "b": np.bool_(1)},
        {"\ud800": np.ones(1), "ünï": np.zeros(1)},
    ],
    ids=["bare-array", "int", "str", "none", "bool", "list", "tuple", "dict", "nested",
         "name-collisions", "odd-keys", "unicode-keys"],
)  # fmt: skip
def test_assorted_roundtrips(tmp_path, obj):
    loaded = roundtrip(obj, tmp_path)
    if isinstance(obj, dict) and "x" in obj:  # NumPy scalars become Python numbers
        obj = {**obj, "x": 2.0, "n": -4, "b": True}
    assert_tree_equal(loaded, obj)


def test_flat_state_dict_is_readable_by_other_tools(tmp_path):
    torch = pytest.importorskip("torch")
    st_torch = pytest.importorskip("safetensors.torch")
    stnp = pytest.importorskip("safetensors.numpy")
    state = {"0.weight": np.ones((3, 2), np.float32), "0.bias": np.arange(3, dtype=np.float32)}
    path = tmp_path / "model.safetensors"
    save_tree(state, path)
    theirs = stnp.load_file(str(path))
    assert set(theirs) == set(state)
    for name, array in state.items():
        np.testing.assert_array_equal(theirs[name], array)
        assert torch.equal(st_torch.load_file(str(path))[name], torch.from_numpy(array))


def test_foreign_file_loads_as_flat_dict(tmp_path):
    stnp = pytest.importorskip("safetensors.numpy")
    path = tmp_path / "hf.safetensors"
    stnp.save_file({"w": np.eye(2), "b": np.zeros(2)}, str(path), metadata={"format": "pt"})
    loaded = load_tree(path, from_array=lambda a: ("wrapped", a.shape))
    assert loaded == {"w": ("wrapped", (2, 2)), "b": ("wrapped", (2,))}
    assert loads_tree(save_bytes({"x": np.ones(1)})) == {"x": np.ones(1)}


class Box:
    """Stands in for a nerve Tensor: to_array/from_array convert at the boundary."""

    def __init__(self, data: np.ndarray) -> None:
        self.data = data


def test_to_array_and_from_array_hooks(tmp_path):
    shared = Box(np.arange(3.0))
    state = {"a": shared, "b": [shared, Box(np.ones(2, np.int32))], "n": np.zeros(1)}
    path = tmp_path / "boxes.safetensors"
    save_tree(state, path, to_array=lambda o: o.data if isinstance(o, Box) else None)
    loaded = load_tree(path, from_array=Box)
    assert isinstance(loaded["a"], Box) and isinstance(loaded["n"], Box)
    np.testing.assert_array_equal(loaded["b"][0].data, shared.data)
    assert loaded["a"].data is not loaded["b"][0].data  # stored twice, loaded as two copies
    with pytest.raises(TypeError, match=r"state\['a'\]: to_array returned 'list'"):
        dumps_tree({"a": Box(np.ones(1))}, to_array=lambda o: [1])


@pytest.mark.parametrize(
    ("obj", "match"),
    [
        (
            {"layers": [1, 2, {3}]},
            r"^cannot save state\['layers'\]\[2\]: type 'set' is not supported; expected "
            r"tensors, numbers, strings, bools, None, lists, tuples and dicts$",
        ),
        ({"f": print}, r"state\['f'\]: type 'builtin_function_or_method'"),
        ([object()], r"state\[0\]: type 'object'"),
        ({0: {"x": 1j}}, r"state\[0\]\['x'\]: type 'complex'"),
        (b"bytes", r"^cannot save state: type 'bytes'"),
        ({"a": np.array([1j])}, r"state\['a'\]: array dtype complex128"),
        ({"a": np.array(["s"])}, r"array dtype <U1"),
        ({1.5: 1}, r"dict key 1.5 has type 'float'"),
        ({True: 1}, r"dict key True has type 'bool'"),
        ({"a": Box(np.ones(1))}, r"type 'Box' is not supported"),
    ],
)
def test_unsupported_values_raise_type_error_naming_the_path(tmp_path, obj, match):
    path = tmp_path / "model.safetensors"
    save_tree({"ok": np.ones(2)}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError, match=match):
        save_tree(obj, path)
    assert path.read_bytes() == before  # detected before anything was written
    assert os.listdir(tmp_path) == ["model.safetensors"]


def test_reference_cycle_is_rejected():
    cyclic: list = [1]
    cyclic.append({"again": cyclic})
    with pytest.raises(ValueError, match=r"state\[1\]\['again'\]: it contains itself"):
        dumps_tree(cyclic)
    shared = [1, 2]
    assert loads_tree(dumps_tree([shared, shared])) == [[1, 2], [1, 2]]  # sharing is not a cycle


def test_simulated_write_error_keeps_old_file(tmp_path, monkeypatch):
    from nerve.io import safetensors as st

    path = tmp_path / "model.safetensors"
    save_tree(OPTIMIZER_STATE, path)
    before = path.read_bytes()

    def broken_fsync(fd):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(st.os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="Input/output"):
        save_tree({"new": np.zeros(10)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.safetensors"]


def nerve_file(tree: object, tensors: dict | None = None, version: str = "1") -> bytes:
    metadata = {FORMAT_KEY: version, TREE_KEY: tree if isinstance(tree, str) else json.dumps(tree)}
    return save_bytes(tensors or {}, metadata)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (nerve_file(1, version="2"), "nerve.format is '2'"),
        (save_bytes({}, {TREE_KEY: "1"}), "nerve.format is None"),
        (save_bytes({}, {FORMAT_KEY: "1"}), "nerve.tree is missing"),
        (nerve_file("{oops"), "not valid JSON"),
        (nerve_file("[NaN]"), "not valid JSON"),
        (nerve_file({"t": "tensor", "name": "w"}), "tensor 'w', which is not in the file"),
        (nerve_file({"t": "set", "items": []}), "unknown node type 'set'"),
        (nerve_file([1]), "expected a value or a tagged object"),
        (nerve_file({"t": "list", "items": 3}), "items must be a list"),
        (nerve_file({"t": "list", "items": [], "x": 1}), "needs exactly the keys"),
        (nerve_file({"t": "float", "v": "huge"}), "unknown special float"),
        (nerve_file({"t": "dict", "items": [[1.5, 0]]}), "dict key 1.5"),
        (nerve_file({"t": "dict", "items": [[1]]}), r"\[key, value\] pairs"),
        (nerve_file({"t": "dict", "items": [[1, 0], [1, 0]]}), "duplicate dict key 1"),
        (nerve_file(None, {"w": np.ones(1)}), r"tensors \['w'\] are not referenced"),
        (nerve_file("[" * 100_000 + "]" * 100_000), "nerve.tree"),
    ],
)
def test_bad_metadata_gives_safetensors_error(tmp_path, data, match):
    with pytest.raises(SafetensorsError, match=match):
        loads_tree(data)
    path = tmp_path / "bad.safetensors"
    path.write_bytes(data)
    with pytest.raises(SafetensorsError, match=str(path)):
        load_tree(path)


def test_nested_list_node_path_in_error():
    tree = {"t": "dict", "items": [["a", {"t": "list", "items": [{"t": "nope"}]}]]}
    with pytest.raises(SafetensorsError, match=r"at state\['a'\]\[0\]: unknown node type"):
        loads_tree(nerve_file(tree))


# ------------------------------------------------------------------------------ hypothesis

ARRAY_DTYPES = hs.sampled_from(["<f8", "<f4", "<f2", "<i8", "<i4", "i1", "u1", "<u2", "?"])
LEAVES = (
    hs.none()
    | hs.booleans()
    | hs.integers(min_value=-(2**70), max_value=2**70)
    | hs.floats(allow_nan=True, allow_infinity=True)
    | hs.text(max_size=8)
    | hnp.arrays(ARRAY_DTYPES, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3))
)
KEYS = hs.text(max_size=6) | hs.integers(min_value=-5, max_value=50)
TREES = hs.recursive(
    LEAVES,
    lambda children: (
        hs.lists(children, max_size=4)
        | hs.lists(children, max_size=4).map(tuple)
        | hs.dictionaries(KEYS, children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TREES)
def test_random_trees_roundtrip(tree):
    data = dumps_tree(tree)
    assert_tree_equal(loads_tree(data), tree)
    assert_tree_equal(loads_tree(bytearray(data)), tree)
