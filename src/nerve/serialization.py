"""``nerve.save`` / ``nerve.load``: state dicts in the safetensors format, never pickle.

Tensors are stored as safetensors tensors (named by their dotted path, so other safetensors
tools read them); everything else in the nested dicts, lists and plain values is described in
the file's JSON metadata. Loading never executes anything from the file, and saving is atomic:
an existing file is replaced only once the new one is completely written.
"""

from __future__ import annotations

import os
from typing import IO, Any

import numpy as np

from .io.safetensors import SafetensorsError, open_regular
from .io.tree import dumps_tree, load_tree, loads_tree, save_tree
from .tensor import Tensor


def _to_array(value: object) -> np.ndarray | None:
    return value.__array__() if isinstance(value, Tensor) else None


def _from_array(array: np.ndarray) -> Tensor:
    return Tensor._make(array)


def save(obj: Any, f: str | os.PathLike[str] | IO[bytes], **kwargs: Any) -> None:
    """Save a state dict (nested dicts/lists of tensors and plain values) to ``f``.

    Example:
        >>> import nerve, tempfile, os
        >>> model = nerve.nn.Linear(2, 1)
        >>> path = os.path.join(tempfile.mkdtemp(), "model.safetensors")
        >>> nerve.save(model.state_dict(), path)
        >>> _ = model.load_state_dict(nerve.load(path))
    """
    if callable(getattr(obj, "state_dict", None)):  # a Module or an Optimizer itself
        raise TypeError(
            f"nerve.save cannot save a {type(obj).__name__} object itself (nerve never pickles "
            "code); save its state instead: nerve.save(obj.state_dict(), path), and restore "
            "it with obj.load_state_dict(nerve.load(path))"
        )
    if hasattr(f, "write"):
        f.write(dumps_tree(obj, to_array=_to_array))  # type: ignore[union-attr]
        return
    save_tree(obj, os.fspath(f), to_array=_to_array)  # type: ignore[arg-type]


def load(
    f: str | os.PathLike[str] | IO[bytes],
    map_location: Any = None,
    weights_only: bool | None = None,
    **kwargs: Any,
) -> Any:
    """Load what :func:`save` wrote (or any safetensors file) with tensors as nerve Tensors.

    ``map_location`` may name a device (``"cpu"``, ``"cuda"``) to put the tensors on.
    ``weights_only`` is accepted for torch compatibility: nerve files never hold code.
    A path must name a regular file: a FIFO, a device or a socket is refused with a
    ``SafetensorsError`` (a ``ValueError``) before anything is read, a directory with
    ``IsADirectoryError``; any malformed contents give a ``SafetensorsError`` too.

    Example:
        >>> import nerve
        >>> import io
        >>> buffer = io.BytesIO()
        >>> nerve.save({"w": nerve.tensor([1.0, 2.0]), "epoch": 3}, buffer)
        >>> _ = buffer.seek(0)
        >>> nerve.load(buffer)
        {'w': tensor([1., 2.]), 'epoch': 3}
    """
    if hasattr(f, "read"):
        data = f.read()  # type: ignore[union-attr]
        try:
            obj = loads_tree(data, from_array=_from_array)
        except SafetensorsError as error:
            raise _explain(error, data[:4], "the file-like object") from None
    else:
        path = os.fspath(f)  # type: ignore[arg-type]
        if not os.path.exists(path):
            raise FileNotFoundError(f"nerve.load: no such file: '{path}'")
        try:
            obj = load_tree(path, from_array=_from_array)
        except SafetensorsError as error:
            try:
                with open_regular(path) as file:
                    head = file.read(4)
            except (OSError, SafetensorsError):  # replaced or removed since: the first error
                head = b""
            raise _explain(error, head, f"'{path}'") from None
    if (
        map_location is not None
        and not callable(map_location)
        and not isinstance(map_location, dict)
    ):
        obj = _move(obj, map_location)
    return obj


def _explain(error: SafetensorsError, head: bytes, source: str) -> SafetensorsError:
    """A clearer message than "invalid header" for the formats people try most often."""
    if head.startswith(b"PK\x03\x04"):
        kind = "a zip archive (the format of torch.save)"
    elif head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        kind = "a Python pickle"
    else:
        return error
    return SafetensorsError(
        f"nerve.load: {source} is {kind}, not a safetensors file. nerve.load reads only "
        "safetensors files (what nerve.save writes) and never unpickles; from PyTorch, save "
        "with safetensors.torch.save_file(model.state_dict(), path)"
    )


def _move(obj: Any, device: Any) -> Any:
    if isinstance(obj, Tensor):
        return obj.to(device)
    if isinstance(obj, dict):
        return {k: _move(v, device) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_move(v, device) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_move(v, device) for v in obj)
    return obj
