"""A from-scratch reader and writer for the safetensors file format, on NumPy only.

Layout of a file (https://github.com/huggingface/safetensors):

* 8 bytes: little-endian unsigned integer ``N``, the length of the header;
* ``N`` bytes: a UTF-8 JSON object ``{"__metadata__": {str: str}, name: {"dtype": "F32",
  "shape": [2, 3], "data_offsets": [begin, end]}, ...}``, padded with spaces so the data
  starts on an 8-byte boundary;
* the data buffer: every tensor's raw C-order little-endian bytes, back to back, no gaps.

Nothing in a file is ever executed: the header is parsed as JSON and every field is checked
before a single tensor byte is trusted, so a corrupt or hostile file gives a
:class:`SafetensorsError` that names the file and the problem.
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import secrets
import stat
from collections.abc import Mapping
from typing import IO, NamedTuple

import numpy as np

__all__ = [
    "SafetensorsError",
    "dtype_code",
    "load_bytes",
    "load_file",
    "open_regular",
    "save_bytes",
    "save_file",
]

PathLike = str | os.PathLike[str]


class SafetensorsError(ValueError):
    """A safetensors file (or byte string) is malformed or uses something unsupported, or
    the path names something that is not a regular file (a FIFO, a device, a socket).

    This is the only error the readers raise for bad contents, whatever the bytes: a
    truncated file, bad JSON, offsets or shapes that do not fit, sizes beyond memory. (A
    missing or unreadable path gives the usual ``FileNotFoundError`` / ``PermissionError``;
    a directory ``IsADirectoryError``.)

    Example:
        >>> import numpy as np
        >>> from nerve.io import SafetensorsError, load_bytes, save_bytes
        >>> data = save_bytes({"w": np.ones((2, 2), dtype=np.float32)})
        >>> try:
        ...     load_bytes(data[:-4])  # the last bytes lost in transfer
        ... except SafetensorsError as err:
        ...     print("rejected:", type(err).__name__, isinstance(err, ValueError))
        rejected: SafetensorsError True
    """


# safetensors dtype code -> NumPy dtype with an explicit little-endian byte order, because the
# format is little-endian whatever the machine.
_DTYPES: dict[str, np.dtype] = {
    code: np.dtype(spec)
    for code, spec in zip(
        ["F64", "F32", "F16", "I64", "I32", "I16", "I8", "U64", "U32", "U16", "U8", "BOOL"],
        ["<f8", "<f4", "<f2", "<i8", "<i4", "<i2", "i1", "<u8", "<u4", "<u2", "u1", "?"],
    )
}
_CODES: dict[tuple[str, int], str] = {(dt.kind, dt.itemsize): c for c, dt in _DTYPES.items()}
SUPPORTED_DTYPES = ", ".join(str(dt.newbyteorder("=")) for dt in _DTYPES.values())
# Codes the format knows but NumPy cannot hold; they get a specific message instead of "unknown".
_NOT_IN_NUMPY = {"BF16", "F8_E4M3", "F8_E5M2"}
_METADATA = "__metadata__"
_ENTRY_KEYS = {"dtype", "shape", "data_offsets"}


def dtype_code(dtype: np.dtype | type | str) -> str | None:
    """Return the safetensors dtype code for a NumPy dtype, or ``None`` if it has none.

    Byte order does not matter: the writer converts to little-endian.

    >>> dtype_code(np.float32), dtype_code(">i8"), dtype_code(np.complex64)
    ('F32', 'I64', None)
    """
    dt = np.dtype(dtype)
    return _CODES.get((dt.kind, dt.itemsize))


def _describe(path: PathLike | None) -> str:
    return "safetensors data" if path is None else f"safetensors file {os.fspath(path)!r}"


def _error(source: str, message: str) -> SafetensorsError:
    return SafetensorsError(f"invalid {source}: {message}")


# --------------------------------------------------------------------------------- writing


def _prepare(
    tensors: Mapping[str, np.ndarray], metadata: Mapping[str, str] | None
) -> tuple[bytes, list[np.ndarray]]:
    """Check the inputs and build the length prefix + header, before anything is written."""
    if not isinstance(tensors, Mapping):
        raise TypeError(f"tensors must be a dict of name -> array, got {type(tensors).__name__}")
    header: dict[str, object] = {}
    if metadata is not None:
        if not isinstance(metadata, Mapping):
            raise TypeError(f"metadata must be a dict of str -> str, got {type(metadata).__name__}")
        for key, value in metadata.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise TypeError(
                    f"metadata must map str to str; got {key!r} -> {type(value).__name__}"
                )
        header[_METADATA] = dict(metadata)
    arrays: list[np.ndarray] = []
    offset = 0
    for name, array in tensors.items():
        if not isinstance(name, str):
            raise TypeError(f"tensor names must be str, got {name!r} ({type(name).__name__})")
        if name == _METADATA:
            raise ValueError(f"{_METADATA!r} is reserved and cannot be a tensor name")
        if isinstance(array, np.generic):
            array = np.asarray(array)
        if not isinstance(array, np.ndarray):
            raise TypeError(f"tensor {name!r}: expected numpy.ndarray, got {type(array).__name__}")
        code = dtype_code(array.dtype)
        if code is None:
            raise TypeError(
                f"tensor {name!r}: dtype {array.dtype} cannot be stored in safetensors; "
                f"supported: {SUPPORTED_DTYPES}"
            )
        # One conversion gives C order, little-endian and contiguity; it is a no-op (no copy)
        # for the common case of a C-contiguous native array on a little-endian machine.
        data = np.asarray(array, dtype=_DTYPES[code], order="C")
        header[name] = {
            "dtype": code,
            "shape": list(data.shape),
            "data_offsets": [offset, offset + data.nbytes],
        }
        offset += data.nbytes
        arrays.append(data)
    try:
        raw = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogates are fine in a str, not in UTF-8
        raise ValueError(f"tensor names and metadata must be valid UTF-8 text: {exc}") from None
    raw += b" " * (-len(raw) % 8)  # pad so the data buffer is 8-byte aligned, as the spec asks
    return len(raw).to_bytes(8, "little") + raw, arrays


def _raw(array: np.ndarray) -> np.ndarray:
    """A flat uint8 view of a C-contiguous array (0-d included), for zero-copy writes."""
    return array.reshape(-1).view(np.uint8)


def _write_payload(file: IO[bytes], header: bytes, arrays: list[np.ndarray]) -> None:
    file.write(header)
    for array in arrays:
        if array.nbytes:
            file.write(_raw(array))


def save_bytes(
    tensors: Mapping[str, np.ndarray], metadata: Mapping[str, str] | None = None
) -> bytes:
    """Serialize ``tensors`` (name -> array) and optional str metadata to safetensors bytes.

    >>> data = save_bytes({"w": np.ones((2, 2), np.float32)}, {"note": "hi"})
    >>> load_bytes(data)[1]
    {'note': 'hi'}
    """
    header, arrays = _prepare(tensors, metadata)
    return b"".join([header, *(_raw(a) for a in arrays)])


def save_file(
    tensors: Mapping[str, np.ndarray], path: PathLike, metadata: Mapping[str, str] | None = None
) -> None:
    """Write ``tensors`` (name -> array) to ``path`` in safetensors format, atomically.

    The data goes to a temporary file in the same directory, which is flushed, fsynced and
    then renamed over ``path``. If anything fails, the temporary file is removed and an
    existing file at ``path`` is left exactly as it was.

    >>> save_file({"bias": np.zeros(3)}, "model.safetensors")  # doctest: +SKIP
    """
    header, arrays = _prepare(tensors, metadata)  # all validation happens before touching disk
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    base = os.path.basename(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = os.path.join(directory, f".{base}.{secrets.token_hex(6)}.tmp")
        try:
            # Mode 0o666 lets the umask decide permissions, as a plain open() would; O_EXCL
            # guarantees we never clobber someone else's file.
            fd = os.open(tmp, flags, 0o666)
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(fd, "wb") as file:
            fd = -1  # now owned by `file`
            _write_payload(file, header, arrays)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)


def _fsync_directory(directory: str) -> None:
    # Makes the rename itself durable on POSIX; Windows cannot open directories, and a failure
    # here must not turn a successful save into an error.
    if os.name == "nt":
        return
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# --------------------------------------------------------------------------------- reading


class _Entry(NamedTuple):
    name: str
    dtype: np.dtype
    shape: tuple[int, ...]
    begin: int
    end: int


def _header_length(prefix: bytes, total: int, source: str) -> int:
    if total < 8:
        raise _error(source, f"too short ({total} bytes); a safetensors file has at least 8")
    length = int.from_bytes(prefix[:8], "little")
    if length > total - 8:
        raise _error(
            source,
            f"header length {length} is larger than the rest of the file ({total - 8} bytes); "
            "the file is truncated or not safetensors",
        )
    return length


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    # A repeated name would otherwise silently win over the first; treat it as corruption.
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise ValueError(f"duplicate key {key!r}")
        seen.add(key)
    return dict(pairs)


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not valid JSON")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _parse_header(raw: bytes, size: int, source: str) -> tuple[list[_Entry], dict[str, str]]:
    """Validate the JSON header against a data buffer of ``size`` bytes."""
    try:
        header = json.loads(
            raw.decode("utf-8"), object_pairs_hook=_no_duplicates, parse_constant=_reject_constant
        )
    except UnicodeDecodeError as exc:
        raise _error(source, f"header is not valid UTF-8 ({exc})") from None
    except (ValueError, RecursionError) as exc:
        raise _error(source, f"header is not valid JSON ({exc})") from None
    if not isinstance(header, dict):
        raise _error(source, f"header must be a JSON object, got {type(header).__name__}")
    metadata = header.pop(_METADATA, None)
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        raise _error(source, f"{_METADATA} must be an object, got {type(metadata).__name__}")
    for key, value in metadata.items():
        if not isinstance(value, str):
            raise _error(source, f"metadata value for {key!r} must be a string, not {value!r}")
    entries = [_parse_entry(name, info, size, source) for name, info in header.items()]
    # Tensors must tile the buffer exactly: sorted by offset, each starts where the last ended.
    position, previous = 0, None
    for entry in sorted(entries, key=lambda e: (e.begin, e.end)):
        if entry.begin < position:
            raise _error(source, f"tensor {entry.name!r} overlaps tensor {previous!r}")
        if entry.begin > position:
            raise _error(
                source, f"{entry.begin - position} unused bytes before tensor {entry.name!r}"
            )
        position, previous = entry.end, entry.name
    if position != size:
        raise _error(
            source, f"{size - position} trailing bytes after the last tensor (garbage at the end)"
        )
    return entries, metadata


def _parse_entry(name: str, info: object, size: int, source: str) -> _Entry:
    where = f"tensor {name!r}"
    if not isinstance(info, dict):
        raise _error(source, f"{where}: expected an object, got {type(info).__name__}")
    if set(info) != _ENTRY_KEYS:
        missing, extra = sorted(_ENTRY_KEYS - set(info)), sorted(set(info) - _ENTRY_KEYS)
        raise _error(source, f"{where}: missing keys {missing}, unexpected keys {extra}")
    code, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
    if isinstance(code, str) and code in _NOT_IN_NUMPY:
        raise _error(source, f"{where} has dtype {code}, which NumPy cannot represent")
    if not isinstance(code, str) or code not in _DTYPES:
        raise _error(source, f"{where}: unknown dtype {code!r}; supported: {', '.join(_DTYPES)}")
    if not isinstance(shape, list) or not all(_is_int(d) and d >= 0 for d in shape):
        raise _error(source, f"{where}: shape must be a list of non-negative ints, got {shape!r}")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(_is_int(o) for o in offsets)):
        raise _error(source, f"{where}: data_offsets must be [begin, end], got {offsets!r}")
    begin, end = offsets
    if not 0 <= begin <= end <= size:
        raise _error(
            source,
            f"{where}: data_offsets {offsets} out of range (the data buffer has {size} bytes)",
        )
    dtype = _DTYPES[code]
    expected = math.prod(shape) * dtype.itemsize
    if end - begin != expected:
        raise _error(
            source,
            f"{where}: shape {shape} with dtype {code} needs {expected} bytes, "
            f"but data_offsets {offsets} span {end - begin}",
        )
    return _Entry(name, dtype, tuple(shape), begin, end)


_KINDS = {
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


def _require_regular(mode: int, path: str) -> None:
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "Is a directory, not a safetensors file", path)
    kind = _KINDS.get(stat.S_IFMT(mode), "not a regular file")
    raise SafetensorsError(
        f"cannot read {path!r}: it is {kind}, not a regular file; safetensors files are read "
        "only from regular files (a pipe or device could block forever or never end)"
    )


def open_regular(path: PathLike) -> IO[bytes]:
    """Open ``path`` for binary reading if it is a regular file (symbolic links followed).

    A FIFO would block ``open`` until some writer appears, and a device such as /dev/zero
    never ends: both are refused with :class:`SafetensorsError` before anything is read. The
    check is made on the opened descriptor too (opened non-blocking, so that opening a FIFO
    returns at once), in case the path was replaced between the check and the open.
    """
    name = os.fspath(path)
    _require_regular(os.stat(name).st_mode, name)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(name, flags | getattr(os, "O_NOCTTY", 0))
    try:
        _require_regular(os.fstat(fd).st_mode, name)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _empty(entry: _Entry, source: str) -> np.ndarray:
    try:
        return np.empty(entry.shape, dtype=entry.dtype)
    except (ValueError, OverflowError) as exc:  # e.g. 70 dims or a zero-size absurd shape
        raise _error(
            source, f"tensor {entry.name!r}: unusable shape {list(entry.shape)} ({exc})"
        ) from None


def _finish(array: np.ndarray, entry: _Entry, source: str) -> np.ndarray:
    if array.dtype == np.bool_ and array.size and array.view(np.uint8).max() > 1:
        raise _error(source, f"BOOL tensor {entry.name!r} holds bytes other than 0 and 1")
    if not array.dtype.isnative:  # big-endian machines get native arrays
        array = array.astype(array.dtype.newbyteorder("="))
    return array


def load_bytes(
    data: bytes | bytearray | memoryview,
) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Parse safetensors bytes into ``(tensors, metadata)``; arrays are writable copies.

    >>> tensors, metadata = load_bytes(save_bytes({"x": np.arange(3)}))
    >>> tensors["x"], metadata
    (array([0, 1, 2]), {})
    """
    source = _describe(None)
    buffer = memoryview(data).cast("B")
    length = _header_length(bytes(buffer[:8]), len(buffer), source)
    start = 8 + length
    entries, metadata = _parse_header(bytes(buffer[8:start]), len(buffer) - start, source)
    tensors: dict[str, np.ndarray] = {}
    for entry in entries:
        array = _empty(entry, source)
        # Copy into a fresh array so the result owns its memory and outlives `data`.
        _raw(array)[:] = np.frombuffer(
            buffer, np.uint8, entry.end - entry.begin, start + entry.begin
        )
        tensors[entry.name] = _finish(array, entry, source)
    return tensors, metadata


def load_file(path: PathLike) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Read a safetensors file into ``(tensors, metadata)``; arrays are writable copies.

    Tensor bytes are read straight into freshly allocated arrays, so peak memory is about
    one copy of the model.

    >>> tensors, metadata = load_file("model.safetensors")  # doctest: +SKIP
    """
    source = _describe(path)
    with open_regular(path) as file:
        total = os.fstat(file.fileno()).st_size
        length = _header_length(file.read(8), total, source)
        raw = file.read(length)
        if len(raw) != length:
            raise _error(source, "file ended while reading the header (changed while reading?)")
        entries, metadata = _parse_header(raw, total - 8 - length, source)
        tensors: dict[str, np.ndarray] = {}
        # Offsets tile the buffer in sorted order, so reading in that order never seeks.
        for entry in sorted(entries, key=lambda e: e.begin):
            array = _empty(entry, source)
            view = memoryview(_raw(array))
            done = 0
            while done < len(view):
                count = file.readinto(view[done:])
                if not count:
                    raise _error(source, f"file ended while reading tensor {entry.name!r}")
                done += count
            tensors[entry.name] = _finish(array, entry, source)
    return {entry.name: tensors[entry.name] for entry in entries}, metadata
