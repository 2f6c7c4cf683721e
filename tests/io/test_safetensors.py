"""Tests for the NumPy-only safetensors reader/writer in nerve.io.safetensors."""

from __future__ import annotations

import json
import os
import struct

import numpy as np
import pytest

from nerve.io import safetensors as st
from nerve.io.safetensors import SafetensorsError, load_bytes, load_file, save_bytes, save_file

DTYPES = [
    np.float64,
    np.float32,
    np.float16,
    np.int64,
    np.int32,
    np.int16,
    np.int8,
    np.uint64,
    np.uint32,
    np.uint16,
    np.uint8,
    np.bool_,
]
SHAPES = [(), (0,), (5,), (2, 3), (2, 0, 4), (1, 1, 1, 1)]


def sample(dtype: type, shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if np.dtype(dtype) == np.bool_:
        return np.asarray(rng.random(shape) > 0.5)
    if np.issubdtype(dtype, np.floating):
        return np.asarray(rng.standard_normal(shape), dtype=dtype)
    info = np.iinfo(dtype)
    return np.asarray(rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True))


def assert_same(got: np.ndarray, want: np.ndarray) -> None:
    assert isinstance(got, np.ndarray)
    assert got.dtype == np.asarray(want).dtype.newbyteorder("=")
    assert got.shape == want.shape
    np.testing.assert_array_equal(got, want)


def assert_owned(array: np.ndarray) -> None:
    # Loaded arrays must survive in-place updates (optimizer steps) and outlive the source.
    assert array.flags.writeable and array.flags.c_contiguous and array.flags.owndata


def raw_file(header: dict, buffer: bytes, length: int | None = None) -> bytes:
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text) if length is None else length) + text + buffer


# ----------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_roundtrip_bytes_every_dtype_and_shape(dtype, shape):
    array = sample(dtype, shape)
    tensors, metadata = load_bytes(save_bytes({"x": array}))
    assert metadata == {}
    assert_same(tensors["x"], array)
    assert_owned(tensors["x"])


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_roundtrip_file_every_dtype(tmp_path, dtype):
    tensors = {f"t{i}": sample(dtype, shape, i) for i, shape in enumerate(SHAPES)}
    path = tmp_path / "m.safetensors"
    save_file(tensors, path, metadata={"format": "np", "é": "ü"})
    loaded, metadata = load_file(path)
    assert metadata == {"format": "np", "é": "ü"}
    assert list(loaded) == list(tensors)
    for name, array in tensors.items():
        assert_same(loaded[name], array)
        assert_owned(loaded[name])
    assert os.listdir(tmp_path) == ["m.safetensors"]


def test_layout_header_padding_and_order():
    data = save_bytes({"b": np.arange(3, dtype=np.int8), "a": np.ones((2, 2), np.float64)})
    (length,) = struct.unpack("<Q", data[:8])
    assert length % 8 == 0
    header = json.loads(data[8 : 8 + length])
    assert header["b"] == {"dtype": "I8", "shape": [3], "data_offsets": [0, 3]}
    assert header["a"] == {"dtype": "F64", "shape": [2, 2], "data_offsets": [3, 35]}
    assert len(data) == 8 + length + 35


@pytest.mark.parametrize(
    "make",
    [
        lambda a: a[:, ::2],
        lambda a: a.T,
        lambda a: np.asfortranarray(a),
        lambda a: a.astype(">f4"),
        lambda a: a[::-1, 1:],
        lambda a: np.broadcast_to(a[:1], a.shape),
    ],
    ids=["strided", "transposed", "fortran", "big-endian", "reversed", "broadcast"],
)
def test_non_contiguous_and_foreign_byte_order_inputs(tmp_path, make):
    array = make(np.arange(24, dtype=np.float32).reshape(4, 6))
    assert_same(load_bytes(save_bytes({"x": array}))[0]["x"], array)
    save_file({"x": array}, tmp_path / "x.safetensors")
    loaded = load_file(str(tmp_path / "x.safetensors"))[0]["x"]
    assert_same(loaded, array)
    assert_owned(loaded)


def test_loaded_arrays_are_independent_copies():
    data = bytearray(save_bytes({"x": np.zeros(4, np.float32)}))
    loaded = load_bytes(data)[0]["x"]
    data[-4:] = b"\xff" * 4  # mutating the source must not change the loaded array
    loaded += 1
    np.testing.assert_array_equal(loaded, np.ones(4, np.float32))
    assert load_bytes(memoryview(bytes(data)))[0]["x"].shape == (4,)


def test_numpy_scalars_are_stored_as_0d():
    tensors = load_bytes(save_bytes({"s": np.float32(2.5)}))[0]
    assert_same(tensors["s"], np.array(2.5, np.float32))


@pytest.mark.parametrize(
    ("tensors", "metadata", "error", "match"),
    [
        ({"x": np.array([1 + 2j])}, None, TypeError, "complex128 cannot be stored"),
        ({"x": np.array(["a"], dtype=object)}, None, TypeError, "object cannot be stored"),
        ({"x": [1, 2]}, None, TypeError, "expected numpy.ndarray, got list"),
        ({1: np.zeros(1)}, None, TypeError, "names must be str"),
        ({"__metadata__": np.zeros(1)}, None, ValueError, "reserved"),
        ({"x": np.zeros(1)}, {"k": 1}, TypeError, "metadata must map str to str"),
        ({"\ud800": np.zeros(1)}, None, ValueError, "UTF-8"),
        ([np.zeros(1)], None, TypeError, "dict of name"),
    ],
)
def test_bad_inputs_are_rejected_before_writing(tmp_path, tensors, metadata, error, match):
    with pytest.raises(error, match=match):
        save_bytes(tensors, metadata)
    with pytest.raises(error, match=match):
        save_file(tensors, tmp_path / "bad.safetensors", metadata)
    assert os.listdir(tmp_path) == []


# ------------------------------------------------------------------------------- atomicity


def test_failed_write_leaves_existing_file_untouched(tmp_path, monkeypatch):
    path = tmp_path / "model.safetensors"
    save_file({"x": np.arange(10.0)}, path)
    before = path.read_bytes()

    def fail_midway(file, header, arrays):
        file.write(header)  # some bytes reach the temp file, then the disk "fills up"
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(st, "_write_payload", fail_midway)
    with pytest.raises(OSError, match="No space left"):
        save_file({"y": np.zeros(1000)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.safetensors"]


def test_failed_rename_removes_temp_file(tmp_path, monkeypatch):
    def no_replace(src, dst):
        raise PermissionError("simulated")

    monkeypatch.setattr(st.os, "replace", no_replace)
    with pytest.raises(PermissionError):
        save_file({"x": np.zeros(3)}, tmp_path / "m.safetensors")
    assert os.listdir(tmp_path) == []


def test_save_overwrites_and_missing_directory_errors(tmp_path):
    path = tmp_path / "m.safetensors"
    save_file({"x": np.zeros(3)}, path)
    save_file({"y": np.ones(2)}, path)
    assert list(load_file(path)[0]) == ["y"]
    with pytest.raises(FileNotFoundError):
        save_file({"x": np.zeros(3)}, tmp_path / "missing" / "m.safetensors")


# ------------------------------------------------------------------------------ corruption

GOOD = raw_file({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 8)


def entry(dtype="F32", shape=(2,), offsets=(0, 8)) -> dict:
    return {"dtype": dtype, "shape": list(shape), "data_offsets": list(offsets)}


CORRUPT = {
    "empty": (b"", "too short"),
    "truncated-prefix": (GOOD[:5], "too short"),
    "truncated-data": (GOOD[:-3], "out of range"),
    "huge-header-length": (struct.pack("<Q", 2**63) + GOOD[8:], "header length .* larger"),
    "header-length-too-small": (struct.pack("<Q", 10) + GOOD[8:], "not valid JSON"),
    "garbage-json": (raw_file({}, b"")[:8] + b"{not json", "not valid JSON"),
    "not-utf8": (struct.pack("<Q", 3) + b'"\xff"', "not valid UTF-8"),
    "header-is-list": (struct.pack("<Q", 2) + b"[]", "must be a JSON object"),
    "nan-constant": (struct.pack("<Q", 9) + b'{"a":NaN}', "not valid JSON"),
    "duplicate-key": (
        struct.pack("<Q", 15) + b'{"a":{},"a":{}}',
        "duplicate key 'a'",
    ),
    "unknown-dtype": (raw_file({"a": entry("Q7")}, b"\0" * 8), "unknown dtype 'Q7'"),
    "dtype-not-string": (raw_file({"a": entry(["F32"])}, b"\0" * 8), "unknown dtype"),
    "bf16": (raw_file({"a": entry("BF16", offsets=(0, 4))}, b"\0" * 4), "BF16.*NumPy"),
    "shape-mismatch": (raw_file({"a": entry(shape=(3,))}, b"\0" * 8), "needs 12 bytes"),
    "negative-dim": (raw_file({"a": entry(shape=(-2,))}, b"\0" * 8), "non-negative"),
    "offsets-out-of-range": (raw_file({"a": entry(offsets=(4, 12))}, b"\0" * 8), "out of range"),
    "offsets-reversed": (raw_file({"a": entry(offsets=(8, 0))}, b"\0" * 8), "out of range"),
    "offsets-bad-form": (raw_file({"a": entry(offsets=(0,))}, b"\0" * 8), r"\[begin, end\]"),
    "overlap": (
        raw_file({"a": entry(), "b": entry(offsets=(4, 12))}, b"\0" * 12),
        "'b' overlaps tensor 'a'",
    ),
    "gap": (raw_file({"a": entry(offsets=(4, 12))}, b"\0" * 12), "4 unused bytes"),
    "trailing-garbage": (GOOD + b"junk", "4 trailing bytes"),
    "missing-key": (raw_file({"a": {"dtype": "F32", "shape": [2]}}, b"\0" * 8), "missing keys"),
    "entry-not-object": (raw_file({"a": [1]}, b""), "expected an object"),
    "metadata-not-string": (raw_file({"__metadata__": {"k": 1}}, b""), "'k' must be a string"),
    "metadata-not-object": (raw_file({"__metadata__": [1]}, b""), "must be an object"),
    "bad-bool": (raw_file({"a": entry("BOOL", (1,), (0, 1))}, b"\x02"), "other than 0 and 1"),
    "too-many-dims": (raw_file({"a": entry("U8", [0] * 70, (0, 0))}, b""), "unusable shape"),
}


@pytest.mark.parametrize(("data", "match"), CORRUPT.values(), ids=CORRUPT.keys())
def test_corrupt_input_gives_clear_error(tmp_path, data, match):
    with pytest.raises(SafetensorsError, match=match) as bytes_error:
        load_bytes(data)
    assert "safetensors data" in str(bytes_error.value)
    path = tmp_path / "broken.safetensors"
    path.write_bytes(data)
    with pytest.raises(SafetensorsError, match=match) as file_error:
        load_file(path)
    assert str(path) in str(file_error.value)  # the message names the file
    assert isinstance(file_error.value, ValueError)


def test_valid_handmade_file_with_unsorted_offsets_and_null_metadata():
    header = {"__metadata__": None, "b": entry(offsets=(8, 16)), "a": entry()}
    buffer = np.arange(4, dtype="<f4").tobytes()
    tensors, metadata = load_bytes(raw_file(header, buffer))
    assert metadata == {}
    assert list(tensors) == ["b", "a"]
    np.testing.assert_array_equal(tensors["a"], [0, 1])
    np.testing.assert_array_equal(tensors["b"], [2, 3])


# --------------------------------------------------------------- other implementations


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_cross_compatible_with_safetensors_package(tmp_path, dtype):
    stnp = pytest.importorskip("safetensors.numpy")
    safe_open = pytest.importorskip("safetensors").safe_open
    tensors = {f"t{i}": sample(dtype, shape, i) for i, shape in enumerate(SHAPES)}
    ours, theirs = tmp_path / "ours.safetensors", tmp_path / "theirs.safetensors"
    save_file(tensors, ours, {"who": "nerve"})
    for name, array in stnp.load_file(str(ours)).items():
        assert_same(array, tensors[name])
    with safe_open(str(ours), framework="numpy") as f:
        assert f.metadata() == {"who": "nerve"}
    assert_same(stnp.load(save_bytes(tensors))["t3"], tensors["t3"])

    stnp.save_file(tensors, str(theirs), metadata={"who": "hf"})
    loaded, metadata = load_file(theirs)
    assert metadata == {"who": "hf"}
    assert set(loaded) == set(tensors)
    for name, array in loaded.items():
        assert_same(array, tensors[name])
        assert_owned(array)
    assert load_bytes(stnp.save(tensors))[0].keys() == tensors.keys()


def test_cross_compatible_with_torch(tmp_path):
    torch = pytest.importorskip("torch")
    st_torch = pytest.importorskip("safetensors.torch")
    tensors = {np.dtype(d).name: sample(d, (3, 2), i) for i, d in enumerate(DTYPES)}
    tensors["fortran"] = np.asfortranarray(sample(np.float32, (3, 4)))
    tensors["scalar"] = np.array(7, np.int64)
    path = tmp_path / "ours.safetensors"
    save_file(tensors, path)
    loaded = st_torch.load_file(str(path))
    for name, array in tensors.items():
        assert torch.equal(loaded[name], torch.from_numpy(array.copy()))

    theirs = tmp_path / "torch.safetensors"
    weights = {"w": torch.randn(4, 3), "h": torch.randn(2).half(), "m": torch.tensor([True])}
    st_torch.save_file(weights, str(theirs), metadata={"format": "pt"})
    ours, metadata = load_file(theirs)
    assert metadata == {"format": "pt"}
    for name, tensor in weights.items():
        assert_same(ours[name], tensor.numpy())

    st_torch.save_file({"b": torch.ones(2, dtype=torch.bfloat16)}, str(theirs))
    with pytest.raises(SafetensorsError, match="BF16"):
        load_file(theirs)
