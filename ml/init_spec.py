"""`ml init-spec`: a commented spec written from a relation's columns and types, so a user
with a loaded spreadsheet does not copy a 40-line YAML and type every column name.

The guesses, each said in a comment the user can correct: numbers are numeric features,
text and booleans categorical; the target, the time column and ids (`id`, `*_id`) are left
out; the task is classification when the target holds only 0 and 1. A `log` transform set
covers the numeric features that are never negative and take more than two values (counts,
amounts, indexes), and the default candidates let selection decide whether it helps:
linear with and without it, regularised linear (ridge, lasso), gradient boosting.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from ml.errors import DataError, SpecError
from ml.specs import SPEC_NAME

NUMERIC_TYPES = ("INT", "DOUBLE", "FLOAT", "DECIMAL", "NUMERIC", "REAL", "BIGNUMERIC")
TIME_TYPES = ("DATE", "TIMESTAMP")

CANDIDATES = {
    "regression": [
        ("linear", "sklearn.linear_model.LinearRegression", {}, {}),
        ("ridge", "sklearn.linear_model.Ridge", {}, {"alpha": [0.1, 1.0, 10.0]}),
        # drops the columns that do not help: a dozen indexes of which a few matter
        ("lasso", "sklearn.linear_model.Lasso", {"max_iter": 20000}, {"alpha": [0.01, 0.1, 1.0]}),
        ("gradient_boosting", "sklearn.ensemble.HistGradientBoostingRegressor",
         {"max_iter": 200, "min_samples_leaf": 10}, {"learning_rate": [0.05, 0.1]}),
    ],
    "classification": [
        ("logistic", "sklearn.linear_model.LogisticRegression", {"max_iter": 2000},
         {"C": [0.1, 1.0, 10.0]}),
        ("gradient_boosting", "sklearn.ensemble.HistGradientBoostingClassifier",
         {"max_iter": 200, "min_samples_leaf": 20}, {"learning_rate": [0.05, 0.1]}),
    ],
}  # fmt: skip
METRIC = {"regression": "neg_mean_absolute_error", "classification": "roc_auc"}


def draft(
    name: str, source: str, target: str, time_column: str, columns: dict[str, str], data
) -> str:
    """The spec's text. `data` is the relation's rows (a DataFrame) the guesses read."""
    if not SPEC_NAME.fullmatch(name):
        raise SpecError(f"spec name {name!r}: use letters, digits, '_' and '-'")
    lower = {c.lower(): c for c in columns}
    for role, column in (("target", target), ("time column", time_column)):
        if column.lower() not in lower:
            raise DataError(f"{source} has no column {column!r} for the {role}")
    target, time_column = lower[target.lower()], lower[time_column.lower()]
    if not any(t in columns[time_column].upper() for t in TIME_TYPES):
        raise DataError(
            f"time column {time_column!r} of {source} is {columns[time_column].lower()}, not a "
            "date: load the file with `ml load-csv` (it reads dates as people write them)"
        )
    ids = [c for c in columns if c.lower() == "id" or c.lower().endswith("_id")]
    rest = [c for c in columns if c not in (target, time_column, *ids)]
    numeric = [c for c in rest if any(t in columns[c].upper() for t in NUMERIC_TYPES)]
    categorical = [c for c in rest if c not in numeric]
    values = pd.to_numeric(data[target], errors="coerce").dropna().unique()
    task = "classification" if len(values) and set(values) <= {0, 1} else "regression"
    logged = [c for c in numeric if _loggable(data[c])]
    periods = data[time_column].nunique()
    why = "the target holds only 0 and 1" if task == "classification" else "a numeric target"
    lines = [
        f"# {name}: drafted by `ml init-spec` from {source}; check the guesses, then",
        f"# `ml spec check {name}` and `ml train {name}` (docs/ml.md).",
        f"name: {name}",
        f"description: {target} from {source} ({task}).",
        f"task: {task}    # {why}",
        f"source: {source}",
        f"id_columns: {_flow(ids)}    # left out of the features",
        f"time_column: {time_column}",
        f"target: {target}",
        "features:  # numbers numeric, the rest categorical: move a code or a 0/1 flag if wrong",
        f"  numeric: {_flow(numeric)}",
        f"  categorical: {_flow(categorical)}",
        "  # calendar: [month]   # the time column's month of year as a category (or quarter)",
        "# transform sets the candidates choose among (log, square, spline, bins, power, arcsinh):",
        "# log covers the numeric features never negative and with more than two values",
        "transforms:" if logged else "# transforms:",
        f"  log: {_flow_map(logged)}" if logged else "#   log: {feature: log}",
        "split:",
        f"  test_periods: {max(2, periods // 5)}    # the last fifth of {periods} periods",
        "  gap_periods: 0       # periods left out between training and test (a label window)",
        "  cv_folds: 3          # time-ordered folds of the training periods",
        f"selection_metric: {METRIC[task]}",
        "random_state: 42",
        "candidates:",
    ]  # fmt: skip
    for label, estimator, params, grid in CANDIDATES[task]:
        lines += [f"  - name: {label}", f"    estimator: {estimator}"]
        if params:
            lines.append(f"    params: {_flow_map(params)}")
        if grid:
            lines.append(f"    grid: {_flow_map(grid)}")
        if logged and "gradient" not in label:  # trees do not care about a monotone transform
            lines.append("    transforms: [none, log]")
    return "\n".join(lines) + "\n"


def _loggable(values: pd.Series) -> bool:
    numbers = pd.to_numeric(values, errors="coerce").dropna()
    return len(numbers) > 0 and numbers.min() >= 0 and numbers.nunique() > 2


def _flow(items: list[str]) -> str:
    return yaml.safe_dump(list(items), default_flow_style=True, width=10_000).strip()


def _flow_map(mapping: dict | list) -> str:
    items = {c: "log" for c in mapping} if isinstance(mapping, list) else mapping
    return yaml.safe_dump(items, default_flow_style=True, width=10_000, sort_keys=False).strip()


def write(path: Path, text: str, force: bool) -> None:
    if path.exists() and not force:
        raise SpecError(f"{path} exists: pass --force to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
