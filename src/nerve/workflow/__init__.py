"""The machine-learning workflow around a model, in NumPy: data in, honest numbers out.

It follows the steps of an introductory deep-learning lecture:

1. **Process the data** -- toy 2-D sets (:func:`make_toy`), scikit-learn's bundled sets
   (:func:`load_sklearn`) or a CSV file (:func:`load_csv`), all returned as :class:`ArrayData`;
   a CSV's text columns are one-hot encoded by a :class:`CsvSchema` that is saved for
   prediction time.
2. **Split** into training, validation and test parts (:func:`train_val_test_split`),
   stratified by class.
3. **Normalise** with a scaler fitted on the training part only (:func:`make_scaler`).
4. **Handle imbalance** -- see it (:func:`imbalance_report`), then weight the loss
   (:func:`class_weights`) or the sampling (:func:`sample_weights`).
5. **Define the model** from a :class:`ModelSpec` (:func:`build_model`, :func:`build_loss`)
   and **train** it with a :class:`Trainer` (history, callbacks such as
   :class:`EarlyStopping` and :class:`ModelCheckpoint`, progress bar, seeds).
6. **Evaluate against a baseline** (:func:`majority_baseline`, :func:`mean_baseline`,
   :func:`baseline_warnings`) with metrics suited to the problem, and plot the run.

:func:`run` does all of it from a :class:`RunConfig` (TOML file or ``nerve train`` options) and
writes a run directory; :func:`load_run` reads one back to evaluate or predict.

The data modules (loading, splitting, scaling, metrics, plots) use only NumPy, so they can be
used -- and tested -- on their own; the model, trainer and run modules use nerve's public
``nn`` / ``optim`` / ``utils.data`` API exactly as a user script would. Every mistake a user
can make raises :class:`DataError` (or :class:`ConfigError` for a run configuration) with a
message that says what was wrong and what was expected.

Example:
    >>> from nerve.workflow import make_toy, train_val_test_split, make_scaler
    >>> data = make_toy("circle", n_samples=200, noise=0.1, seed=0)
    >>> train, val, test = train_val_test_split(data.y, val=0.2, test=0.2, seed=0)
    >>> scaler = make_scaler("standard").fit(data.X[train])
    >>> scaler.transform(data.X[val]).shape
    (40, 2)
"""

from __future__ import annotations

from .callbacks import Callback, EarlyStopping, LambdaCallback, ModelCheckpoint
from .config import RunConfig, load_config
from .csvschema import CsvSchema
from .data import TASKS, ArrayData
from .errors import ConfigError, DataError
from .metrics import (
    accuracy,
    balanced_accuracy,
    baseline_warnings,
    classification_report,
    confusion_matrix,
    f1,
    format_metrics_table,
    greater_is_better,
    mae,
    main_metric,
    majority_baseline,
    mean_baseline,
    mse,
    precision,
    r2,
    recall,
    regression_report,
    roc_auc,
)
from .model import (
    ACTIVATIONS,
    LOSSES,
    ModelSpec,
    build_loss,
    build_model,
    predict_labels,
    predict_proba,
)
from .plots import plot_confusion_matrix, plot_decision_boundary, plot_history
from .preprocess import (
    SCALERS,
    MinMaxScaler,
    NoScaler,
    StandardScaler,
    class_counts,
    class_weights,
    imbalance_report,
    make_scaler,
    sample_weights,
    scaler_from_state_dict,
)
from .rundir import SavedRun, load_run
from .runner import RunResult, TrainingDiverged, evaluate_saved, resume_run, run
from .split import split_sizes, train_val_test_split
from .tabular import (
    SKLEARN_DATASETS,
    load_csv,
    load_csv_features,
    load_csv_features_text,
    load_csv_text,
    load_sklearn,
)
from .toy import TOY_DATASETS, make_imbalanced, make_toy
from .trainer import History, Trainer, evaluate_model

__all__ = [
    # errors and data
    "DataError",
    "ArrayData",
    "TASKS",
    # data sources
    "TOY_DATASETS",
    "make_toy",
    "make_imbalanced",
    "SKLEARN_DATASETS",
    "load_sklearn",
    "CsvSchema",
    "load_csv",
    "load_csv_text",
    "load_csv_features",
    "load_csv_features_text",
    # splitting
    "train_val_test_split",
    "split_sizes",
    # preprocessing and imbalance
    "StandardScaler",
    "MinMaxScaler",
    "NoScaler",
    "SCALERS",
    "make_scaler",
    "scaler_from_state_dict",
    "class_counts",
    "imbalance_report",
    "class_weights",
    "sample_weights",
    # metrics and baselines
    "accuracy",
    "balanced_accuracy",
    "precision",
    "recall",
    "f1",
    "confusion_matrix",
    "roc_auc",
    "mse",
    "mae",
    "r2",
    "classification_report",
    "regression_report",
    "majority_baseline",
    "mean_baseline",
    "baseline_warnings",
    "main_metric",
    "greater_is_better",
    "format_metrics_table",
    # plots
    "plot_history",
    "plot_decision_boundary",
    "plot_confusion_matrix",
    # models and training
    "ACTIVATIONS",
    "LOSSES",
    "ModelSpec",
    "build_model",
    "build_loss",
    "predict_proba",
    "predict_labels",
    "Trainer",
    "History",
    "evaluate_model",
    "Callback",
    "EarlyStopping",
    "ModelCheckpoint",
    "LambdaCallback",
    # runs
    "ConfigError",
    "RunConfig",
    "load_config",
    "run",
    "resume_run",
    "TrainingDiverged",
    "RunResult",
    "load_run",
    "SavedRun",
    "evaluate_saved",
]
