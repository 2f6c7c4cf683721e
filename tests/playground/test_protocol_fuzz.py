"""Fuzzing the protocol's parser and checks: whatever arrives, a Command or a ProtocolError.

Nothing a page sends may escape :func:`parse_message` as another exception (which would end the
session): not arbitrary text or bytes, not JSON of any shape, not well-formed messages whose
fields hold values of the wrong kind (NaN, huge numbers, lone surrogates, nested containers).
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from nerve.playground.links import MAX_NOTES, read_link
from nerve.playground.protocol import (
    MESSAGES,
    SETTINGS,
    Command,
    ProtocolError,
    check_settings,
    default_settings,
    merge_settings,
    parse_message,
)

# Text with everything JSON can carry, lone surrogates included (from \ud800 escapes).
TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=20)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | TEXT
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)
# Field names a message may have, a few it may not, and any text.
NAMES = st.sampled_from(sorted({f for fields in MESSAGES.values() for f in fields})) | TEXT
SETTING_PATCHES = st.dictionaries(st.sampled_from(sorted(SETTINGS)) | TEXT, VALUES, max_size=4)


@st.composite
def messages(draw: Any) -> dict[str, Any]:
    kind = draw(st.sampled_from(sorted(MESSAGES)) | TEXT | VALUES)
    message: dict[str, Any] = {"type": kind}
    if kind == "set" and draw(st.booleans()):
        message["settings"] = draw(SETTING_PATCHES)
    message.update(draw(st.dictionaries(NAMES, VALUES, max_size=4)))
    return message


def _parsed(raw: str | bytes) -> Command | None:
    try:
        command = parse_message(raw)
    except ProtocolError as err:
        assert str(err)  # a message for the learner, never empty
        return None
    assert isinstance(command, Command) and command.type in MESSAGES
    _encodable(command.args)
    return command


def _encodable(value: Any) -> None:
    """Every text a command carries can be written as UTF-8 (CSV parsing, file names, logs)."""
    if isinstance(value, str):
        value.encode("utf-8")
    elif isinstance(value, dict):
        for key, item in value.items():
            _encodable(key)
            _encodable(item)
    elif isinstance(value, list):
        for item in value:
            _encodable(item)


@given(messages())
def test_any_message_is_a_command_or_a_protocol_error(message: dict[str, Any]) -> None:
    command = _parsed(json.dumps(message))  # NaN and Infinity as Python writes them
    if command is None:
        return
    assert set(command.args) == set(MESSAGES[command.type])
    if command.type == "set":
        try:
            merged = merge_settings(default_settings(), command.args["settings"])
        except ProtocolError:
            return
        assert set(merged) == set(SETTINGS)


@given(st.text(st.characters(codec=None, exclude_categories=()), max_size=200) | st.binary())
def test_any_text_or_bytes_is_a_command_or_a_protocol_error(raw: str | bytes) -> None:
    _parsed(raw)


@given(st.integers(min_value=1, max_value=3000), st.sampled_from("[{"))
def test_nesting_of_any_depth_is_a_protocol_error(depth: int, bracket: str) -> None:
    inner = "[]" if bracket == "[" else '{"a": 1}'
    opening = bracket if bracket == "[" else '{"a": '
    closing = "]" if bracket == "[" else "}"
    _parsed('{"type": "set", "settings": ' + opening * depth + inner + closing * depth + "}")


LINK_VALUES = VALUES | st.integers(min_value=-(10**400), max_value=10**400)


@given(st.dictionaries(st.sampled_from(sorted(SETTINGS)) | TEXT, LINK_VALUES, max_size=6))
def test_a_link_of_any_values_gives_a_patch_that_applies(raw: dict[str, Any]) -> None:
    # A shared link is read leniently: whatever it holds, read_link mends or drops it, names
    # each change, and what it keeps is a patch the session accepts as it is.
    patch, notes = read_link(default_settings(), raw)
    merge_settings(default_settings(), check_settings(patch))
    assert set(patch) <= set(raw) and all(isinstance(n, str) and n for n in notes)
    assert len(notes) <= MAX_NOTES + 1
