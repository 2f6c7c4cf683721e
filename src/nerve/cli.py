"""The ``nerve`` command line: ``nerve train``, ``nerve evaluate``, ``nerve predict``.

The CLI is thin: it parses arguments into a :class:`~nerve.workflow.config.RunConfig`, calls the
workflow and prints what comes back. A mistake a user can make -- a bad config key or value, a
missing file, a CSV with a bad cell, an existing output directory -- ends with a one-line
message on stderr and exit code 2, never a traceback; anything else is a bug and still shows
its traceback.

Examples::

    nerve train                                   # the lecture's 2-8-1 network on XOR data
    nerve train --data digits --hidden 64 --activation relu --optimizer adam --lr 1e-3 \\
        --batch-size 32 --epochs 30
    nerve train --data houses.csv --target price --early-stopping 10
    nerve train --config run.toml --epochs 50     # options override the file
    nerve evaluate runs/xor-0001
    nerve predict runs/xor-0001 points.csv --out predictions.csv
    mpirun -n 4 nerve train --data digits --batch-size 64   # data-parallel over 4 processes

Under ``mpirun`` (or another MPI launcher) with more than one process, ``nerve train`` joins
the processes into a :mod:`nerve.distributed` group and trains data-parallel; rank 0 prints
and writes the run directory. An error on any rank ends the whole job: a user's mistake is
printed once (by rank 0) and exits with code 2, anything else shows the failing rank's
traceback and exits non-zero. ``evaluate`` and ``predict`` run on rank 0 only.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import os
import sys
import tempfile
import textwrap
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nerve.playground import cli as playground_cli

__all__ = ["main", "build_parser"]

# Options of `nerve train` and the config key each one sets: (flag, key, metavar, help).
_TRAIN_OPTIONS = [
    (
        "--data",
        "data.source",
        "SRC",
        "toy set (xor, circle, ...), scikit-learn set (digits, ...), mnist, an image folder "
        "(one sub-folder per class), a folder of MNIST IDX files, or a CSV file",
    ),
    ("--model", "model.type", "TYPE", "mlp (fully connected) or cnn (convolutional, images)"),
    ("--channels", "model.channels", "SIZES", "cnn: channels of each conv block, e.g. 16,32"),
    ("--augment", "data.augment", "KINDS", "cnn: flip, crop and/or rotate, e.g. flip,crop"),
    ("--target", "data.target", "COLUMN", "CSV: the column to predict"),
    ("--task", "data.task", "TASK", "CSV: binary, multiclass or regression (default: inferred)"),
    ("--n-samples", "data.n_samples", "N", "toy data: number of points"),
    ("--noise", "data.noise", "X", "toy data: noise 0..1"),
    ("--hidden", "model.hidden", "SIZES", "hidden layer sizes, e.g. 64,32"),
    (
        "--activation",
        "model.activation",
        "NAME",
        "relu, tanh, sigmoid, leaky_relu, gelu, elu, "
        "silu or linear; one, or one per layer (relu,tanh)",
    ),
    ("--dropout", "model.dropout", "P", "dropout probability after each hidden layer"),
    ("--loss", "model.loss", "NAME", "mse, bce, bce_with_logits, cross_entropy, l1 or huber"),
    ("--optimizer", "optimizer.name", "NAME", "sgd, adam, adamw, rmsprop or adagrad"),
    ("--lr", "optimizer.lr", "LR", "learning rate"),
    ("--momentum", "optimizer.momentum", "M", "sgd/rmsprop momentum"),
    (
        "--scheduler",
        "schedule.name",
        "NAME",
        "none, step, multistep, exponential, cosine, "
        "onecycle or plateau (options: --set schedule.KEY=VALUE)",
    ),
    ("--epochs", "training.epochs", "N", "passes over the training data"),
    ("--batch-size", "training.batch_size", "N", "samples per optimizer step"),
    ("--seed", "training.seed", "N", "seed of the weights and the shuffling"),
    ("--weight-decay", "regularization.weight_decay", "WD", "the optimizer's weight decay"),
    ("--l1", "regularization.l1", "X", "L1 penalty on the weights"),
    ("--grad-clip", "regularization.grad_clip", "NORM", "clip the gradient norm"),
    (
        "--early-stopping",
        "training.early_stopping",
        "PATIENCE",
        "stop after PATIENCE epochs without improvement of --monitor and keep the best weights",
    ),
    ("--monitor", "training.monitor", "KEY", "val_loss (default), val_accuracy, train_loss ..."),
    ("--scaler", "preprocess.scaler", "NAME", "standard, minmax or none"),
    ("--val", "preprocess.val", "FRAC", "validation fraction"),
    ("--test", "preprocess.test", "FRAC", "test fraction"),
    ("--imbalance", "preprocess.imbalance", "HOW", "none, class_weights or sampler"),
    ("--device", "training.device", "DEV", "cpu or cuda"),
    ("--out", "output.dir", "DIR", "the run directory (default: a fresh runs/<data>-NNNN)"),
    ("--runs-dir", "output.root", "DIR", "parent of fresh run directories (default: runs)"),
]
_TRAIN_FLAGS = [
    ("--batch-norm", "model.batch_norm", "true", "batch normalisation in each hidden layer"),
    ("--no-stratify", "preprocess.stratify", "false", "do not stratify the split by class"),
    ("--no-plots", "output.plots", "false", "do not write plots/*.png"),
]


class _UserError(Exception):
    """Raised for argument mistakes found after parsing; shown like the workflow's errors."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, with one subparser per command."""
    from nerve.workflow.config import option_help

    parser = argparse.ArgumentParser(
        prog="nerve",
        description="Train, evaluate and use small neural networks, following the lecture's "
        "four steps: process the data, define the model, optimize, evaluate.",
    )
    from nerve import __version__

    parser.add_argument("--version", action="version", version=f"nerve {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    train = sub.add_parser(
        "train",
        help="train a network and write a run directory",
        description=textwrap.fill(
            "Train a network and write a run directory. Without options: the lecture's "
            "network (2 inputs, 8 hidden tanh units, 1 sigmoid output, SGD with learning rate "
            "0.01, binary cross entropy) on XOR data. Options override --config, which "
            "overrides the defaults.",
            width=88,
        ),
        epilog="every config key (set with --set KEY=VALUE or in the TOML file):\n" + option_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    train.add_argument("--config", metavar="FILE.toml", help="read the run config from a file")
    for flag, key, metavar, text in _TRAIN_OPTIONS:
        train.add_argument(flag, dest=key, metavar=metavar, help=f"{text} [{key}]")
    for flag, key, value, text in _TRAIN_FLAGS:
        train.add_argument(flag, dest=key, action="store_const", const=value, help=text)
    train.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set any config key, e.g. --set schedule.step_size=5",
    )
    train.add_argument("--overwrite", action="store_true", help="replace an existing --out dir")
    train.add_argument(
        "--resume",
        metavar="RUN",
        help="continue a killed run from its last checkpoint: the staging directory it names "
        "when stopped (runs/.xor.1a2b3c4d.partial), or the --out directory it was started with",
    )
    train.add_argument("--quiet", action="store_true", help="print only the run directory")

    evaluate = sub.add_parser(
        "evaluate",
        help="re-evaluate a saved run",
        description="Evaluate a saved run beside the baseline: on its own train/validation/"
        "test splits, or on all of another data set given with --data.",
    )
    evaluate.add_argument("run_dir", metavar="RUN_DIR")
    evaluate.add_argument("--data", metavar="SRC", help="another data set or CSV file")
    evaluate.add_argument("--target", metavar="COLUMN", help="CSV: the target column")

    predict = sub.add_parser(
        "predict",
        help="predict the rows of a CSV file, or images",
        description="Write predictions for the rows of INPUT.csv as CSV: the class and one "
        "probability per class, or the regression value. The file needs the feature columns "
        "the model was trained on (named as in training; x1, x2 for toy data). For a run "
        "trained on images, INPUT may be an image file or a folder of images: one line per "
        "image with its predicted class and probability (images are resized to the run's "
        "size).",
    )
    predict.add_argument("run_dir", metavar="RUN_DIR")
    predict.add_argument("input", metavar="INPUT")
    predict.add_argument("--out", metavar="FILE", help="write here instead of to stdout")
    playground_cli.add_parser(sub)
    return parser


# Environment variables that MPI launchers set in every process they start.
_MPI_SIZE_VARS = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE")
# How long a rank other than 0 waits, after a user error, for rank 0 to report the same error
# and end the job; only then does it report its own (the error happened on that rank alone).
_USER_ERROR_GRACE_S = 3.0


def mpi_launch_size() -> int:
    """The number of processes of the MPI job this process was started in by ``mpirun`` (or
    ``srun``, ``mpiexec`` ...), from the launcher's environment; 1 outside one.

    With only PMIx's rank variable set (no size), returns 2 to mean "ask MPI"."""
    for name in _MPI_SIZE_VARS:
        value = os.environ.get(name, "")
        if value.strip().isdigit():
            return int(value)
    return 2 if "PMIX_RANK" in os.environ else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 success, 2 a user's mistake).

    Started by an MPI launcher with more than one process, ``train`` runs data-parallel over
    all of them (see the module doc)."""
    parser = build_parser()
    if mpi_launch_size() > 1 and _launch_rank() != 0:
        # Every rank parses the same arguments: only rank 0 shows --help or a usage error.
        try:
            with (
                contextlib.redirect_stdout(io.StringIO()),
                contextlib.redirect_stderr(io.StringIO()),
            ):
                args = parser.parse_args(argv)
        except SystemExit as stop:
            if stop.code:  # a usage error: leaving now could end the job before rank 0 says why
                time.sleep(_USER_ERROR_GRACE_S)
            raise
    else:
        args = parser.parse_args(argv)
    if args.command != "playground" and mpi_launch_size() > 1:
        return _main_mpi(args)
    return _dispatch(args)


def _launch_rank() -> int:
    """This process's rank from the MPI launcher's environment (0 when it does not say)."""
    for name in ("OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK"):
        value = os.environ.get(name, "")
        if value.strip().isdigit():
            return int(value)
    return 0


def _main_mpi(args: argparse.Namespace) -> int:
    """``_dispatch`` on every rank of an MPI job, so that any rank's failure ends the job."""
    import nerve.distributed as dist

    with dist.abort_on_error():  # a bug on any rank: its traceback, then MPI Abort
        if not dist.is_initialized():
            dist.init_process_group("mpi")
        world, rank = dist.get_world_size(), dist.get_rank()
        if world == 1:  # launched alone (mpirun -n 1): nothing to share
            dist.destroy_process_group()
            return _dispatch(args)
        if args.command != "train":
            code = _dispatch(args) if rank == 0 else 0
        else:
            code = _dispatch(args, on_user_error=_abort_job)
        dist.destroy_process_group()
        return code


def _abort_job(message: str, code: int) -> None:
    """A user's mistake on one rank of a data-parallel job: report it once and end the job.

    Usually every rank makes the same mistake at the same moment (a bad option, a missing
    file): rank 0 prints it and aborts every rank. A rank other than 0 first gives rank 0 a
    moment to do so, and only reports the error itself when it is the only one to have it
    (rank 0 is then waiting for it in a collective)."""
    from nerve.distributed.process_group import mpi

    world = mpi().COMM_WORLD
    rank = world.Get_rank()
    if rank != 0:
        time.sleep(_USER_ERROR_GRACE_S)
        message = f"{message} (on rank {rank} of {world.Get_size()})"
    print(message, file=sys.stderr, flush=True)
    sys.stdout.flush()
    world.Abort(code)


def _dispatch(args: argparse.Namespace, on_user_error: Any = None) -> int:
    """Run the parsed command; a user's mistake becomes a message and exit code 2 (or, under
    MPI, goes to ``on_user_error(message, code)``, which ends the job)."""
    from nerve.workflow.errors import ConfigError, DataError
    from nerve.workflow.staging import OutputError

    try:
        if args.command == "playground":
            return playground_cli.run(args)
        if args.command == "train":
            return _train(args)
        if args.command == "evaluate":
            return _evaluate(args)
        return _predict(args)
    except (
        DataError,
        ConfigError,
        OutputError,
        _UserError,
        FileNotFoundError,
        FileExistsError,
        NotADirectoryError,
        IsADirectoryError,
        PermissionError,
    ) as err:
        message = str(err) if not isinstance(err, OSError) or not err.filename else _os_message(err)
        if on_user_error is not None:
            on_user_error(f"nerve {args.command}: error: {message}", 2)
        print(f"nerve {args.command}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"nerve {args.command}: interrupted", file=sys.stderr)
        return 130
    except OSError as err:
        if err.errno is None:  # not from the operating system: a bug, show the traceback
            raise
        # The disk filled up, a device failed, a quota ran out: what and where, no traceback.
        print(f"nerve {args.command}: error: {_os_message(err)}", file=sys.stderr)
        return 1


def _os_message(err: OSError) -> str:
    where = f": '{err.filename}'" if err.filename else ""
    return f"{err.strerror or err}{where}"


def _train(args: argparse.Namespace) -> int:
    from nerve.workflow.config import RunConfig, data_kind, load_config
    from nerve.workflow.runner import resume_run, run

    if args.resume is not None:
        given = [f for f, key, *_ in [*_TRAIN_OPTIONS, *_TRAIN_FLAGS] if getattr(args, key)]
        given += ["--config"] * bool(args.config) + ["--set"] * bool(args.set)
        if given or args.overwrite:
            first = (given or ["--overwrite"])[0]
            raise _UserError(f"--resume continues a run as it was configured; drop {first}")
        resume_run(args.resume, quiet=args.quiet, out=sys.stdout)
        return 0

    cfg = load_config(args.config) if args.config else RunConfig()
    overrides: dict[str, str] = {}
    for _, key, *_ in [*_TRAIN_OPTIONS, *_TRAIN_FLAGS]:
        value = getattr(args, key)
        if value is not None:
            overrides[key] = value
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep:
            raise _UserError(f"--set expects KEY=VALUE, got {item!r}")
        overrides[key.strip()] = value
    source = overrides.get("data.source")
    if source is not None and data_kind(source, "--data") != "csv":
        # A new non-CSV source drops the config file's CSV-only keys instead of failing on them.
        overrides.setdefault("data.target", "")
        overrides.setdefault("data.task", "")
    cfg = cfg.override(overrides, where="options")
    run(cfg, overwrite=args.overwrite, quiet=args.quiet, out=sys.stdout)
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from nerve.workflow.config import data_kind
    from nerve.workflow.rundir import load_run
    from nerve.workflow.runner import evaluate_saved, metrics_table

    saved = load_run(args.run_dir)
    cfg = None
    if args.data or args.target:
        if saved.config is None:
            raise _UserError(f"'{args.run_dir}' has no config.toml")
        if not args.data:
            raise _UserError("--target needs --data naming the CSV file")
        target = args.target or ""
        if not target and saved.schema is not None and data_kind(args.data, "--data") == "csv":
            target = saved.schema.target  # a CSV run knows its target column
        overrides = {"data.source": args.data, "data.target": target, "data.task": ""}
        cfg = saved.config.override(overrides, where="options")
    metrics = evaluate_saved(saved, cfg)
    print(metrics_table(metrics))
    for warning in metrics["warnings"]:
        print(f"warning: {warning}")
    return 0


def _predict(args: argparse.Namespace) -> int:
    from nerve.workflow.rundir import load_run

    saved = load_run(args.run_dir)
    if args.out is not None:
        _check_writable(Path(args.out))  # before any work, not after it
    shape = getattr(saved.spec, "input_shape", None)
    if shape is not None and not str(args.input).lower().endswith(".csv"):
        header, rows = _predict_images(saved, args.input, tuple(shape))
    else:
        header, rows = saved.prediction_table(saved.read_features(args.input))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    if args.out is None:
        sys.stdout.write(buffer.getvalue())
        return 0
    _write_atomic(Path(args.out), buffer.getvalue())
    print(f"wrote {len(rows)} predictions to {args.out}", file=sys.stderr)
    return 0


def _predict_images(saved: Any, path: str, shape: tuple[int, int, int]) -> tuple[list, list]:
    """``file, prediction, probability`` for an image or each image of a folder."""
    from nerve.workflow.images import read_images

    files, rows = read_images(path, shape)
    proba = saved.predict_proba(rows)
    labels = proba.argmax(axis=1)
    table = [
        [f, saved.class_names[k], f"{proba[i, k]:.4f}"]
        for i, (f, k) in enumerate(zip(files, labels))
    ]
    return ["file", "prediction", "probability"], table


def _check_writable(path: Path) -> None:
    """Raise the OSError that writing ``path`` would meet: a directory in the way, a missing
    or read-only folder."""
    if path.is_dir():
        raise IsADirectoryError(21, "Is a directory", str(path))
    if not path.parent.is_dir():
        raise FileNotFoundError(2, "No such directory", str(path.parent))
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise PermissionError(13, "Permission denied", str(path.parent))


def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename it into place."""
    _check_writable(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


if __name__ == "__main__":
    sys.exit(main())
