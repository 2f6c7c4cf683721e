"""The config loader under hostile input (issue 10, item 3 and the config/TOML fuzz tests).

Whatever the file or option holds, the result is a valid RunConfig or one ConfigError line
naming the key -- never another exception, never a config that asks for unbounded memory.
"""

from __future__ import annotations

import dataclasses
import os
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nerve.workflow import ConfigError, RunConfig, load_config
from nerve.workflow.config import _SECTIONS, MAX_CONFIG_BYTES
from nerve.workflow.model import MAX_LAYERS, MAX_PARAMETERS, MAX_UNITS, ModelSpec

KEYS = [f"{s}.{f.name}" for s, cls in _SECTIONS.items() for f in dataclasses.fields(cls)]


@pytest.mark.parametrize("text", [",,,", ",", "64,,32", "[,]", " , "])
def test_hidden_with_empty_items_is_refused(text) -> None:
    with pytest.raises(ConfigError, match="model.hidden has an empty item"):
        RunConfig().override({"model.hidden": text})


def test_hidden_lists_that_are_fine() -> None:
    assert RunConfig().override({"model.hidden": ""}).model.hidden == []  # a linear model
    assert RunConfig().override({"model.hidden": "[]"}).model.hidden == []
    assert RunConfig().override({"model.hidden": "64,"}).model.hidden == [64]
    assert RunConfig().override({"model.hidden": "64, 32"}).model.hidden == [64, 32]


@pytest.mark.parametrize(
    "text, pattern",
    [
        ("1000000000", r"model.hidden\[0\] must be <= 65536, got 1000000000"),
        ("100000000000", r"must be <= 65536"),
        ("1e11", "must be a list of integers"),
        ("60000,60000", "needs 3,600,000,000 weights"),
        (",".join(["4"] * (MAX_LAYERS + 1)), f"at most {MAX_LAYERS}"),
    ],
)
def test_hidden_upper_bounds(text, pattern) -> None:
    with pytest.raises(ConfigError, match=pattern):
        RunConfig().override({"model.hidden": text})


def test_largest_allowed_hidden_still_builds_a_spec() -> None:
    biggest = RunConfig().override({"model.hidden": f"{MAX_UNITS}"}).model.hidden
    assert ModelSpec(64, biggest, output_size=10).n_parameters() < MAX_PARAMETERS


def test_config_path_that_is_not_a_file(tmp_path) -> None:
    with pytest.raises(ConfigError, match="is a directory; expected a TOML file"):
        load_config(tmp_path)
    with pytest.raises(ConfigError, match="is not a regular file"):
        load_config(os.devnull)
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match="is not a regular file"):
        load_config(fifo)  # never opened: reading a FIFO with no writer would block
    with pytest.raises(FileNotFoundError, match="config file not found"):
        load_config(tmp_path / "missing.toml")


def test_config_too_large_or_too_deep(tmp_path) -> None:
    big = tmp_path / "big.toml"
    big.write_text("# x\n" * (MAX_CONFIG_BYTES // 4 + 1))
    with pytest.raises(ConfigError, match="larger than 1024 KiB"):
        load_config(big)
    deep = tmp_path / "deep.toml"
    deep.write_text("a = " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(ConfigError, match="deep.toml: invalid TOML"):
        load_config(deep)


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=st.dictionaries(st.sampled_from(KEYS), _VALUES, max_size=4))
def test_fuzz_override_with_any_values(values) -> None:
    """Values as a parsed TOML file delivers them: any type, any size."""
    try:
        cfg = RunConfig().override(values, parse_strings=False)
    except ConfigError as err:
        assert "\n" not in str(err)
        return
    assert len(cfg.model.hidden) <= MAX_LAYERS and all(h <= MAX_UNITS for h in cfg.model.hidden)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=st.sampled_from(KEYS), text=st.text(max_size=20))
def test_fuzz_option_strings(key, text) -> None:
    """Strings as the command line delivers them (--set KEY=VALUE)."""
    try:
        RunConfig().override({key: text})
    except ConfigError as err:
        assert "\n" not in str(err)


_TOML_CHARS = string.ascii_lowercase[:8] + string.digits + "[]{}=.,\"' \n#-+_:"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.one_of(
        st.text(alphabet=_TOML_CHARS, max_size=80),
        st.builds(
            lambda table, key, value: f"[{table}]\n{key} = {value}\n",
            st.sampled_from([*_SECTIONS, "x", "model.inner"]),
            st.sampled_from(["hidden", "lr", "source", "epochs", "a.b", "activation"]),
            st.sampled_from(
                [
                    "[1,2]",
                    '"xor"',
                    "1e400",
                    "-1",
                    "nan",
                    "inf",
                    "[[1]]",
                    "{a=1}",
                    "true",
                    "99999999",
                ]
            ),
        ),
    )
)
def test_fuzz_toml_files(tmp_path_factory, body) -> None:
    path = tmp_path_factory.mktemp("cfg") / "run.toml"
    path.write_text(body, encoding="utf-8")
    try:
        load_config(path)
    except ConfigError as err:
        assert str(err).startswith("run.toml") and "\n" not in str(err).strip()
