"""The checks behind :class:`~nerve.workflow.config.RunConfig`: parsing a command-line string
for a key's type, checking a value's type and bounds, and did-you-mean suggestions.

Every layer of a config (defaults, TOML file, options) goes through these, so the same mistake
gives the same message wherever it was made: the key, the bad value and what was expected.

Example:
    >>> parse("model.hidden", "64, 32", "list[int]", "options")
    [64, 32]
    >>> parse("model.hidden", "", "list[int]", "options")  # no hidden layer: a linear model
    []
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from typing import Any

from .cnnmodel import MAX_BLOCKS
from .errors import ConfigError
from .images import IMAGE_SETS

__all__ = ["ALIASES", "suggest", "parse", "check", "check_images"]

# Names users bring from other tools, mapped to this config's keys.
ALIASES = {
    "learning_rate": "lr",
    "layers": "hidden",
    "hidden_sizes": "hidden",
    "hidden_layers": "hidden",
    "activations": "activation",
    "scheduler": "name",
    "optimizer": "name",
    "patience": "early_stopping",
    "clip": "grad_clip",
    "max_norm": "grad_clip",
}


def suggest(word: str, options: Any) -> str:
    close = difflib.get_close_matches(str(word), [str(o) for o in options], n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def parse(key: str, text: str, kind: str, where: str) -> Any:
    """A command-line string as a value of ``kind`` (a field's annotation)."""
    text = text.strip()
    if "None" in kind and text.lower() in ("", "none"):
        return None
    base = kind.replace(" | None", "")
    try:
        if base == "int":
            return int(text)
        if base == "float":
            return float(text)
        if base == "bool":
            words = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
            return words[text.lower()]
        if base not in ("list[int]", "list[float]", "str | list[str]"):
            return text
        inner = text.strip("[]").strip()
        items = [s.strip() for s in inner.split(",")] if inner else []
        if "" in items[:-1]:
            # ",,," or "64,,32" is a typo, not a request for fewer layers (it silently trained
            # a linear model); one trailing comma ("64,") is harmless and allowed.
            raise ConfigError(
                f"{where}: {key} has an empty item in {text!r}; expected {_describe(base)}"
            )
        items = [s for s in items if s]
        if base == "list[int]":
            return [int(s) for s in items]
        if base == "list[float]":
            return [float(s) for s in items]
        if base == "str | list[str]":
            return items[0] if len(items) == 1 else [s.strip("'\"") for s in items]
    except ConfigError:
        raise
    except (ValueError, KeyError, IndexError):
        raise ConfigError(f"{where}: {key} must be {_describe(base)}, got {text!r}") from None
    return text


def _describe(kind: str) -> str:
    return {
        "int": "an integer",
        "float": "a number",
        "bool": "true or false",
        "str": "a string",
        "list[int]": "a list of integers such as 64,32",
        "list[float]": "a list of numbers",
        "str | list[str]": "a name or a list of names",
    }[kind]


def check(key: str, value: Any, f: dataclasses.Field, where: str) -> Any:
    """Check ``value`` against the field's type and metadata; returns it normalised."""
    kind = str(f.type)
    if value is None:
        if "None" in kind:
            return None
        raise ConfigError(f"{where}: {key} must be set")
    base = kind.replace(" | None", "")
    ok = {
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "bool": lambda v: isinstance(v, bool),
        "str": lambda v: isinstance(v, str),
    }
    if base.startswith("list[") or base == "str | list[str]":
        item = base.removeprefix("str | ").removeprefix("list[").removesuffix("]")
        if base != "str | list[str]" or not isinstance(value, str):
            if not isinstance(value, (list, tuple)) or not all(ok[item](v) for v in value):
                raise ConfigError(f"{where}: {key} must be {_describe(base)}, got {value!r}")
            return [_bounds(f"{key}[{i}]", v, f, where) for i, v in enumerate(value)]
    elif not ok[base](value):
        raise ConfigError(f"{where}: {key} must be {_describe(base)}, got {value!r}")
    return _bounds(key, float(value) if base == "float" else value, f, where)


def _shown(value: float) -> str:
    """An int as written (1000000000, not 1e+09), a float in its short form."""
    return str(value) if isinstance(value, int) else f"{value:g}"


def _bounds(key: str, value: Any, f: dataclasses.Field, where: str) -> Any:
    meta = f.metadata
    choices = meta["choices"]
    if choices is not None and value not in choices:
        raise ConfigError(
            f"{where}: {key} {value!r} is not valid; expected one of: {', '.join(choices)}"
            f"{suggest(value, choices)}"
        )
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        low, high, above = meta["low"], meta["high"], meta["above"]
        if not math.isfinite(value):
            raise ConfigError(f"{where}: {key} must be a finite number, got {value}")
        if low is not None and value < low:
            raise ConfigError(f"{where}: {key} must be >= {low:g}, got {_shown(value)}")
        if above is not None and value <= above:
            raise ConfigError(f"{where}: {key} must be > {above:g}, got {_shown(value)}")
        if high is not None and value > high:
            raise ConfigError(f"{where}: {key} must be <= {high:g}, got {_shown(value)}")
    return value


def check_images(cfg: Any, kind: str, where: str) -> None:
    """The image keys: a CNN needs images, augmentation a CNN, sizes one per block."""
    m, d = cfg.model, cfg.data
    images = kind == "images" or (d.source == "digits" and m.type == "cnn")
    if m.type == "cnn" and not images:
        raise ConfigError(
            f"{where}: model.type 'cnn' needs images: data.source digits, "
            f"{', '.join(IMAGE_SETS)}, an image folder or a folder of MNIST IDX files, "
            f"not {d.source!r}"
        )
    augment = [d.augment] if isinstance(d.augment, str) else list(d.augment)
    if [a for a in augment if a != "none"] and m.type != "cnn":
        raise ConfigError(f"{where}: data.augment needs model.type = 'cnn' (--model cnn)")
    if (d.image_size or d.color != "auto") and kind != "images":
        key = "data.image_size" if d.image_size else "data.color"
        raise ConfigError(f"{where}: {key} applies to image folders, not to {d.source!r}")
    if len(d.image_size) > 2:
        raise ConfigError(f"{where}: data.image_size must be H,W or one size, got {d.image_size}")
    if m.type != "cnn":
        return
    if isinstance(m.activation, list) and len(set(m.activation)) > 1:
        raise ConfigError(f"{where}: model.activation: a CNN takes one activation name")
    if not 1 <= len(m.channels) <= MAX_BLOCKS:
        raise ConfigError(
            f"{where}: model.channels lists {len(m.channels)} conv blocks; 1 to {MAX_BLOCKS}"
        )
    for key in ("kernel", "stride", "pool"):
        values = getattr(m, key)
        if len(values) not in (1, len(m.channels)):
            raise ConfigError(
                f"{where}: model.{key} lists {len(values)} values for {len(m.channels)} conv "
                f"blocks; give one, or one per block"
            )
