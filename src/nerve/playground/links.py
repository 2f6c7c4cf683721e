"""A shared link's settings, read the way a learner expects: keep what is valid, mend the rest.

A teacher's link such as ``#dataset=spiral&hidden=8,8,8&optimizer=adam&noise=90`` should open
the spiral, the 8-8-8 network and Adam even though one value (noise 90, above the limit of 80)
is out of range. :func:`read_link` checks every key on its own: a number out of range is
clamped to the nearest allowed value, a list keeps its valid entries, anything else wrong is
dropped, and each change is named in a note that the page shows until the learner dismisses
it. Keys that are each valid but contradict each other (a regression data set with the
cross-entropy loss) are then applied one by one, the data keys first, and any key that breaks
the set-up is dropped with a note. The values come from the page's address bar, so they are
treated as hostile: only JSON values, each checked by the protocol's own rules.
"""

from __future__ import annotations

import math
from typing import Any

from .protocol import SETTINGS, ProtocolError, Spec, check_value, merge_settings

__all__ = ["read_link", "MAX_NOTES"]

MAX_NOTES = 12  # a link with many bad keys gets a bounded list, not a wall of text
# Applied first when keys contradict each other: what the rest of a set-up depends on.
_ORDER = ("problem", "dataset", "classes", "features", "hidden", "activation", "activations")


def _shown(value: Any) -> str:
    """A short, safe rendering of a value from the link for a note."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _clamp_number(name: str, value: Any, spec: Spec) -> tuple[Any, str] | None:
    """A number out of range, clamped (and rounded for integers), with a note; else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    # Python ints compare with floats exactly, however large (no float(), which overflows).
    fixed: Any = value
    if spec.kind == "int" and isinstance(value, float) and not value.is_integer():
        fixed = int(round(value))
    fixed = min(max(fixed, spec.lo), spec.hi)
    fixed = int(fixed) if spec.kind == "int" else float(fixed)
    if value > spec.hi:
        why = f"is above the largest allowed value {spec.hi:g}"
    elif value < spec.lo:
        why = f"is below the smallest allowed value {spec.lo:g}"
    else:
        why = "must be a whole number"
    return fixed, f"{name}={_shown(value)} {why}: used {fixed:g}"


def _mend_list(name: str, value: Any, spec: Spec) -> tuple[Any, str] | None:
    """A list with some bad entries: numbers clamped, unknown choices dropped, then cut."""
    if not isinstance(value, list):
        return None
    kept: list[Any] = []
    for item in value[: max(spec.max_len, 0) or len(value)]:
        if spec.kind == "ints":
            mended = _clamp_number(name, item, Spec("int", lo=spec.lo, hi=spec.hi))
            if isinstance(item, int) and not isinstance(item, bool) and spec.lo <= item <= spec.hi:
                kept.append(item)
            elif mended is not None:
                kept.append(mended[0])
        elif isinstance(item, str) and item in spec.choices and item not in kept:
            kept.append(item)
    if spec.kind == "choices" and not kept:
        return None
    cut = f", cut to {spec.max_len} entries" if len(value) > spec.max_len else ""
    shown = ",".join(str(v) for v in kept)
    return kept, f"{name}={_shown(value)} has values outside the limits{cut}: used {shown}"


def _check_one(name: str, value: Any) -> tuple[Any | None, str | None]:
    """The value to use for one key (None: drop it) and the note that says why, if any."""
    spec = SETTINGS[name]
    try:
        return check_value(name, value, spec), None
    except ProtocolError as err:
        reason = str(err)
    mended: tuple[Any, str] | None = None
    if spec.kind in ("int", "float"):
        mended = _clamp_number(name, value, spec)
    elif spec.kind in ("ints", "choices"):
        mended = _mend_list(name, value, spec)
    if mended is not None:
        try:
            return check_value(name, mended[0], spec), mended[1]
        except ProtocolError:
            pass
    return None, f"{reason[:160]}: ignored"


def read_link(
    current: dict[str, Any], raw: dict[str, Any], csv_problem: str | None = None
) -> tuple[dict[str, Any], list[str]]:
    """The settings patch a link asks for, every bad value mended or dropped, and the notes.

    Example:
        >>> from nerve.playground.protocol import default_settings
        >>> patch, notes = read_link(default_settings(), {"dataset": "spiral", "noise": 90})
        >>> patch
        {'dataset': 'spiral', 'noise': 80}
        >>> notes
        ['noise=90 is above the largest allowed value 80: used 80']
    """
    patch: dict[str, Any] = {}
    notes: list[str] = []
    for name, value in raw.items():
        if name not in SETTINGS:
            notes.append(f"unknown setting {_shown(name)}: ignored")
            continue
        fixed, note = _check_one(name, value)
        if note:
            notes.append(note)
        if fixed is not None:
            patch[name] = fixed
    try:
        merge_settings(current, patch, csv_problem)
    except ProtocolError:
        patch = _consistent_part(current, patch, csv_problem, notes)
    if len(notes) > MAX_NOTES:
        notes = [*notes[:MAX_NOTES], f"... and {len(notes) - MAX_NOTES} more"]
    return patch, notes


def _consistent_part(
    current: dict[str, Any], patch: dict[str, Any], csv_problem: str | None, notes: list[str]
) -> dict[str, Any]:
    """Keys added one at a time (the data first); a key that breaks the set-up is dropped."""
    order = [k for k in _ORDER if k in patch] + [k for k in patch if k not in _ORDER]
    kept: dict[str, Any] = {}
    for name in order:
        trial = {**kept, name: patch[name]}
        try:
            merge_settings(current, trial, csv_problem)
        except ProtocolError as err:
            notes.append(f"{name}={_shown(patch[name])} does not fit the rest ({err}): ignored")
            continue
        kept = trial
    return kept
