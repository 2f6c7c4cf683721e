"""Reading TOML (the standard library's ``tomllib``) and writing the small subset a run config
needs: tables of strings, integers, floats, booleans and flat lists of those.

Reading uses ``tomllib`` (Python 3.11+) or its back-port ``tomli`` on Python 3.10. Writing is
done here, about fifty lines, rather than with another dependency; what it writes is read back
by ``tomllib`` to the same values (the tests check the round trip).
"""

from __future__ import annotations

import math
import sys
from typing import Any

__all__ = ["TOMLDecodeError", "loads", "dumps"]

if sys.version_info >= (3, 11):
    import tomllib as _toml
else:  # pragma: no cover - exercised on Python 3.10 only
    try:
        import tomli as _toml
    except ImportError as err:
        raise ImportError(
            "reading TOML on Python 3.10 needs tomli; install it with: pip install nerve[workflow]"
        ) from err

TOMLDecodeError = _toml.TOMLDecodeError


def loads(text: str) -> dict[str, Any]:
    """Parse TOML text into nested dicts (raises ``TOMLDecodeError`` with a line number).

    Example:
        >>> loads('[optimizer]\\nlr = 0.1\\n')
        {'optimizer': {'lr': 0.1}}
    """
    return _toml.loads(text)


def dumps(tables: dict[str, dict[str, Any]], header: str = "") -> str:
    """Write ``{table: {key: value}}`` as TOML; ``None`` values are left out (TOML has no null).

    ``header`` becomes leading ``#`` comment lines.

    Example:
        >>> print(dumps({"model": {"hidden": [64, 32], "activation": "relu", "batch_norm": False}}))
        [model]
        hidden = [64, 32]
        activation = "relu"
        batch_norm = false
        <BLANKLINE>
    """
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    for name, table in tables.items():
        if lines:
            lines.append("")
        lines.append(f"[{_key(name)}]")
        for key, value in table.items():
            if value is not None:
                lines.append(f"{_key(key)} = {_value(value, f'{name}.{key}')}")
    return "\n".join(lines) + "\n"


def _key(key: str) -> str:
    # Bare keys are letters, digits, '_' and '-'; anything else must be quoted.
    if key and all(c.isascii() and (c.isalnum() or c in "_-") for c in key):
        return key
    return _string(key)


def _value(value: Any, where: str) -> str:
    if isinstance(value, bool):  # before int: bool is an int subclass
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)  # shortest repr that reads back to the same float, e.g. 0.001, 1e-08
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v, where) for v in value) + "]"
    raise TypeError(f"cannot write {where} = {value!r} as TOML ({type(value).__name__})")


def _string(s: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    out = []
    for c in s:
        if c == '"':
            out.append('\\"')
        elif c == "\\":
            out.append("\\\\")
        elif c in "\b\t\n\f\r":
            out.append({"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}[c])
        elif ord(c) < 0x20 or ord(c) == 0x7F:
            out.append(f"\\u{ord(c):04X}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'
