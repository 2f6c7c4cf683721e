"""Fuzzing the safetensors reader with hostile bytes (issue 10, "also build").

Whatever the bytes — random, a valid file mutated, truncated or extended, a header with
huge declared sizes and offsets, overlapping or out-of-order ranges, bad JSON — every reader
(``load_bytes``, ``load_file``, and ``nerve.load`` on top of them) either returns exactly
what the header describes or raises :class:`SafetensorsError`; never another exception,
never an allocation beyond a small multiple of the input's size, and the file and byte
readers always agree. When the reader accepts a file, Hugging Face's own reader (installed
with the dev extras) must accept it too and give the same arrays.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import struct
import tempfile
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import nerve  # noqa: E402
from nerve.io.safetensors import SafetensorsError, load_bytes, load_file, save_bytes  # noqa: E402
from nerve.io.tree import TREE_KEY, dumps_tree, loads_tree  # noqa: E402

try:
    import safetensors.numpy as hf
except ImportError:  # the cross-check is skipped; the properties of nerve's reader still hold
    hf = None

FUZZ = settings(
    max_examples=150,
    deadline=None,  # no timing assertions: a slow shared machine must not fail the test
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Python objects built from a JSON header take more room than its text (an int in a list:
# 2 bytes of text, about 36 bytes of objects); anything sized by a declared shape or offset
# instead of by the input would exceed this by orders of magnitude.
MEMORY_FACTOR, MEMORY_SLACK = 64, 1 << 20

CODES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2"}
CODES.update({"I8": "i1", "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1", "BOOL": "?"})
HUGE = st.sampled_from([2**31, 2**32 + 8, 2**53, 2**62, 2**63 - 1, 2**63, 2**64 - 1, 2**64, 10**30])
INTS = st.one_of(st.integers(-3, 40), HUGE, st.integers(-(2**70), 2**70))
JUNK = st.recursive(
    st.one_of(st.none(), st.booleans(), INTS, st.floats(), st.text(max_size=8)),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def valid_files(draw: st.DrawFn) -> bytes:
    """A well-formed file of a few small tensors and some metadata."""
    tensors = {}
    for index in range(draw(st.integers(0, 4))):
        dtype = np.dtype(CODES[draw(st.sampled_from(sorted(CODES)))])
        shape = tuple(draw(st.lists(st.integers(0, 3), max_size=3)))
        size = dtype.itemsize * math.prod(shape)  # at most 8 * 27 bytes
        array = np.frombuffer(draw(st.binary(min_size=size, max_size=size)), np.uint8)
        if dtype == np.bool_:
            array = array % 2
        tensors[draw(st.text(min_size=1, max_size=6)) + str(index)] = array.view(dtype).reshape(
            shape
        )
    metadata = draw(st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2))
    return save_bytes(tensors, metadata)


def _split(data: bytes) -> tuple[dict[str, Any], bytes]:
    length = int.from_bytes(data[:8], "little")
    return json.loads(data[8 : 8 + length]), data[8 + length :]


def _join(header: object, body: bytes, length_delta: int = 0) -> bytes:
    text = json.dumps(header).encode()
    return struct.pack("<Q", max(0, len(text) + length_delta)) + text + body


@st.composite
def hostile_headers(draw: st.DrawFn) -> bytes:
    """A valid file whose header has one entry (or the metadata) rewritten hostilely."""
    header, body = _split(draw(valid_files()))
    names = [n for n in header if n != "__metadata__"] or ["x"]
    name = draw(st.sampled_from(names))
    entry = dict(header.get(name, {"dtype": "U8", "shape": [0], "data_offsets": [0, 0]}))
    what = draw(st.sampled_from(["shape", "offsets", "overlap", "dtype", "junk", "metadata"]))
    if what == "shape":
        entry["shape"] = draw(st.lists(INTS, max_size=5) | st.just([0] * 65) | JUNK)
    elif what == "offsets":
        entry["data_offsets"] = draw(st.lists(INTS, min_size=2, max_size=2) | JUNK)
    elif what == "overlap":  # a second tensor on top of the same bytes
        header[name + "'"] = dict(entry)
    elif what == "dtype":
        entry["dtype"] = draw(st.sampled_from(["BF16", "F8_E4M3", "f32", "", "C64"]) | JUNK)
    elif what == "junk":
        entry = draw(JUNK)
    else:
        header["__metadata__"] = draw(JUNK)
    header[name] = entry
    if draw(st.booleans()):
        body += draw(st.binary(max_size=16))
    return _join(header, body, draw(st.sampled_from([0, 0, 0, -1, 1, -8])))


@st.composite
def mutated_files(draw: st.DrawFn) -> bytes:
    """A valid file truncated, extended, with bytes overwritten, or a new length prefix."""
    data = bytearray(draw(valid_files()))
    for _ in range(draw(st.integers(1, 3))):
        how = draw(st.sampled_from(["truncate", "extend", "overwrite", "length"]))
        if how == "truncate":
            del data[draw(st.integers(0, len(data))) :]
        elif how == "extend":
            data += draw(st.binary(min_size=1, max_size=32))
        elif how == "overwrite" and data:
            at = draw(st.integers(0, len(data) - 1))
            patch = draw(st.binary(min_size=1, max_size=4))
            data[at : at + len(patch)] = patch
        elif how == "length":
            length = draw(st.integers(0, 2**64 - 1) | HUGE | st.integers(0, 99))
            data[:8] = (length % 2**64).to_bytes(8, "little")
    return bytes(data)


ANY_BYTES = st.one_of(
    st.binary(max_size=200),
    st.builds(lambda n, text: struct.pack("<Q", n) + text, st.integers(0, 200), st.binary()),
    st.builds(
        lambda text: struct.pack("<Q", len(text.encode())) + text.encode(),
        st.text(max_size=80) | st.just("[" * 5000) | st.just('{"a": 1e999999}'),
    ),
)


def _expected(data: bytes) -> dict[str, np.ndarray]:
    """What the header describes, computed independently of the reader."""
    header, body = _split(data)
    header.pop("__metadata__", None)
    return {
        name: np.frombuffer(
            body, CODES[e["dtype"]], math.prod(e["shape"]), e["data_offsets"][0]
        ).reshape(e["shape"])
        for name, e in header.items()
    }


def _traced(load: Callable[[], Any], size: int) -> Any:
    """``load()`` under tracemalloc: its result, or None for a SafetensorsError (any other
    exception fails the test); its peak allocation must stay proportional to ``size``."""
    tracemalloc.start()
    try:
        result = load()
    except SafetensorsError:
        result = None
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak <= MEMORY_FACTOR * size + MEMORY_SLACK, f"{peak} bytes allocated for {size}"
    return result


def _outcome(data: bytes) -> tuple[dict[str, np.ndarray] | None, dict[str, str] | None]:
    """(tensors, metadata) that load_bytes gives for ``data``, or Nones when it refuses it."""
    result = _traced(lambda: load_bytes(data), len(data))
    return (None, None) if result is None else result


def _check(data: bytes) -> None:
    tensors, metadata = _outcome(data)
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "f.safetensors")
        with open(path, "wb") as file:
            file.write(data)
        from_file = _traced(lambda: load_file(path), len(data))
        loaded = _traced(lambda: nerve.load(path), len(data))
    hypothesis.event("loaded" if tensors is not None else "refused")
    if tensors is None:
        assert from_file is None and loaded is None
        return
    assert from_file is not None and from_file[1] == metadata
    assert sum(a.nbytes for a in tensors.values()) <= len(data)
    expected = _expected(data)
    assert list(tensors) == list(expected) == list(from_file[0])
    for name, want in expected.items():
        for got in (tensors[name], from_file[0][name]):
            assert got.dtype == want.dtype.newbyteorder("=") and got.shape == want.shape
            np.testing.assert_array_equal(got, want)
            assert got.flags.owndata and got.flags.writeable
    if hf is not None:
        theirs = hf.load(data)
        assert sorted(theirs) == sorted(tensors)
        for name, want in theirs.items():
            np.testing.assert_array_equal(tensors[name], want)


@FUZZ
@given(valid_files())
def test_valid_files_load_exactly(data: bytes) -> None:
    tensors, _ = _outcome(data)
    assert tensors is not None
    _check(data)


@FUZZ
@given(mutated_files())
def test_mutated_files_load_correctly_or_raise(data: bytes) -> None:
    _check(data)


@FUZZ
@given(hostile_headers())
def test_hostile_headers_load_correctly_or_raise(data: bytes) -> None:
    _check(data)


@FUZZ
@given(ANY_BYTES)
def test_arbitrary_bytes_load_correctly_or_raise(data: bytes) -> None:
    _check(data)


LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(),
    st.text(max_size=5),
    st.builds(lambda n: np.arange(n, dtype=np.float32), st.integers(0, 4)),
)
STATES = st.recursive(
    LEAVES,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=4) | st.integers(-5, 5), inner, max_size=3)
    ),
    max_leaves=10,
)
# Tagged nodes as nerve.tree writes them, with the tags, names and items drawn at random.
NODES = st.recursive(
    JUNK,
    lambda inner: st.fixed_dictionaries(
        {"t": st.sampled_from(["tensor", "float", "list", "tuple", "dict", "set"])},
        optional={
            "name": st.text(max_size=6) | JUNK,
            "v": st.sampled_from(["nan", "inf", "-inf", "NaN"]) | JUNK,
            "items": st.lists(inner | st.tuples(st.text(max_size=3) | INTS, inner), max_size=3),
        },
    ),
    max_leaves=12,
)


def _same(got: object, want: object) -> bool:
    if isinstance(want, np.ndarray):
        return isinstance(got, np.ndarray) and np.array_equal(got, want)
    if isinstance(want, float) and math.isnan(want):
        return isinstance(got, float) and math.isnan(got)
    if isinstance(want, (list, tuple)):
        return type(got) is type(want) and len(got) == len(want) and all(map(_same, got, want))
    if isinstance(want, dict):
        return (
            isinstance(got, dict)
            and list(got) == list(want)
            and all(_same(got[k], want[k]) for k in want)
        )
    return type(got) is type(want) and got == want


@FUZZ
@given(STATES, st.one_of(st.none(), NODES, st.text(max_size=40)))
@example(state=None, tree={"t": "float", "v": []})  # was a TypeError (unhashable list)
def test_nerve_trees_load_correctly_or_raise(state: object, tree: object) -> None:
    """A state saved by nerve comes back exactly; with its ``nerve.tree`` metadata replaced
    by random (mostly well-formed) nodes or text, loading gives a value or SafetensorsError."""
    data = dumps_tree({"state": state})
    if tree is None:
        assert _same(loads_tree(data), {"state": state})
        return
    tensors, metadata = load_bytes(data)
    metadata[TREE_KEY] = tree if isinstance(tree, str) else json.dumps(tree)
    with contextlib.suppress(SafetensorsError):
        loads_tree(save_bytes(tensors, metadata))


@pytest.mark.parametrize(
    "header",
    [
        {"a": {"dtype": "F64", "shape": [2**40, 2**40], "data_offsets": [0, 2**83]}},
        {"a": {"dtype": "U8", "shape": [0, 2**70], "data_offsets": [0, 0]}},
        {"a": {"dtype": "U8", "shape": [0] * 65, "data_offsets": [0, 0]}},
        {"a": {"dtype": "U8", "shape": [4], "data_offsets": [2**64 - 4, 2**64]}},
        {
            "a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]},
            "b": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]},
        },
    ],
    ids=["petabytes", "zero-by-huge", "65-dims", "offset-past-2^64", "overlap"],
)
def test_bombs_are_refused_without_allocating(header: dict[str, Any]) -> None:
    data = _join(header, b"\0" * 4)
    tensors, _ = _outcome(data)
    assert tensors is None
