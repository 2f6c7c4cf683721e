"""Nested state (dicts, lists, tuples of arrays and plain values) in safetensors files.

Arrays become safetensors tensors named by their dotted path, so a flat state dict
``{"0.weight": w}`` is stored as a tensor literally called ``"0.weight"`` that any safetensors
reader understands. Everything else -- the nesting, int dict keys, tuples versus lists, plain
values, and which leaf is which tensor -- is JSON in the header metadata:

* ``"nerve.format"``: ``"1"``, the version of this encoding;
* ``"nerve.tree"``: the structure, where a node is a JSON ``null``/bool/number/string for a
  plain value, or an object with a ``"t"`` tag: ``{"t": "tensor", "name": ...}``,
  ``{"t": "float", "v": "nan" | "inf" | "-inf"}`` (JSON has no such numbers),
  ``{"t": "list" | "tuple", "items": [node, ...]}``, or
  ``{"t": "dict", "items": [[key, node], ...]}`` with ``key`` a JSON string or integer, so int
  keys (optimizer state is keyed by parameter index) come back as ints, in order.

A file without these keys (e.g. written by the ``safetensors`` package) loads as a flat dict.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from typing import Any

import numpy as np

from nerve.io.safetensors import (
    SUPPORTED_DTYPES,
    SafetensorsError,
    dtype_code,
    load_bytes,
    load_file,
    save_bytes,
    save_file,
)

__all__ = [
    "FORMAT_KEY",
    "FORMAT_VERSION",
    "TREE_KEY",
    "dumps_tree",
    "load_tree",
    "loads_tree",
    "save_tree",
]

FORMAT_KEY = "nerve.format"
TREE_KEY = "nerve.tree"
FORMAT_VERSION = "1"

ToArray = Callable[[object], "np.ndarray | None"]
FromArray = Callable[[np.ndarray], object]

_EXPECTED = "expected tensors, numbers, strings, bools, None, lists, tuples and dicts"
_SPECIAL_FLOATS = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


class _Encoder:
    """Walks ``obj`` once, collecting arrays by unique name and building the JSON structure."""

    def __init__(self, to_array: ToArray | None) -> None:
        self.to_array = to_array
        self.tensors: dict[str, np.ndarray] = {}
        self._open: set[int] = set()  # ids of the containers on the current path (cycles)

    def encode(self, obj: object, path: str, parts: tuple[str, ...]) -> Any:
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, int):
            return int(obj)  # IntEnum and friends become plain ints
        if isinstance(obj, float):
            return _encode_float(float(obj))
        # NumPy scalars (a loss value, a step counter) are stored as the matching Python value.
        if isinstance(obj, np.bool_):
            return bool(obj)
        if isinstance(obj, np.integer):
            return int(obj)
        if isinstance(obj, np.floating):
            return _encode_float(float(obj))
        if isinstance(obj, (dict, list, tuple)):
            if id(obj) in self._open:
                raise ValueError(f"cannot save {path}: it contains itself (a reference cycle)")
            self._open.add(id(obj))
            try:
                return self._container(obj, path, parts)
            finally:
                self._open.discard(id(obj))
        if isinstance(obj, np.ndarray):
            return self._tensor(obj, path, parts)
        if self.to_array is not None:
            array = self.to_array(obj)
            if array is not None:
                if not isinstance(array, np.ndarray):
                    raise TypeError(
                        f"cannot save {path}: to_array returned {type(array).__name__!r}, "
                        "expected numpy.ndarray or None"
                    )
                return self._tensor(array, path, parts)
        raise TypeError(
            f"cannot save {path}: type {type(obj).__name__!r} is not supported; {_EXPECTED}"
        )

    def _container(self, obj: dict | list | tuple, path: str, parts: tuple[str, ...]) -> Any:
        if isinstance(obj, dict):
            items = []
            for key, value in obj.items():
                # bool is an int subclass but would come back as 0/1, so it is refused too.
                if isinstance(key, bool) or not isinstance(key, (str, int)):
                    raise TypeError(
                        f"cannot save {path}: dict key {key!r} has type {type(key).__name__!r}; "
                        "keys must be str or int"
                    )
                key = key if isinstance(key, str) else int(key)
                node = self.encode(value, f"{path}[{key!r}]", (*parts, str(key)))
                items.append([key, node])
            return {"t": "dict", "items": items}
        kind = "tuple" if isinstance(obj, tuple) else "list"
        items = [self.encode(v, f"{path}[{i}]", (*parts, str(i))) for i, v in enumerate(obj)]
        return {"t": kind, "items": items}

    def _tensor(self, array: np.ndarray, path: str, parts: tuple[str, ...]) -> dict[str, str]:
        if dtype_code(array.dtype) is None:
            raise TypeError(
                f"cannot save {path}: array dtype {array.dtype} is not supported; "
                f"expected one of {SUPPORTED_DTYPES}"
            )
        name = base = ".".join(parts) or "tensor"
        try:
            base.encode("utf-8")
        except UnicodeEncodeError:  # a key with lone surrogates: fall back to a generic name
            name = base = "tensor"
        # Different paths can give the same dotted name ({"a.b": x, "a": {"b": y}}, or keys
        # 0 and "0"); later ones get a suffix. The tree records the real name of each leaf.
        suffix = 0
        while name in self.tensors or name == "__metadata__":
            suffix += 1
            name = f"{base}~{suffix}"
        self.tensors[name] = array
        return {"t": "tensor", "name": name}


def _encode_float(value: float) -> Any:
    if math.isnan(value):
        return {"t": "float", "v": "nan"}
    if math.isinf(value):
        return {"t": "float", "v": "inf" if value > 0 else "-inf"}
    return value


def _encode(obj: object, to_array: ToArray | None) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    encoder = _Encoder(to_array)
    structure = encoder.encode(obj, "state", ())
    # ASCII keeps any str (even one with lone surrogates) safe inside the UTF-8 header;
    # allow_nan=False guarantees we never emit the non-standard NaN/Infinity tokens.
    tree = json.dumps(structure, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    return encoder.tensors, {FORMAT_KEY: FORMAT_VERSION, TREE_KEY: tree}


class _Decoder:
    def __init__(self, tensors: dict[str, np.ndarray], from_array: FromArray, source: str):
        self.tensors = tensors
        self.from_array = from_array
        self.source = source
        self.used: set[str] = set()

    def fail(self, path: str, message: str) -> SafetensorsError:
        return SafetensorsError(f"invalid {self.source}: {TREE_KEY} at {path}: {message}")

    def fields(self, node: dict, path: str, *names: str) -> list[Any]:
        if set(node) != {"t", *names}:
            raise self.fail(
                path, f"{node['t']!r} node needs exactly the keys t, {', '.join(names)}"
            )
        return [node[name] for name in names]

    def decode(self, node: Any, path: str) -> object:
        if node is None or isinstance(node, (bool, str, int, float)):
            return node
        if not isinstance(node, dict) or not isinstance(node.get("t"), str):
            raise self.fail(path, f"expected a value or a tagged object, got {node!r:.80}")
        kind = node["t"]
        if kind == "float":
            (value,) = self.fields(node, path, "v")
            if not isinstance(value, str) or value not in _SPECIAL_FLOATS:  # [] is unhashable
                raise self.fail(path, f"unknown special float {value!r}")
            return _SPECIAL_FLOATS[value]
        if kind == "tensor":
            (name,) = self.fields(node, path, "name")
            if not isinstance(name, str) or name not in self.tensors:
                raise self.fail(path, f"refers to tensor {name!r}, which is not in the file")
            self.used.add(name)
            return self.from_array(self.tensors[name])
        if kind not in ("list", "tuple", "dict"):
            raise self.fail(path, f"unknown node type {kind!r}")
        (items,) = self.fields(node, path, "items")
        if not isinstance(items, list):
            raise self.fail(path, f"items must be a list, got {type(items).__name__}")
        if kind == "list":
            return [self.decode(item, f"{path}[{i}]") for i, item in enumerate(items)]
        if kind == "tuple":
            return tuple(self.decode(item, f"{path}[{i}]") for i, item in enumerate(items))
        result: dict[str | int, object] = {}
        for item in items:
            if not (isinstance(item, list) and len(item) == 2):
                raise self.fail(path, f"dict items must be [key, value] pairs, got {item!r:.80}")
            key, value = item
            if isinstance(key, bool) or not isinstance(key, (str, int)):
                raise self.fail(path, f"dict key {key!r} is not a string or integer")
            if key in result:
                raise self.fail(path, f"duplicate dict key {key!r}")
            result[key] = self.decode(value, f"{path}[{key!r}]")
        return result


def _decode(
    tensors: dict[str, np.ndarray],
    metadata: dict[str, str],
    from_array: FromArray | None,
    source: str,
) -> object:
    convert: FromArray = from_array if from_array is not None else (lambda array: array)
    if FORMAT_KEY not in metadata and TREE_KEY not in metadata:
        return {name: convert(array) for name, array in tensors.items()}  # a foreign file
    version = metadata.get(FORMAT_KEY)
    if version != FORMAT_VERSION:
        raise SafetensorsError(
            f"invalid {source}: {FORMAT_KEY} is {version!r}; this version of nerve reads "
            f"format {FORMAT_VERSION!r} (a newer nerve may be needed)"
        )
    if TREE_KEY not in metadata:
        raise SafetensorsError(f"invalid {source}: {FORMAT_KEY} is set but {TREE_KEY} is missing")
    try:
        structure = json.loads(metadata[TREE_KEY], parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise SafetensorsError(f"invalid {source}: {TREE_KEY} is not valid JSON ({exc})") from None
    decoder = _Decoder(tensors, convert, source)
    try:
        result = decoder.decode(structure, "state")
    except RecursionError:
        raise SafetensorsError(f"invalid {source}: {TREE_KEY} is nested too deeply") from None
    unused = [name for name in tensors if name not in decoder.used]
    if unused:
        raise SafetensorsError(
            f"invalid {source}: tensors {unused[:5]} are not referenced by {TREE_KEY}"
        )
    return result


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not valid JSON")


def dumps_tree(obj: object, to_array: ToArray | None = None) -> bytes:
    """Serialize a nested state (see :func:`save_tree`) to safetensors bytes.

    >>> data = dumps_tree({"step": 3, "w": np.zeros(2, np.float32)})
    >>> loads_tree(data)
    {'step': 3, 'w': array([0., 0.], dtype=float32)}
    """
    return save_bytes(*_encode(obj, to_array))


def loads_tree(data: bytes | bytearray | memoryview, from_array: FromArray | None = None) -> object:
    """Inverse of :func:`dumps_tree`; ``from_array`` converts each loaded array.

    >>> loads_tree(dumps_tree([1, (2.5, None), {0: "a"}]))
    [1, (2.5, None), {0: 'a'}]
    """
    tensors, metadata = load_bytes(data)
    return _decode(tensors, metadata, from_array, "safetensors data")


def save_tree(
    obj: object, path: str | os.PathLike[str], *, to_array: ToArray | None = None
) -> None:
    """Save a nested state of dicts (str or int keys), lists, tuples and leaves to ``path``.

    Leaves are NumPy arrays (or anything ``to_array`` turns into one; it returns ``None`` for
    objects it does not handle), int, float (nan and inf included), bool, None and str. NumPy
    scalars are saved as the matching Python number. The whole state is checked before the
    file is touched, and the write is atomic (see :func:`nerve.io.safetensors.save_file`).

    >>> save_tree({"0.weight": np.ones((2, 2))}, "m.safetensors")  # doctest: +SKIP
    >>> load_tree("m.safetensors")  # doctest: +SKIP
    {'0.weight': array([[1., 1.], [1., 1.]])}
    """
    tensors, metadata = _encode(obj, to_array)
    save_file(tensors, path, metadata)


def load_tree(path: str | os.PathLike[str], *, from_array: FromArray | None = None) -> object:
    """Load what :func:`save_tree` wrote; a plain safetensors file gives a flat name -> array dict.

    ``from_array`` is applied to every loaded array (e.g. to wrap it in a tensor type).

    >>> state = load_tree("m.safetensors", from_array=list)  # doctest: +SKIP
    """
    tensors, metadata = load_file(path)
    return _decode(tensors, metadata, from_array, f"safetensors file {os.fspath(path)!r}")
