"""Exported scripts are safe whatever the learner (or an attacker) typed or uploaded.

The file name of an uploaded CSV, the CSV's header and labels reach the export; none of it may
become code. The checks: the script parses, and its code tokens (everything that is not a
string literal or a comment) are exactly those of a script made from a harmless name, so that
user text can only ever sit inside a literal or a comment.
"""

from __future__ import annotations

import ast
import io
import json
import tokenize

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nerve.playground.export import export_message, script_source
from nerve.playground.protocol import Command, parse_message
from nerve.playground.session import Session

NAMES = [
    'x"""; __import__("os").system("touch /tmp/pwned"); """.csv',
    "x'''; __import__('os').system('id'); '''.csv",
    'a\\"""\nimport os; os.system("id")\n""".csv',
    "trailing backslash \\",
    'ends with a quote"',
    "line\nbreak\rcarriage\x00nul\u2028sep.csv",
    "{__import__('os').system('id')}.csv",
    "$module $title ${data}.csv",
    "# not a comment\n)]}.csv",
]


def _csv(header: str = "a,b,label", labels: tuple[str, str] = ("no", "yes")) -> str:
    rows = [header]
    for i in range(12):
        rows.append(f"{i * 0.1:.2f},{(i % 3) * 0.2:.2f},{labels[i % 2]}")
    return "\n".join(rows) + "\n"


def _uploaded(name: str, text: str | None = None) -> Session:
    session = Session()
    session.handle(parse_message_of("upload_csv", text=text or _csv(), name=name))
    return session


def parse_message_of(kind: str, **fields: object) -> Command:
    return parse_message(json.dumps({"type": kind, **fields}))


def code_tokens(source: str) -> list[tuple[int, str]]:
    """Every token that is code: not a string literal, a comment or layout."""
    skip = {tokenize.STRING, tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE}
    skip |= {tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING, tokenize.ENDMARKER}
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return [(t.type, t.string) for t in tokens if t.type not in skip]


@pytest.fixture(scope="module")
def reference() -> dict[str, list[tuple[int, str]]]:
    session = _uploaded("plain.csv")
    return {flavour: code_tokens(script_source(session, flavour)) for flavour in ("nerve", "torch")}


@pytest.mark.parametrize("name", NAMES)
def test_a_crafted_file_name_stays_text(name: str, reference: dict) -> None:
    session = _uploaded(name)
    for flavour in ("nerve", "torch"):
        source = script_source(session, flavour)
        ast.parse(source)
        assert code_tokens(source) == reference[flavour], name
    filename = export_message(session, "nerve")["filename"]
    assert filename.endswith("_nerve.py")
    assert all(c.isalnum() or c in "._-" for c in filename), filename


def test_crafted_header_and_labels_stay_text(reference: dict) -> None:
    text = _csv(header='a"""x,b\\x,lab)el#', labels=('x"""; import os #', "y'''\\"))
    session = _uploaded("plain.csv", text)
    source = script_source(session, "nerve")
    ast.parse(source)
    assert code_tokens(source) == reference["nerve"]


@given(name=st.text(max_size=60))
def test_any_file_name_gives_a_script_that_parses(name: str) -> None:
    session = _FUZZ_SESSION
    session.csv_data.name = name  # what parse_csv keeps of the name, and more
    session.points.name = name
    for flavour in ("nerve", "torch"):
        source = script_source(session, flavour)
        ast.parse(source)
        assert code_tokens(source) == _FUZZ_REFERENCE[flavour]
    filename = export_message(session, "torch")["filename"]
    assert all(c.isalnum() or c in "._-" for c in filename), filename


_FUZZ_SESSION = _uploaded("plain.csv")
_FUZZ_REFERENCE = {f: code_tokens(script_source(_FUZZ_SESSION, f)) for f in ("nerve", "torch")}
