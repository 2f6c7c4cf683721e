"""How the server's messages travel: JSON text, or one binary WebSocket frame when they carry bytes.

A frame of the playground is mostly pictures: the decision surface (100x100 cells), one 25x25
heatmap per neuron and the hidden-space view, each quantised to bytes (``uint8`` colours,
``uint16`` coordinates). Base64 in JSON would add a third to them; instead, a message that
holds ``bytes`` values is sent as one binary frame::

    uint32 little-endian N | N bytes of UTF-8 JSON | payload

where each ``bytes`` value of the message is replaced in the JSON by
``{"$bytes": [offset, length]}`` into the payload. The page (``static/js/app.js``) decodes it
into ``Uint8Array`` views without copying; :func:`decode` does the same in Python for tests
and scripts. Messages without bytes stay JSON text, as before. Non-finite floats (not JSON)
would be a bug; they become null with a log line rather than a broken page.
"""

from __future__ import annotations

import json
import logging
import math
import struct
from typing import Any

__all__ = ["encode", "decode", "BYTES_KEY"]

BYTES_KEY = "$bytes"
log = logging.getLogger("nerve.playground")


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _dumps(message: Any) -> str:
    try:
        return json.dumps(message, allow_nan=False, separators=(",", ":"))
    except ValueError:
        kind = message.get("type") if isinstance(message, dict) else None
        log.warning("non-finite number in a %r message", kind)
        return json.dumps(_finite(message), separators=(",", ":"))


def _extract(value: Any, chunks: list[bytes], size: list[int]) -> Any:
    """The value with every bytes object replaced by a reference into ``chunks``."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        ref = {BYTES_KEY: [size[0], len(raw)]}
        chunks.append(raw)
        size[0] += len(raw)
        return ref
    if isinstance(value, dict):
        return {k: _extract(v, chunks, size) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_extract(v, chunks, size) for v in value]
    return value


def encode(message: dict[str, Any]) -> str | bytes:
    """JSON text, or a binary frame (header length, JSON, payload) if it holds bytes.

    Example:
        >>> encode({"type": "pause"})
        '{"type":"pause"}'
        >>> decode(encode({"type": "frame", "map": b"\\x00\\xff"}))
        {'type': 'frame', 'map': b'\\x00\\xff'}
    """
    chunks: list[bytes] = []
    header = _extract(message, chunks, [0])
    text = _dumps(header)
    if not chunks:
        return text
    head = text.encode("utf-8")
    return b"".join([struct.pack("<I", len(head)), head, *chunks])


def _restore(value: Any, payload: bytes) -> Any:
    if isinstance(value, dict):
        ref = value.get(BYTES_KEY)
        if len(value) == 1 and isinstance(ref, list) and len(ref) == 2:
            start, length = int(ref[0]), int(ref[1])
            if start < 0 or length < 0 or start + length > len(payload):
                raise ValueError(f"a bytes reference {ref} points outside the payload")
            return payload[start : start + length]
        return {k: _restore(v, payload) for k, v in value.items()}
    if isinstance(value, list):
        return [_restore(v, payload) for v in value]
    return value


def decode(data: str | bytes) -> dict[str, Any]:
    """A message as :func:`encode` wrote it (text or binary frame), with its bytes restored."""
    if isinstance(data, str):
        return json.loads(data)
    if len(data) < 4:
        raise ValueError(f"a binary message needs a 4-byte header length, got {len(data)} bytes")
    (n,) = struct.unpack_from("<I", data)
    if 4 + n > len(data):
        raise ValueError(f"the header claims {n} bytes of JSON; the message has {len(data) - 4}")
    header = json.loads(data[4 : 4 + n].decode("utf-8"))
    return _restore(header, bytes(data[4 + n :]))
