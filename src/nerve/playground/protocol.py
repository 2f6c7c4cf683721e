"""The playground's message protocol: what the page may send, checked before anything changes.

Every message from the page is one JSON object with a ``"type"``. :func:`parse_message` checks
the JSON, the type, the field names and each value's type, range and allowed choices, and
returns a :class:`Command`; anything wrong raises :class:`ProtocolError`, whose text goes back to
the page as ``{"type": "error", "message": ...}``. Because the whole message is checked before
the session is touched, a bad message changes nothing.

The set-up of a session (data, network, training) is one flat dict of *settings*, described
field by field in :data:`SETTINGS`; :func:`merge_settings` checks a partial update against the
current settings and the rules that tie fields together (a regression data set needs the
squared-error loss, batch normalisation needs batches of two or more ...).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ProtocolError",
    "Command",
    "LIMITS",
    "SETTINGS",
    "CLASSIFICATION_SETS",
    "REGRESSION_SETS",
    "FEATURES",
    "LOSS_ADVICE",
    "loss_advice",
    "default_settings",
    "settings_spec",
    "merge_settings",
    "parse_message",
]

# Hard limits: they keep one page (or a script pretending to be one) from using the server's
# memory and CPU without bound. The page shows them; the server enforces them.
LIMITS: dict[str, int] = {
    # 10 layers of 32 neurons: a frame of the widest network still draws in about 0.1 s.
    "hidden_layers": 10,
    "neurons": 32,
    "points": 2000,
    "upload_rows": 1000,
    "upload_bytes": 256 * 1024,
    "sessions": 8,
    # A 256 KB CSV can double in size when JSON escapes its quotes, hence a little over 512 KB.
    "message_bytes": 600 * 1024,
    "classes": 8,
}

CLASSIFICATION_SETS = ("circle", "xor", "gaussian", "spiral", "moons", "blobs")
REGRESSION_SETS = ("plane", "multi-gaussian", "sine")
# "csv" is the uploaded data set: it can be selected only once a CSV was uploaded.
DATASETS = (*CLASSIFICATION_SETS, *REGRESSION_SETS, "csv")
FEATURES = ("x1", "x2", "x1sq", "x2sq", "x1x2", "sin_x1", "sin_x2")
ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear", "leaky_relu", "elu", "gelu", "silu")
LOSS_ADVICE = (
    "CE with softmax/sigmoid has better-behaved gradients for classification; MSE suits regression"
)
# In regression the choice is made: the advice says why, not what to pick.
REGRESSION_LOSS_ADVICE = (
    "MSE, the mean squared error, for a real-valued target (cross entropy needs classes)"
)


def loss_advice(task: str) -> str:
    """The lecture's advice on the loss, for a data set's ``task``.

    Example:
        >>> loss_advice("regression").startswith("MSE")
        True
    """
    return REGRESSION_LOSS_ADVICE if task == "regression" else LOSS_ADVICE


class ProtocolError(ValueError):
    """A message from the page that cannot be applied; its text is shown to the learner."""


@dataclass(frozen=True)
class Spec:
    """How one value is checked: its kind, range or choices, and its default."""

    kind: str  # "int", "float", "bool", "choice", "ints", "choices", "str", "pair"
    default: Any = None
    lo: float = -math.inf
    hi: float = math.inf
    choices: tuple[str, ...] = ()
    max_len: int = 0
    optional: bool = False
    raw: bool = False  # an object passed on unchecked (a link's settings: see links.py)


# Every setting of a session. Percentages are whole numbers, as on the page's sliders.
SETTINGS: dict[str, Spec] = {
    # data
    "problem": Spec("choice", "classification", choices=("classification", "regression")),
    "dataset": Spec("choice", "xor", choices=DATASETS),
    "classes": Spec("int", 0, 0, 5),  # 0: the data set's own default (spiral 2, blobs 3)
    "noise": Spec("int", 0, 0, 80),  # up to 80 %, as TensorFlow Playground's links
    "n_points": Spec("int", 400, 20, LIMITS["points"]),
    "train_ratio": Spec("int", 50, 10, 90),
    "val_ratio": Spec("int", 0, 0, 50),  # % of the training part held out for validation
    "seed": Spec("int", 1, 0, 2**31 - 1),
    "imbalance": Spec("int", 100, 5, 100),  # % of each minority class kept
    "class_weights": Spec("bool", False),
    "normalize": Spec("bool", False),
    # network
    "features": Spec("choices", ["x1", "x2"], choices=FEATURES, max_len=len(FEATURES)),
    "hidden": Spec("ints", [4, 4], 1, LIMITS["neurons"], max_len=LIMITS["hidden_layers"]),
    "activation": Spec("choice", "tanh", choices=ACTIVATIONS),
    "activations": Spec(
        "choices",
        ["tanh", "tanh"],
        choices=ACTIVATIONS,
        max_len=LIMITS["hidden_layers"],
    ),
    "init": Spec("choice", "default", choices=("default", "xavier", "he")),
    "init_seed": Spec("int", 0, 0, 2**31 - 1),
    "batch_norm": Spec("bool", False),
    "dropout": Spec("float", 0.0, 0.0, 0.9),
    "loss": Spec("choice", "cross_entropy", choices=("cross_entropy", "mse")),
    # training
    "optimizer": Spec("choice", "sgd", choices=("sgd", "momentum", "adam")),
    "lr": Spec("float", 0.1, 1e-5, 10.0),
    "batch_size": Spec("int", 10, 1, 30),
    "regularization": Spec("choice", "none", choices=("none", "l1", "l2")),
    "reg_rate": Spec("float", 0.001, 0.0, 10.0),
    "weight_decay": Spec("float", 0.0, 0.0, 1.0),
    "schedule": Spec("choice", "none", choices=("none", "step", "cosine")),
    "schedule_epochs": Spec("int", 100, 1, 100_000),
    "early_stopping": Spec("bool", False),
    "patience": Spec("int", 20, 1, 10_000),
    "max_epochs": Spec("int", 0, 0, 1_000_000),  # 0: no limit
    "speed": Spec("int", 0, 0, 100),  # epochs per second; 0: as fast as possible
    # views (the server computes them; the page only draws)
    "view_layer": Spec("int", 0, 0, LIMITS["hidden_layers"]),  # 0: the last hidden layer
    "view": Spec("choice", "auto", choices=("auto", "neurons", "pca")),
    "view_neurons": Spec("pair", [0, 1], 0, LIMITS["neurons"] - 1),
    "discretize": Spec("bool", False),
    "show_test": Spec("bool", False),
}

_NUMBER = {"kind": "float", "lo": -1e6, "hi": 1e6}
_COORD = Spec("float", lo=-1e6, hi=1e6)
_LAYER = Spec("int", lo=0, hi=LIMITS["hidden_layers"] + 1)
_UNIT = Spec("int", lo=0, hi=max(LIMITS["neurons"], LIMITS["classes"], len(FEATURES)) - 1)
_HIDDEN = Spec("int", lo=0, hi=LIMITS["hidden_layers"] - 1)
_DELTA = Spec("int", lo=-LIMITS["neurons"], hi=LIMITS["neurons"])

# The fields of each message type (all required unless marked optional).
MESSAGES: dict[str, dict[str, Spec]] = {
    "set": {"settings": Spec("object")},
    "play": {},
    "pause": {},
    "step": {},
    "reset": {"keep_weights": Spec("bool", False, optional=True)},
    "regenerate": {},
    "add_point": {"x": _COORD, "y": _COORD, "label": Spec(**_NUMBER)},
    "remove_point": {"x": _COORD, "y": _COORD},
    "upload_csv": {
        "text": Spec("str", max_len=LIMITS["upload_bytes"]),
        "name": Spec("str", "upload.csv", max_len=200, optional=True),
    },
    "set_weight": {"layer": _LAYER, "row": _UNIT, "col": _UNIT, "value": Spec(**_NUMBER)},
    "set_bias": {"layer": _LAYER, "neuron": _UNIT, "value": Spec(**_NUMBER)},
    "explain": {"layer": _LAYER, "neuron": _UNIT, "x": _COORD, "y": _COORD},
    # Relative changes, applied in the order they arrive: ten quick clicks are ten steps even
    # when the page has not yet heard back about the first.
    "add_neurons": {"layer": _HIDDEN, "delta": _DELTA},
    "add_layers": {"delta": _DELTA},
    # A shared link's settings, checked leniently: bad values are clamped or dropped and named.
    "open_link": {"settings": Spec("object", raw=True)},
    "export": {"format": Spec("choice", choices=("nerve", "torch", "safetensors"))},
    # Step through backprop (backprop.py): one training point, or a mini-batch from it.
    "backprop": {
        "example": Spec("int", 0, 0, LIMITS["points"] - 1, optional=True),
        "batch": Spec("bool", False, optional=True),
    },
}


@dataclass
class Command:
    """A checked message: its type and its fields (defaults filled in)."""

    type: str
    args: dict[str, Any] = field(default_factory=dict)


def default_settings() -> dict[str, Any]:
    """A fresh copy of every setting's default."""
    return {name: _copy(spec.default) for name, spec in SETTINGS.items()}


def settings_spec() -> dict[str, dict[str, Any]]:
    """Kind, default, range and choices of every setting, for the page (JSON-safe)."""
    spec: dict[str, dict[str, Any]] = {}
    for name, entry in SETTINGS.items():
        item: dict[str, Any] = {"kind": entry.kind, "default": _copy(entry.default)}
        if math.isfinite(entry.lo):
            item["lo"] = entry.lo
        if math.isfinite(entry.hi):
            item["hi"] = entry.hi
        if entry.choices:
            item["choices"] = list(entry.choices)
        if entry.max_len:
            item["max_len"] = entry.max_len
        spec[name] = item
    return spec


def _copy(value: Any) -> Any:
    return list(value) if isinstance(value, list) else value


def _reject_constant(name: str) -> float:
    # Python's json accepts NaN and Infinity, which are not JSON and never valid settings.
    raise ProtocolError(f"{name} is not a valid JSON number")


def parse_message(raw: str | bytes) -> Command:
    """Check one message from the page and return it as a :class:`Command`.

    Example:
        >>> parse_message('{"type": "reset", "keep_weights": true}')
        Command(type='reset', args={'keep_weights': True})
    """
    if len(raw) > LIMITS["message_bytes"]:
        raise ProtocolError(
            f"message too large ({len(raw)} bytes); the limit is {LIMITS['message_bytes']} bytes"
        )
    try:
        msg = json.loads(raw, parse_constant=_reject_constant)
    except RecursionError:
        # json's decoder recurses once per bracket: a small message of nested brackets would
        # otherwise escape as a RecursionError and end the session.
        raise ProtocolError(
            "a message must be JSON nested a few levels deep, not thousands"
        ) from None
    except (ValueError, UnicodeDecodeError) as err:
        if isinstance(err, ProtocolError):
            raise
        raise ProtocolError(f"a message must be JSON: {err}") from None
    if not isinstance(msg, dict):
        raise ProtocolError(f"a message must be a JSON object, got {type(msg).__name__}")
    kind = msg.get("type")
    if not isinstance(kind, str) or kind not in MESSAGES:
        expected = ", ".join(MESSAGES)
        raise ProtocolError(f"unknown message type {kind!r}; expected one of: {expected}")
    fields = MESSAGES[kind]
    unknown = sorted(set(msg) - set(fields) - {"type"})
    if unknown:
        raise ProtocolError(f"{kind}: unknown field(s) {', '.join(unknown)}")
    args: dict[str, Any] = {}
    for name, spec in fields.items():
        if name not in msg:
            if not spec.optional:
                raise ProtocolError(f"{kind}: missing field {name!r}")
            args[name] = _copy(spec.default)
        elif spec.kind == "object":
            if not isinstance(msg[name], dict):
                raise ProtocolError(f"{kind}: {name} must be an object")
            args[name] = msg[name] if spec.raw else check_settings(msg[name])
        else:
            args[name] = check_value(f"{kind}: {name}", msg[name], spec)
    return Command(kind, args)


def check_settings(patch: dict[str, Any]) -> dict[str, Any]:
    """Check the type and range of every value of a partial settings dict."""
    unknown = sorted(set(patch) - set(SETTINGS))
    if unknown:
        raise ProtocolError(f"unknown setting(s): {', '.join(unknown)}")
    return {name: check_value(name, value, SETTINGS[name]) for name, value in patch.items()}


def check_value(name: str, value: Any, spec: Spec) -> Any:
    """Return ``value`` if it fits ``spec``, else raise a ProtocolError naming ``name``."""
    checker = _CHECKERS[spec.kind]
    return checker(name, value, spec)


def _is_number(value: Any) -> bool:
    # JSON true/false arrive as bool, which Python also counts as int: never a number here.
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_int(name: str, value: Any, spec: Spec) -> int:
    if not _is_number(value) or not isinstance(value, int):
        raise ProtocolError(f"{name} must be an integer, got {value!r}")
    if not spec.lo <= value <= spec.hi:
        raise ProtocolError(f"{name} must be between {spec.lo:g} and {spec.hi:g}, got {value}")
    return value


def _check_float(name: str, value: Any, spec: Spec) -> float:
    # An integer too large for a float (JSON allows 400 digits) is out of range, not a crash.
    if _is_number(value) and isinstance(value, int) and not -1e308 < value < 1e308:
        raise ProtocolError(f"{name} must be between {spec.lo:g} and {spec.hi:g}")
    if not _is_number(value) or not math.isfinite(value):
        raise ProtocolError(f"{name} must be a finite number, got {value!r}")
    if not spec.lo <= value <= spec.hi:
        raise ProtocolError(f"{name} must be between {spec.lo:g} and {spec.hi:g}, got {value:g}")
    return float(value)


def _check_bool(name: str, value: Any, spec: Spec) -> bool:
    if not isinstance(value, bool):
        raise ProtocolError(f"{name} must be true or false, got {value!r}")
    return value


def _check_choice(name: str, value: Any, spec: Spec) -> str:
    if not isinstance(value, str) or value not in spec.choices:
        raise ProtocolError(f"{name} must be one of {', '.join(spec.choices)}; got {value!r}")
    return value


def _check_str(name: str, value: Any, spec: Spec) -> str:
    if not isinstance(value, str):
        raise ProtocolError(f"{name} must be a string, got {type(value).__name__}")
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError as err:
        # JSON's \\ud800 escapes decode to lone surrogates, which no file or encoder accepts.
        raise ProtocolError(
            f"{name} is not valid text: it holds a lone surrogate "
            f"(U+{ord(value[err.start]):04X}) at character {err.start}"
        ) from None
    if size > spec.max_len:
        raise ProtocolError(f"{name} is too large ({size} bytes); the limit is {spec.max_len}")
    return value


def _check_list(name: str, value: Any, spec: Spec) -> list[Any]:
    if not isinstance(value, list):
        raise ProtocolError(f"{name} must be a list, got {value!r}")
    if len(value) > spec.max_len:
        raise ProtocolError(f"{name} may have at most {spec.max_len} entries, got {len(value)}")
    return value


def _check_ints(name: str, value: Any, spec: Spec) -> list[int]:
    items = _check_list(name, value, spec)
    return [_check_int(f"{name}[{i}]", v, spec) for i, v in enumerate(items)]


def _check_choices(name: str, value: Any, spec: Spec) -> list[str]:
    items = _check_list(name, value, spec)
    return [_check_choice(f"{name}[{i}]", v, spec) for i, v in enumerate(items)]


def _check_pair(name: str, value: Any, spec: Spec) -> list[int]:
    items = _check_ints(name, value, Spec("ints", lo=spec.lo, hi=spec.hi, max_len=2))
    if len(items) != 2 or items[0] == items[1]:
        raise ProtocolError(f"{name} must be two different neuron numbers, got {value!r}")
    return items


_CHECKERS = {
    "int": _check_int,
    "float": _check_float,
    "bool": _check_bool,
    "choice": _check_choice,
    "str": _check_str,
    "ints": _check_ints,
    "choices": _check_choices,
    "pair": _check_pair,
}


def merge_settings(
    current: dict[str, Any], patch: dict[str, Any], csv_problem: str | None = None
) -> dict[str, Any]:
    """Apply a checked partial update to ``current`` and return the new settings.

    Fields that depend on each other are reconciled the way the page's controls imply: picking
    a data set of the other problem type switches the problem, switching the problem picks its
    first data set and a suitable loss, and ``activation`` sets every layer's activation. A
    patch that contradicts itself raises ProtocolError and ``current`` is left as it was.
    ``csv_problem`` is the problem type of the uploaded CSV, if one was uploaded.

    Example:
        >>> s = merge_settings(default_settings(), {"dataset": "plane"})
        >>> s["problem"], s["loss"]
        ('regression', 'mse')
    """
    new = {**current, **{k: _copy(v) for k, v in patch.items()}}
    problems = _dataset_problems(csv_problem)
    if new["dataset"] not in problems:
        raise ProtocolError("no CSV was uploaded yet; upload one to use the 'csv' data set")
    _reconcile_problem(new, patch, current, problems)
    _reconcile_activations(new, patch)
    _check_consistency(new, problems)
    return new


def _dataset_problems(csv_problem: str | None) -> dict[str, str]:
    """The problem type of each data set that can be selected now."""
    problems = {d: "classification" for d in CLASSIFICATION_SETS}
    problems.update({d: "regression" for d in REGRESSION_SETS})
    if csv_problem is not None:
        problems["csv"] = csv_problem
    return problems


def _reconcile_problem(
    new: dict[str, Any], patch: dict[str, Any], current: dict[str, Any], problems: dict[str, str]
) -> None:
    if "dataset" in patch and "problem" not in patch:
        new["problem"] = problems[patch["dataset"]]
    elif (
        "problem" in patch and "dataset" not in patch and problems[new["dataset"]] != new["problem"]
    ):
        sets = CLASSIFICATION_SETS if patch["problem"] == "classification" else REGRESSION_SETS
        new["dataset"] = sets[0]
    if new["problem"] != current["problem"] and "loss" not in patch:
        new["loss"] = "mse" if new["problem"] == "regression" else "cross_entropy"


def _reconcile_activations(new: dict[str, Any], patch: dict[str, Any]) -> None:
    if "activation" in patch and "activations" not in patch:
        new["activations"] = [new["activation"]] * len(new["hidden"])
        return
    acts = list(new["activations"])
    if "activations" in patch and len(acts) != len(new["hidden"]):
        raise ProtocolError(
            f"activations has {len(acts)} entries for {len(new['hidden'])} hidden layers; "
            "give one per layer"
        )
    # Added layers take the global activation, removed layers drop theirs.
    fill = [new["activation"]] * max(0, len(new["hidden"]) - len(acts))
    new["activations"] = (acts + fill)[: len(new["hidden"])]


def _check_consistency(new: dict[str, Any], problems: dict[str, str]) -> None:
    problem, dataset = new["problem"], new["dataset"]
    if problems[dataset] != problem:
        raise ProtocolError(
            f"data set {dataset!r} is a {problems[dataset]} data set; "
            f"set problem to {problems[dataset]}"
        )
    if problem == "regression" and new["loss"] == "cross_entropy":
        raise ProtocolError(
            "cross entropy needs classes; regression uses the squared error (loss 'mse')"
        )
    if not new["features"]:
        raise ProtocolError("choose at least one input feature")
    if len(set(new["features"])) != len(new["features"]):
        raise ProtocolError("features lists a feature twice")
    if new["classes"] == 1:
        raise ProtocolError("classes must be 0 (the data set's default) or 2 to 5")
    if new["batch_norm"] and new["batch_size"] < 2:
        raise ProtocolError(
            "batch normalization needs batches of at least 2 samples; raise the batch size"
        )
