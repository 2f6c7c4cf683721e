"""RunConfig: defaults, TOML in and out, overrides, and messages that name the bad key."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nerve.workflow import ConfigError, RunConfig, load_config, tomlio
from nerve.workflow.config import data_kind, option_help


def test_defaults_are_the_lecture_network() -> None:
    cfg = RunConfig()
    assert cfg.data.source == "xor"
    assert cfg.model.hidden == [8] and cfg.model.loss == "auto"
    assert (cfg.optimizer.name, cfg.optimizer.lr, cfg.optimizer.momentum) == ("sgd", 0.01, 0.0)
    assert cfg.training.batch_size == 1


def test_toml_round_trip(tmp_path) -> None:
    cfg = RunConfig().override(
        {
            "data.source": "digits",
            "model.hidden": "64,32",
            "model.activation": "relu,tanh",
            "model.batch_norm": "true",
            "optimizer.name": "adam",
            "optimizer.lr": "1e-3",
            "schedule.name": "multistep",
            "schedule.milestones": "[5, 10]",
            "training.early_stopping": "5",
            "output.dir": "somewhere",
        }
    )
    text = cfg.to_toml()
    assert tomlio.loads(text)["model"]["hidden"] == [64, 32]
    path = tmp_path / "run.toml"
    path.write_text(text)
    assert load_config(path) == cfg
    assert RunConfig.from_dict(tomlio.loads(RunConfig().to_toml())) == RunConfig()


def test_file_then_overrides(tmp_path) -> None:
    path = tmp_path / "run.toml"
    path.write_text('[optimizer]\nname = "adam"\nlr = 0.002\n\n[training]\nepochs = 7\n')
    cfg = load_config(path)
    assert (cfg.optimizer.name, cfg.optimizer.lr, cfg.training.epochs) == ("adam", 0.002, 7)
    cfg2 = cfg.override({"training.epochs": "3"})
    assert cfg2.training.epochs == 3 and cfg.training.epochs == 7  # the original is unchanged
    assert cfg2.optimizer.name == "adam"


def test_csv_path_is_relative_to_the_config_file(tmp_path) -> None:
    (tmp_path / "sub").mkdir()
    path = tmp_path / "sub" / "run.toml"
    path.write_text('[data]\nsource = "data.csv"\ntarget = "y"\n')
    cfg = load_config(path)
    assert cfg.data.source == str(tmp_path / "sub" / "data.csv")
    assert data_kind(cfg.data.source) == "csv"


@pytest.mark.parametrize(
    ("tables", "message"),
    [
        ({"optimizer": {"learning_rate": 0.1}}, "unknown key 'optimizer.learning_rate'; "
         "did you mean 'optimizer.lr'?"),
        ({"optimiser": {"lr": 0.1}}, "unknown table [optimiser]; did you mean 'optimizer'?"),
        ({"model": {"activaton": "relu"}}, "did you mean 'model.activation'?"),
        ({"optimizer": {"name": "adm"}}, "optimizer.name 'adm' is not valid; expected one of: "
         "sgd, adam, adamw, rmsprop, adagrad; did you mean 'adam'?"),
        ({"optimizer": {"lr": -1}}, "optimizer.lr must be > 0, got -1"),
        ({"optimizer": {"lr": "fast"}}, "optimizer.lr must be a number, got 'fast'"),
        ({"training": {"epochs": 2.5}}, "training.epochs must be an integer, got 2.5"),
        ({"training": {"epochs": True}}, "training.epochs must be an integer"),
        ({"model": {"hidden": [8, 0]}}, "model.hidden[1] must be >= 1, got 0"),
        ({"model": {"hidden": 8}}, "model.hidden must be a list of integers"),
        ({"model": {"activation": ["relu", "tanh"]}}, "2 activations for 1 hidden layers"),
        ({"model": {"dropout": 1.5}}, "model.dropout must be <= 0.99, got 1.5"),
        ({"preprocess": {"val": 0.5, "test": 0.5}}, "preprocess.val + preprocess.test"),
        ({"preprocess": {"scaler": "robust"}}, "preprocess.scaler 'robust' is not valid"),
        ({"data": {"source": "digts"}}, "did you mean 'digits'?"),
        ({"data": {"source": "houses.csv"}}, "data.target must name the CSV column"),
        ({"data": {"target": "y"}}, "data.target applies to CSV data only"),
        ({"training": {"early_stopping": 3}, "preprocess": {"val": 0.0}}, "preprocess.val is 0"),
        ({"schedule": {"name": "multistep"}}, "schedule.milestones is empty"),
        ({"optimizer": {"betas": [0.9]}}, "optimizer.betas must be 2 numbers"),
        ({"optimizer": {"lr": math.inf}}, "optimizer.lr must be a finite number"),
        ({"model": "big"}, "[model] must be a table"),
    ],
)  # fmt: skip
def test_bad_values_name_the_key(tables: dict, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        RunConfig.from_dict(tables, where="run.toml")
    assert message in str(info.value)
    assert str(info.value).startswith("run.toml: ")


def test_bad_override_strings() -> None:
    with pytest.raises(ConfigError, match="model.hidden must be a list of integers"):
        RunConfig().override({"model.hidden": "64,x"})
    with pytest.raises(ConfigError, match="model.batch_norm must be true or false"):
        RunConfig().override({"model.batch_norm": "maybe"})
    with pytest.raises(ConfigError, match="unknown key 'train.epochs'"):
        RunConfig().override({"train.epochs": "3"})
    cfg = RunConfig().override({"model.activation": "relu", "data.n_classes": "none"})
    assert cfg.model.activation == "relu" and cfg.data.n_classes is None


def test_bad_files(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="config file not found"):
        load_config(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[model\nhidden = [8]\n")
    with pytest.raises(ConfigError, match="bad.toml: invalid TOML"):
        load_config(bad)
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe[model]")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(binary)


def test_option_help_lists_every_key() -> None:
    text = option_help()
    for key in ("data.source", "optimizer.lr", "schedule.milestones", "output.dir"):
        assert key in text


_scalar = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),
    st.text(),
)


@given(st.dictionaries(st.text(min_size=1), _scalar | st.lists(_scalar), max_size=5))
def test_toml_writer_round_trips(table: dict) -> None:
    tables = {"section": table}
    assert tomlio.loads(tomlio.dumps(tables)) == tables


def test_toml_writer_special_values() -> None:
    text = tomlio.dumps({"a": {"x": math.inf, "y": None, "z": 'quote " and \\ and \n'}}, "hi")
    assert text.startswith("# hi\n")
    back = tomlio.loads(text)["a"]
    assert back == {"x": math.inf, "z": 'quote " and \\ and \n'}
    assert math.isnan(tomlio.loads(tomlio.dumps({"a": {"n": math.nan}}))["a"]["n"])
    with pytest.raises(TypeError, match="a.x"):
        tomlio.dumps({"a": {"x": object()}})
