"""``RunConfig``: everything one training run needs, as validated plain data.

A run is configured in layers: the defaults below (the lecture's hands-on network on XOR
data), then a TOML file, then command-line overrides. Every layer goes through the same
checks, so a mistake is reported the same way wherever it was made -- as a
:class:`~nerve.workflow.ConfigError` naming the key, the bad value and what was expected,
with a did-you-mean suggestion for a misspelt key or choice. The resolved config is written
back as TOML into the run directory, so a run can be repeated with ``--config``.

Example:
    >>> cfg = RunConfig().override({"optimizer.name": "adam", "model.hidden": "64,32"})
    >>> cfg.optimizer.name, cfg.model.hidden, cfg.optimizer.lr
    ('adam', [64, 32], 0.01)
    >>> try:
    ...     RunConfig.from_dict({"optimizer": {"learning_rate": 0.1}})
    ... except ConfigError as err:
    ...     print(err)
    config: unknown key 'optimizer.learning_rate'; did you mean 'optimizer.lr'?
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import tomlio
from .cnnmodel import AUGMENTATIONS, MAX_CHANNELS, MAX_IMAGE_SIDE, MAX_KERNEL
from .configcheck import ALIASES, check, check_images, parse, suggest
from .data import TASKS
from .errors import ConfigError
from .images import IMAGE_SETS, is_image_source
from .model import ACTIVATIONS, LOSSES, MAX_LAYERS, MAX_PARAMETERS, MAX_UNITS
from .preprocess import SCALERS
from .tabular import SKLEARN_DATASETS
from .toy import TOY_DATASETS

__all__ = ["RunConfig", "load_config", "data_kind", "option_help", "OPTIMIZERS", "SCHEDULES"]

OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop", "adagrad")
SCHEDULES = ("none", "step", "multistep", "exponential", "cosine", "onecycle", "plateau")
# A run config is a few dozen lines; anything far larger is not one (and is not read whole).
MAX_CONFIG_BYTES = 1 << 20
# What `--model cnn` changes besides the network, where a key still has the MLP's default: the
# lecture's SGD at lr 0.01 on one image at a time would crawl through MNIST.
CNN_DEFAULTS: dict[str, Any] = {
    "model.hidden": [64],
    "model.activation": "relu",
    "optimizer.name": "adam",
    "optimizer.lr": 1e-3,
    "training.batch_size": 32,
    "training.epochs": 10,
}
_MONITORS = tuple(f"{s}_{m}" for s in ("val", "train") for m in ("loss", "accuracy", "mse"))


def _opt(
    default: Any,
    help: str,
    *,
    choices: Any = None,
    low: Any = None,
    high: Any = None,
    above: Any = None,
) -> Any:
    """A config field whose checks (choices, bounds) live in the field's metadata."""
    meta = {"help": help, "choices": choices, "low": low, "high": high, "above": above}
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass
class DataConfig:
    """``[data]``: where the examples come from (the lecture's step 01)."""

    source: str = _opt("xor", "toy set, scikit-learn set or path to a .csv file")
    target: str | None = _opt(None, "CSV: the column to predict")
    task: str | None = _opt(None, "CSV: binary/multiclass/regression (inferred)", choices=TASKS)
    n_samples: int = _opt(400, "toy sets: number of points", low=2, high=1_000_000)
    noise: float = _opt(0.0, "toy sets: 0 (clean) .. 1 (very noisy)", low=0.0, high=1.0)
    margin: float = _opt(0.2, "xor: empty band around the axes", low=0.0, high=0.9)
    n_classes: int | None = _opt(None, "blobs/spiral: number of classes", low=2, high=10)
    seed: int = _opt(0, "seed of the toy data and of the split", low=0)
    augment: str | list[str] = _opt(
        "none", "images: flip, crop and/or rotate while training", choices=("none", *AUGMENTATIONS)
    )
    image_size: list[int] = _opt(
        [], "image folders: resize to H,W (default: the first image's)", low=1, high=MAX_IMAGE_SIDE
    )
    color: str = _opt(
        "auto",
        "image folders: gray, rgb or auto (the first image's)",
        choices=("auto", "gray", "rgb"),
    )


@dataclass
class PreprocessConfig:
    """``[preprocess]``: split, normalisation and class imbalance."""

    scaler: str = _opt("standard", "fitted on the training split", choices=tuple(SCALERS))
    val: float = _opt(0.2, "validation fraction", low=0.0, high=0.9)
    test: float = _opt(0.2, "test fraction", low=0.0, high=0.9)
    stratify: bool = _opt(True, "keep class shares equal across splits (classification)")
    imbalance: str = _opt(
        "none", "remedy for class imbalance", choices=("none", "class_weights", "sampler")
    )


@dataclass
class ModelConfig:
    """``[model]``: the network (step 02)."""

    type: str = _opt(
        "mlp", "mlp (fully connected) or cnn (conv blocks, then hidden)", choices=("mlp", "cnn")
    )
    hidden: list[int] = _opt([8], "hidden layer sizes, e.g. 64,32", low=1, high=MAX_UNITS)
    activation: str | list[str] = _opt(
        "tanh", "one activation, or one per hidden layer", choices=tuple(ACTIVATIONS)
    )
    dropout: float = _opt(0.0, "dropout probability after each hidden layer", low=0.0, high=0.99)
    batch_norm: bool = _opt(False, "batch normalisation in each hidden layer")
    loss: str = _opt("auto", "auto: bce / cross_entropy / mse by task", choices=("auto", *LOSSES))
    channels: list[int] = _opt(
        [16, 32], "cnn: channels of each conv block", low=1, high=MAX_CHANNELS
    )
    kernel: list[int] = _opt([3], "cnn: kernel size, one or one per block", low=1, high=MAX_KERNEL)
    stride: list[int] = _opt([1], "cnn: conv stride, one or one per block", low=1, high=MAX_KERNEL)
    pool: list[int] = _opt(
        [2], "cnn: max-pool size after each block (1: none)", low=1, high=MAX_KERNEL
    )
    conv_dropout: float = _opt(0.0, "cnn: Dropout2d after each conv block", low=0.0, high=0.99)


@dataclass
class OptimizerConfig:
    """``[optimizer]``: how the weights move (step 03)."""

    name: str = _opt("sgd", "optimizer", choices=OPTIMIZERS)
    lr: float = _opt(0.01, "learning rate", above=0.0)
    momentum: float = _opt(0.0, "sgd/rmsprop momentum", low=0.0, high=0.999)
    nesterov: bool = _opt(False, "sgd: Nesterov momentum")
    betas: list[float] = _opt([0.9, 0.999], "adam/adamw: (beta1, beta2)", low=0.0, high=0.9999)
    eps: float = _opt(1e-8, "adam/adamw/rmsprop/adagrad: epsilon", above=0.0)
    alpha: float = _opt(0.99, "rmsprop: smoothing constant", low=0.0, high=0.9999)


@dataclass
class ScheduleConfig:
    """``[schedule]``: the learning rate over the epochs."""

    name: str = _opt("none", "learning-rate schedule", choices=SCHEDULES)
    step_size: int = _opt(10, "step: epochs between decays", low=1)
    gamma: float = _opt(0.1, "step/multistep/exponential: decay factor", above=0.0, high=1.0)
    milestones: list[int] = _opt([], "multistep: epochs at which to decay", low=1)
    t_max: int = _opt(0, "cosine: epochs of the half cosine (0: all epochs)", low=0)
    eta_min: float = _opt(0.0, "cosine: final learning rate", low=0.0)
    max_lr: float = _opt(0.0, "onecycle: peak learning rate (0: 10 x lr)", low=0.0)
    pct_start: float = _opt(0.3, "onecycle: fraction of steps warming up", low=0.0, high=1.0)
    factor: float = _opt(0.1, "plateau: factor of each cut", above=0.0, high=0.999)
    patience: int = _opt(5, "plateau: epochs without improvement before a cut", low=0)
    min_lr: float = _opt(0.0, "plateau: lower bound", low=0.0)


@dataclass
class RegularizationConfig:
    """``[regularization]``: fighting overfitting (dropout and batch norm are in [model])."""

    weight_decay: float = _opt(0.0, "the optimizer's weight decay", low=0.0)
    l1: float = _opt(0.0, "L1 penalty on the weights, added to the loss", low=0.0)
    l2: float = _opt(0.0, "L2 penalty on the weights, added to the loss", low=0.0)
    grad_clip: float = _opt(0.0, "clip the gradient norm to this (0: off)", low=0.0)


@dataclass
class TrainingConfig:
    """``[training]``: the loop."""

    epochs: int = _opt(50, "passes over the training data", low=1, high=1_000_000)
    batch_size: int = _opt(1, "samples per step (1: the lecture's one point at a time)", low=1)
    seed: int = _opt(0, "seed of the weights, dropout and shuffling", low=0)
    early_stopping: int = _opt(0, "patience in epochs (0: off)", low=0)
    monitor: str = _opt("val_loss", "what early stopping watches", choices=_MONITORS)
    min_delta: float = _opt(0.0, "early stopping: smallest improvement", low=0.0)
    restore_best: bool = _opt(True, "early stopping: end with the best epoch's weights")
    device: str = _opt("cpu", "where to train", choices=("cpu", "cuda"))


@dataclass
class OutputConfig:
    """``[output]``: where the run directory goes."""

    root: str = _opt("runs", "parent of new run directories (named <data>-0001, ...)")
    dir: str | None = _opt(None, "an explicit run directory instead (must not exist)")
    plots: bool = _opt(True, "write plots/*.png")


_SECTIONS: dict[str, type] = {
    "data": DataConfig,
    "preprocess": PreprocessConfig,
    "model": ModelConfig,
    "optimizer": OptimizerConfig,
    "schedule": ScheduleConfig,
    "regularization": RegularizationConfig,
    "training": TrainingConfig,
    "output": OutputConfig,
}


@dataclass
class RunConfig:
    """The whole configuration: one dataclass per TOML table (see ``option_help()``).

    Example:
        >>> from nerve.workflow import RunConfig
        >>> cfg = RunConfig().override({"model.hidden": "[16, 16]", "optimizer.lr": "0.1"})
        >>> cfg.model.hidden, cfg.optimizer.lr, cfg.data.source
        ([16, 16], 0.1, 'xor')
    """

    data: DataConfig = field(default_factory=DataConfig)
    preprocess: PreprocessConfig = field(default_factory=PreprocessConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    regularization: RegularizationConfig = field(default_factory=RegularizationConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    output: OutputConfig = field(default_factory=OutputConfig)

    @classmethod
    def from_dict(cls, d: dict[str, Any], where: str = "config") -> RunConfig:
        """Build and validate a config from nested dicts (e.g. parsed TOML)."""
        if not isinstance(d, dict):
            raise ConfigError(f"{where}: expected tables such as [model], got {d!r:.60}")
        flat: dict[str, Any] = {}
        for section, table in d.items():
            if section not in _SECTIONS:
                raise ConfigError(
                    f"{where}: unknown table [{section}]{suggest(section, _SECTIONS)}"
                )
            if not isinstance(table, dict):
                raise ConfigError(
                    f"{where}: [{section}] must be a table of keys, got {table!r:.60}"
                )
            flat.update({f"{section}.{key}": value for key, value in table.items()})
        return cls().override(flat, where=where, parse_strings=False)

    def override(
        self, values: dict[str, Any], where: str = "config", parse_strings: bool = True
    ) -> RunConfig:
        """A copy with ``{"section.key": value}`` applied and validated.

        With ``parse_strings`` a string value is parsed for the key's type (``"64,32"`` for a
        list of ints, ``"true"`` for a bool), as command-line values arrive.
        """
        cfg = copy.deepcopy(self)  # never change the caller's config, even on an error
        for dotted, value in values.items():
            section, _, key = str(dotted).partition(".")
            f = _field(dotted, where)
            if parse_strings and isinstance(value, str) and f.type != "str":
                value = parse(dotted, value, str(f.type), where)
            setattr(getattr(cfg, section), key, check(dotted, value, f, where))
        if cfg.model.type == "cnn" and self.model.type != "cnn":
            # Switching to a CNN: keys left at the MLP's defaults take the CNN's.
            plain = RunConfig()
            for dotted, value in CNN_DEFAULTS.items():
                section, _, key = dotted.partition(".")
                current = getattr(getattr(cfg, section), key)
                if dotted not in values and current == getattr(getattr(plain, section), key):
                    setattr(getattr(cfg, section), key, copy.copy(value))
        return cfg.validate(where)

    def validate(self, where: str = "config") -> RunConfig:
        """Checks that involve several keys; returns ``self``."""
        p, t, d = self.preprocess, self.training, self.data
        if p.val + p.test >= 1.0:
            raise ConfigError(
                f"{where}: preprocess.val + preprocess.test must be below 1 to leave training "
                f"data, got {p.val:g} + {p.test:g}"
            )
        kind = data_kind(d.source, where)
        if kind == "csv" and not d.target:
            raise ConfigError(
                f"{where}: data.target must name the CSV column to predict (--target COLUMN)"
            )
        if kind != "csv" and (d.target or d.task):
            key = "data.target" if d.target else "data.task"
            raise ConfigError(f"{where}: {key} applies to CSV data only, not to {d.source!r}")
        if t.early_stopping and t.monitor.startswith("val_") and p.val == 0:
            raise ConfigError(
                f"{where}: training.early_stopping watches {t.monitor!r} but preprocess.val is 0; "
                "keep a validation split or set training.monitor = 'train_loss'"
            )
        if self.schedule.name == "multistep" and not self.schedule.milestones:
            raise ConfigError(f"{where}: schedule.milestones is empty; multistep needs epochs")
        if len(self.optimizer.betas) != 2:
            raise ConfigError(
                f"{where}: optimizer.betas must be 2 numbers, got {self.optimizer.betas}"
            )
        hidden = self.model.hidden
        if len(hidden) > MAX_LAYERS:
            raise ConfigError(
                f"{where}: model.hidden lists {len(hidden)} layers; at most {MAX_LAYERS}"
            )
        between = sum(a * b for a, b in zip(hidden, hidden[1:]))
        if between > MAX_PARAMETERS:  # the full count (inputs, outputs) is checked at build
            raise ConfigError(
                f"{where}: model.hidden {hidden} needs {between:,} weights between its layers; at "
                f"most {MAX_PARAMETERS:,} (each layer at most {MAX_UNITS:,} units)"
            )
        check_images(self, kind, where)
        acts = self.model.activation
        if self.model.type == "mlp" and isinstance(acts, list) and len(acts) != len(hidden):
            raise ConfigError(
                f"{where}: model.activation lists {len(acts)} activations for "
                f"{len(self.model.hidden)} hidden layers; give one, or one per layer"
            )
        return self

    def augmentations(self) -> list[str]:
        """``data.augment`` as a list (``"none"`` is the empty list)."""
        a = self.data.augment
        return [x for x in ([a] if isinstance(a, str) else a) if x != "none"]

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """Nested plain data: ``{"model": {"hidden": [8], ...}, ...}``."""
        return {s: dataclasses.asdict(getattr(self, s)) for s in _SECTIONS}

    def to_toml(self) -> str:
        """The config as TOML that :func:`load_config` reads back to an equal config."""
        return tomlio.dumps(self.to_dict(), header="nerve run configuration (resolved)")


def load_config(path: str | os.PathLike[str]) -> RunConfig:
    """Read a TOML config file; a relative CSV path in it is taken relative to the file.

    Raises FileNotFoundError for a missing file and ConfigError for bad TOML or bad values.

    Example:
        >>> import os, tempfile
        >>> from nerve.workflow import load_config
        >>> path = os.path.join(tempfile.mkdtemp(), "run.toml")
        >>> with open(path, "w") as f:
        ...     _ = f.write('[data]\\nsource = "moons"\\n[training]\\nepochs = 20\\n')
        >>> cfg = load_config(path)
        >>> cfg.data.source, cfg.training.epochs, cfg.optimizer.name  # the rest: defaults
        ('moons', 20, 'sgd')
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"config file not found: {str(p)!r}")
    if p.is_dir():
        raise ConfigError(f"config {str(p)!r} is a directory; expected a TOML file")
    if not p.is_file():  # /dev/null, a FIFO (reading one could block forever), a socket
        raise ConfigError(f"config {str(p)!r} is not a regular file; expected a TOML file")
    where = p.name
    try:
        with p.open("rb") as fh:
            raw = fh.read(MAX_CONFIG_BYTES + 1)
        if len(raw) > MAX_CONFIG_BYTES:
            raise ConfigError(
                f"{where}: larger than {MAX_CONFIG_BYTES // 1024} KiB; a run config is a few "
                "dozen lines"
            )
        d = tomlio.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise ConfigError(f"{where}: not UTF-8 text ({err.reason} at byte {err.start})") from err
    except tomlio.TOMLDecodeError as err:
        raise ConfigError(f"{where}: invalid TOML: {err}") from err
    except RecursionError:  # tomllib recurses into nested arrays and inline tables
        raise ConfigError(f"{where}: invalid TOML: nested too deeply") from None
    data = d.get("data")
    source = data.get("source") if isinstance(data, dict) else None
    if isinstance(source, str) and _is_path(source, p.parent):
        data["source"] = str((p.parent / source).resolve())  # type: ignore[index]
    return RunConfig.from_dict(d, where=where)


def _is_path(source: str, base: Path) -> bool:
    """A data.source that names a file or folder (taken relative to the config file)."""
    if source in TOY_DATASETS or source in SKLEARN_DATASETS or source in IMAGE_SETS:
        return False
    return (base / source).is_dir() or data_kind(source, "config") == "csv"


def data_kind(source: str, where: str = "config") -> str:
    """``"toy"``, ``"sklearn"``, ``"images"`` or ``"csv"`` for a ``data.source`` value.

    Example:
        >>> data_kind("xor"), data_kind("digits"), data_kind("mnist"), data_kind("houses.csv")
        ('toy', 'sklearn', 'images', 'csv')
    """
    if source in TOY_DATASETS:
        return "toy"
    if source in SKLEARN_DATASETS:
        return "sklearn"
    if is_image_source(source):
        return "images"
    if (
        source.lower().endswith(".csv")
        or "/" in source
        or os.sep in source
        or Path(source).is_file()
    ):
        return "csv"
    names = [*TOY_DATASETS, *SKLEARN_DATASETS, *IMAGE_SETS]
    raise ConfigError(
        f"{where}: unknown data.source {source!r}; expected a toy set ({', '.join(TOY_DATASETS)}), "
        f"a scikit-learn set ({', '.join(SKLEARN_DATASETS)}), an image set "
        f"({', '.join(IMAGE_SETS)}), an image folder or a path to a .csv file"
        f"{suggest(source, names)}"
    )


def option_help() -> str:
    """One line per config key with its default and meaning (for ``--help``)."""
    lines = []
    for section, cls in _SECTIONS.items():
        for f in dataclasses.fields(cls):
            default = f.default_factory() if callable(f.default_factory) else f.default  # type: ignore[misc]
            shown = "(unset)" if default is None else tomlio.dumps({"x": {"v": default}})
            shown = shown.split(" = ", 1)[-1].strip()
            lines.append(f"  {section + '.' + f.name:<28} {shown:<12} {f.metadata['help']}")
    return "\n".join(lines)


def _field(dotted: str, where: str) -> dataclasses.Field:
    section, _, key = dotted.partition(".")
    if section not in _SECTIONS:
        raise ConfigError(f"{where}: unknown key {dotted!r}{suggest(section, _SECTIONS)}")
    fields = {f.name: f for f in dataclasses.fields(_SECTIONS[section])}
    if key not in fields:
        # Common synonyms first (learning_rate -> lr), then the section's keys, then all keys.
        close = [ALIASES[key]] if ALIASES.get(key) in fields else []
        close = close or difflib.get_close_matches(key, list(fields), n=1, cutoff=0.6)
        near = f"; did you mean '{section}.{close[0]}'?" if close else ""
        every = [f"{s}.{f.name}" for s, c in _SECTIONS.items() for f in dataclasses.fields(c)]
        raise ConfigError(f"{where}: unknown key {dotted!r}{near or suggest(dotted, every)}")
    return fields[key]
