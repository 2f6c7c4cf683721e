"""The playground's message checks: every way a message can be wrong, and what passes."""

from __future__ import annotations

import json

import pytest

from nerve.playground.protocol import (
    LIMITS,
    MESSAGES,
    SETTINGS,
    Command,
    ProtocolError,
    default_settings,
    merge_settings,
    parse_message,
    settings_spec,
)

VALID = {
    "set": {"settings": {"lr": 0.03}},
    "play": {},
    "pause": {},
    "step": {},
    "reset": {"keep_weights": True},
    "regenerate": {},
    "add_point": {"x": 0.5, "y": -0.5, "label": 1},
    "remove_point": {"x": 0.5, "y": -0.5},
    "upload_csv": {"text": "x1,x2,label\n0,0,0\n", "name": "a.csv"},
    "set_weight": {"layer": 1, "row": 0, "col": 1, "value": -2.5},
    "set_bias": {"layer": 2, "neuron": 0, "value": 0.1},
    "explain": {"layer": 1, "neuron": 3, "x": 0.1, "y": 0.2},
    "export": {"format": "torch"},
    "add_neurons": {"layer": 0, "delta": -1},
    "add_layers": {"delta": 1},
    "open_link": {"settings": {"noise": 90, "bogus": [1]}},
    "backprop": {"example": 3},
}


def _msg(kind: str, **fields: object) -> str:
    return json.dumps({"type": kind, **fields})


def test_every_message_type_has_a_valid_example() -> None:
    assert set(VALID) == set(MESSAGES)
    for kind, fields in VALID.items():
        cmd = parse_message(_msg(kind, **fields))
        assert isinstance(cmd, Command) and cmd.type == kind


def test_optional_fields_get_their_defaults() -> None:
    assert parse_message(_msg("reset")).args == {"keep_weights": False}
    assert parse_message(_msg("upload_csv", text="a")).args["name"] == "upload.csv"


def test_bytes_messages_are_accepted() -> None:
    assert parse_message(_msg("play").encode()).type == "play"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("{not json", "must be JSON"),
        (b"\xff\xfe", "must be JSON"),
        ('{"type": "set_bias", "layer": 1, "neuron": 0, "value": NaN}', "not a valid JSON number"),
        ('{"type": "set_bias", "layer": 1, "neuron": 0, "value": Infinity}', "not a valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('"play"', "must be a JSON object"),
        ("{}", "unknown message type None"),
        ('{"type": 3}', "unknown message type 3"),
        ('{"type": "fly"}', "unknown message type 'fly'"),
        (_msg("play", speed=3), "play: unknown field(s) speed"),
        (_msg("add_point", x=0.1, y=0.2), "add_point: missing field 'label'"),
        (_msg("add_point", x="0.1", y=0.2, label=0), "add_point: x must be a finite number"),
        (_msg("add_point", x=True, y=0.2, label=0), "add_point: x must be a finite number"),
        (_msg("add_point", x=2e6, y=0.2, label=0), "add_point: x must be between"),
        (_msg("set_weight", layer=1.5, row=0, col=0, value=1), "layer must be an integer"),
        (_msg("set_weight", layer=True, row=0, col=0, value=1), "layer must be an integer"),
        (_msg("set_weight", layer=-1, row=0, col=0, value=1), "layer must be between 0 and 11"),
        (_msg("set_weight", layer=1, row=99, col=0, value=1), "row must be between"),
        (_msg("set_weight", layer=1, row=0, col=0, value=1e7), "value must be between"),
        (_msg("reset", keep_weights="yes"), "keep_weights must be true or false"),
        (_msg("reset", keep_weights=1), "keep_weights must be true or false"),
        (_msg("export", format="pickle"), "format must be one of nerve, torch, safetensors"),
        (_msg("export", format=None), "format must be one of"),
        (_msg("upload_csv", text=5), "text must be a string"),
        (_msg("upload_csv", text="a", name=["x"]), "name must be a string"),
        (_msg("upload_csv", text="a", name="n" * 201), "name is too large"),
        (_msg("set", settings=[1]), "set: settings must be an object"),
        (_msg("set", settings={"colour": "red"}), "unknown setting(s): colour"),
        # an integer too large for a float: out of range, not an OverflowError
        (_msg("set", settings={"lr": 10**400}), "lr must be between"),
        (_msg("add_point", x=-(10**400), y=0.2, label=0), "add_point: x must be between"),
    ],
)
def test_bad_messages(raw: str | bytes, expected: str) -> None:
    with pytest.raises(ProtocolError) as info:
        parse_message(raw)
    assert expected in str(info.value)


def test_message_size_limit() -> None:
    raw = _msg("upload_csv", text="x" * LIMITS["message_bytes"])
    with pytest.raises(ProtocolError, match="message too large"):
        parse_message(raw)


def test_upload_text_limit() -> None:
    # Under the message limit, over the CSV limit (256 KB).
    raw = _msg("upload_csv", text="1" * (LIMITS["upload_bytes"] + 1))
    with pytest.raises(ProtocolError, match="text is too large"):
        parse_message(raw)


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"lr": 0}, "lr must be between 1e-05 and 10"),
        ({"lr": 11}, "lr must be between"),
        ({"lr": "fast"}, "lr must be a finite number"),
        ({"noise": 81}, "noise must be between 0 and 80"),
        ({"noise": 0.5}, "noise must be an integer"),
        ({"train_ratio": 5}, "train_ratio must be between 10 and 90"),
        ({"batch_size": 31}, "batch_size must be between 1 and 30"),
        ({"batch_size": 0}, "batch_size must be between 1 and 30"),
        ({"n_points": LIMITS["points"] + 1}, "n_points must be between"),
        ({"dataset": "mnist"}, "dataset must be one of"),
        ({"optimizer": "lbfgs"}, "optimizer must be one of sgd, momentum, adam"),
        ({"schedule": "warmup"}, "schedule must be one of none, step, cosine"),
        ({"regularization": "l3"}, "regularization must be one of"),
        ({"init": "zeros"}, "init must be one of default, xavier, he"),
        ({"loss": "hinge"}, "loss must be one of"),
        ({"normalize": "yes"}, "normalize must be true or false"),
        ({"hidden": 4}, "hidden must be a list"),
        ({"hidden": [4] * 11}, "hidden may have at most 10 entries"),
        ({"hidden": [4, 33]}, "hidden[1] must be between 1 and 32"),
        ({"hidden": [4, 0]}, "hidden[1] must be between 1 and 32"),
        ({"hidden": ["4"]}, "hidden[0] must be an integer"),
        ({"features": ["x1", "x3"]}, "features[1] must be one of"),
        ({"features": "x1"}, "features must be a list"),
        ({"activations": ["relu", "swish"]}, "activations[1] must be one of"),
        ({"view_neurons": [1]}, "view_neurons must be two different neuron numbers"),
        ({"view_neurons": [2, 2]}, "view_neurons must be two different"),
        ({"view_neurons": [0, 32]}, "view_neurons[1] must be between 0 and 31"),
        ({"dropout": 0.95}, "dropout must be between 0 and 0.9"),
        ({"imbalance": 1}, "imbalance must be between 5 and 100"),
        ({"speed": -1}, "speed must be between 0 and 100"),
        ({"classes": 6}, "classes must be between 0 and 5"),
    ],
)
def test_bad_settings(settings: dict, expected: str) -> None:
    with pytest.raises(ProtocolError) as info:
        parse_message(_msg("set", settings=settings))
    assert expected in str(info.value)


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        ({"dataset": "csv"}, "no CSV was uploaded yet"),
        ({"dataset": "plane", "problem": "classification"}, "'plane' is a regression data set"),
        ({"dataset": "xor", "problem": "regression"}, "'xor' is a classification data set"),
        ({"dataset": "plane", "loss": "cross_entropy"}, "cross entropy needs classes"),
        ({"features": []}, "choose at least one input feature"),
        ({"features": ["x1", "x1"]}, "features lists a feature twice"),
        ({"classes": 1}, "classes must be 0"),
        ({"batch_norm": True, "batch_size": 1}, "batch normalization needs batches of at least 2"),
        ({"hidden": [4, 4], "activations": ["relu"]}, "activations has 1 entries for 2 hidden"),
    ],
)
def test_inconsistent_settings(patch: dict, expected: str) -> None:
    current = default_settings()
    before = json.dumps(current)
    with pytest.raises(ProtocolError) as info:
        merge_settings(current, patch)
    assert expected in str(info.value)
    assert json.dumps(current) == before  # a bad patch changes nothing


def test_reconciled_settings() -> None:
    s = default_settings()
    reg = merge_settings(s, {"dataset": "multi-gaussian"})
    assert (reg["problem"], reg["loss"]) == ("regression", "mse")
    back = merge_settings(reg, {"problem": "classification"})
    assert (back["dataset"], back["loss"]) == ("circle", "cross_entropy")
    relu = merge_settings(s, {"activation": "relu"})
    assert relu["activations"] == ["relu"] * len(s["hidden"])
    grown = merge_settings(relu, {"hidden": [4, 4, 2]})
    assert grown["activations"] == ["relu", "relu", "relu"]
    shrunk = merge_settings(grown, {"hidden": [3]})
    assert shrunk["activations"] == ["relu"]
    assert (
        merge_settings(s, {"dataset": "csv"}, csv_problem="regression")["problem"] == "regression"
    )


def test_settings_spec_is_json_and_complete() -> None:
    spec = settings_spec()
    assert set(spec) == set(SETTINGS)
    json.dumps(spec, allow_nan=False)
    assert spec["lr"]["lo"] == 1e-5 and spec["dataset"]["choices"][0] == "circle"
    # Defaults must pass their own checks.
    parse_message(_msg("set", settings=default_settings()))
