"""Declared transforms: what a spec may ask of scikit-learn's own preprocessing per feature
(log, square, spline, bins, power), and calendar features of the time column, so model
selection can find that `log(traffic)` and the month of the year explain sales better than
the raw columns, and the saved Pipeline applies the same to every row it scores.

A spec names transform sets, `{feature: kind}` each; a candidate lists the sets its grid
chooses among (`none`: the raw columns). Every kind is a scikit-learn transformer, or a numpy
ufunc in a FunctionTransformer, which skops loads as trusted (ml/model_files.py): nothing of
this package is pickled into a model file.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from sklearn.base import TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    KBinsDiscretizer,
    OneHotEncoder,
    PolynomialFeatures,
    PowerTransformer,
    SplineTransformer,
    StandardScaler,
)

RAW = "none"  # the transform set of the raw columns
KINDS: dict[str, Callable[[], TransformerMixin]] = {
    # log(1 + x): defined at 0 (a month with no purchase), a log for large values
    "log": lambda: FunctionTransformer(np.log1p, feature_names_out="one-to-one"),
    "arcsinh": lambda: FunctionTransformer(np.arcsinh, feature_names_out="one-to-one"),
    "square": lambda: PolynomialFeatures(degree=2, include_bias=False),  # x and x squared
    "spline": lambda: SplineTransformer(n_knots=5, degree=3),
    "bins": lambda: KBinsDiscretizer(
        n_bins=5,
        encode="onehot-dense",
        strategy="quantile",
        quantile_method="averaged_inverted_cdf",
    ),
    "power": lambda: PowerTransformer(method="yeo-johnson", standardize=False),
}
CALENDAR = {"month": "month", "quarter": "quarter"}  # of the time column, as categories


def calendar_columns(time_column: str, calendar: list[str]) -> list[str]:
    return [f"{time_column}_{part}" for part in calendar]


def add_calendar(out: pd.DataFrame, times: pd.Series, time_column: str, calendar: list[str]):
    """The time column's month or quarter as categories ('1'..'12'): a month effect is a
    level per month, not a line through the month numbers."""
    stamps = pd.to_datetime(times)
    for part, column in zip(calendar, calendar_columns(time_column, calendar), strict=True):
        out[column] = getattr(stamps.dt, CALENDAR[part]).astype(str)


def numeric_steps(kind: str | None) -> Pipeline:
    """Median imputation (with a missing indicator), the transform, then scaling."""
    steps = [("impute", SimpleImputer(strategy="median", add_indicator=True))]
    if kind:
        steps.append((kind, KINDS[kind]()))
    return Pipeline([*steps, ("scale", StandardScaler())])


def prepare(
    numeric: list[str],
    categorical: list[str],
    calendar: list[str],
    default_kind: str | None = None,
    transform_set: dict[str, str] | None = None,
) -> ColumnTransformer:
    """The ColumnTransformer of one transform set: each listed feature through its own kind,
    the other numeric ones through `default_kind` (a candidate's numeric_transform)."""
    chosen = transform_set or {}
    plain = [c for c in numeric if c not in chosen]
    parts = [("numeric", numeric_steps(default_kind), plain)] if plain else []
    parts += [(f"{kind}_{c}", numeric_steps(kind), [c]) for c, kind in chosen.items()]
    encode = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
    if categorical or calendar:
        parts.append(("categorical", encode, [*categorical, *calendar]))
    return ColumnTransformer(parts)
