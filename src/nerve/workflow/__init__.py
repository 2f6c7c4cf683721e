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
5. **Evaluate against a baseline** (:func:`majority_baseline`, :func:`mean_baseline`,
   :func:`baseline_warnings`) with metrics suited to the problem, and plot the run.

The package is deliberately independent of nerve's tensors, so it can be used -- and tested --
on its own. Every mistake a user can make raises :class:`DataError` with a message that says
what was wrong and what was expected.

Example:
    >>> from nerve.workflow import make_toy, train_val_test_split, make_scaler
    >>> data = make_toy("circle", n_samples=200, noise=0.1, seed=0)
    >>> train, val, test = train_val_test_split(data.y, val=0.2, test=0.2, seed=0)
    >>> scaler = make_scaler("standard").fit(data.X[train])
    >>> scaler.transform(data.X[val]).shape
    (40, 2)
"""

from __future__ import annotations

from .csvschema import CsvSchema
from .data import TASKS, ArrayData
from .errors import DataError
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
]
