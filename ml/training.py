"""Training: time-ordered split, model selection with time-ordered CV, refit, in scikit-learn's
own terms (Pipeline, ColumnTransformer, GridSearchCV with a period-aware splitter).

Rows are (entity, period) pairs. Labels look forward from each period, so a training row whose
label window reaches into the test period would leak it: the split leaves `gap_periods` out
between training and test, and the CV folds do the same between their train and validation.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from ml.errors import DataError
from ml.specs import ModelSpec
from ml.transforms import RAW, add_calendar, calendar_columns, prepare

MISSING = "__missing__"


def feature_frame(df: pd.DataFrame, spec: ModelSpec) -> pd.DataFrame:
    """Uniform dtypes for the pipeline: warehouses hand back decimals, nullable ints and
    string dtypes that scikit-learn's transformers treat inconsistently."""
    out = pd.DataFrame(index=df.index)
    for c in spec.numeric_features:
        out[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
    for c in spec.categorical_features:
        out[c] = df[c].astype(object).where(df[c].notna(), MISSING).astype(str)
    if spec.calendar_features:
        add_calendar(out, df[spec.time_column], spec.time_column, spec.calendar_features)
    return out


def target_vector(df: pd.DataFrame, spec: ModelSpec) -> np.ndarray:
    y = pd.to_numeric(df[spec.target], errors="coerce").astype("float64").to_numpy()
    return y.astype(int) if spec.task == "classification" else y


def _prepare(spec: ModelSpec, numeric_transform: str | None, transform_set: str | None):
    chosen = spec.transform_sets.get(transform_set) if transform_set not in (None, RAW) else None
    calendar = calendar_columns(spec.time_column, spec.calendar_features)
    return prepare(
        spec.numeric_features, spec.categorical_features, calendar, numeric_transform, chosen
    )


class PeriodSplit:
    """Expanding-window CV over whole periods: each fold validates on a later block of periods
    and trains on everything at least `gap` periods before it. Never shuffles across time.

    By default the periods are cut into n_splits + 1 equal blocks, so the first fold trains on
    the first block alone. `block` sets the validation block's length instead: the folds are
    the last n_splits blocks, and each trains on all the history before it, which is closer to
    the final fit (a model that needs data is not judged on a fold that has almost none)."""

    def __init__(self, n_splits: int = 3, gap: int = 0, block: int | None = None):
        self.n_splits = n_splits
        self.gap = gap
        self.block = block

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        return self.n_splits

    def split(self, X, y=None, groups=None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        if groups is None:
            raise ValueError("PeriodSplit needs groups= (the period of each row)")
        groups = np.asarray(groups)
        periods = np.unique(groups)
        block = self.block or len(periods) // (self.n_splits + 1)
        if block < 1 or len(periods) - self.n_splits * block - self.gap < 1:
            raise DataError(
                f"{len(periods)} training periods are too few for {self.n_splits} time-ordered "
                f"folds with a gap of {self.gap}"
            )
        for k in range(self.n_splits):
            start = len(periods) - (self.n_splits - k) * block
            valid = periods[start : start + block]
            train = periods[: max(start - self.gap, 0)]
            if len(train) == 0:
                continue
            yield np.flatnonzero(np.isin(groups, train)), np.flatnonzero(np.isin(groups, valid))


@dataclass
class SplitFrames:
    train: pd.DataFrame
    test: pd.DataFrame
    test_periods: list
    train_periods: list


def temporal_split(df: pd.DataFrame, spec: ModelSpec) -> SplitFrames:
    periods = sorted(df[spec.time_column].unique())
    if spec.split.train_start is not None:  # rows before it are not trained on
        periods = [p for p in periods if pd.Timestamp(p) >= pd.Timestamp(spec.split.train_start)]
    if spec.split.test_end is not None:  # rows after it are neither trained nor tested on
        periods = [p for p in periods if pd.Timestamp(p) <= pd.Timestamp(spec.split.test_end)]
    if spec.split.test_start is not None:
        start = pd.Timestamp(spec.split.test_start)
        test_periods = [p for p in periods if pd.Timestamp(p) >= start]
    else:
        test_periods = periods[-spec.split.test_periods :]
    if not test_periods:
        raise DataError(f"no labelled rows from the test period on ({spec.split})")
    first_test = periods.index(test_periods[0])
    train_periods = periods[: max(first_test - spec.split.gap_periods, 0)]
    if not train_periods:
        raise DataError("empty training set: no labelled period before the test period and gap")
    return SplitFrames(
        train=df[df[spec.time_column].isin(train_periods)].reset_index(drop=True),
        test=df[df[spec.time_column].isin(test_periods)].reset_index(drop=True),
        test_periods=test_periods,
        train_periods=train_periods,
    )


@dataclass
class Selection:
    model: Pipeline
    candidate: str
    best_params: dict
    cv_results: list[dict]


def select_and_fit(spec: ModelSpec, train: pd.DataFrame, progress=None) -> Selection:
    """Grid-search every candidate with time-ordered CV, keep the best by the spec's metric;
    GridSearchCV refits the winner on all training (train + validation) periods."""
    X, y = feature_frame(train, spec), target_vector(train, spec)
    groups = train[spec.time_column].to_numpy()
    if spec.task == "classification" and len(np.unique(y)) < 2:
        raise DataError(f"target {spec.target!r} has a single class in the training set")
    cv = PeriodSplit(spec.split.cv_folds, spec.split.gap_periods, spec.split.cv_block_periods)
    results, best = [], None
    for candidate in spec.candidates:
        # the transform sets the grid chooses among, as whole preparation steps
        sets = candidate.transforms or [None]
        prepares = [_prepare(spec, candidate.numeric_transform, name) for name in sets]
        grid = {f"model__{k}": v for k, v in candidate.grid.items()}
        if len(sets) > 1:
            grid["prepare"] = prepares
        search = GridSearchCV(
            Pipeline([("prepare", prepares[0]), ("model", candidate.build(spec.random_state))]),
            grid or [{}],
            scoring=spec.selection_metric,
            cv=cv,
            refit=True,
            n_jobs=1,
            error_score="raise",
        )
        with warnings.catch_warnings(record=True) as caught:
            # LassoCV and friends warn once per fit: counted here, not streamed over the result
            warnings.simplefilter("always")
            search.fit(X, y, groups=groups)
        results.append(
            {
                "candidate": candidate.name,
                "estimator": candidate.estimator,
                "best_params": _named(search.best_params_, sets, prepares),
                "cv_score": float(search.best_score_),
                "cv_std": float(search.cv_results_["std_test_score"][search.best_index_]),
                **_warnings_summary(caught),
            }
        )
        if best is None or search.best_score_ > best[0].best_score_:
            best = (search, candidate.name)
        if progress:
            progress(candidate.name)
    search, name = best
    return Selection(
        search.best_estimator_,
        name,
        results[[r["candidate"] for r in results].index(name)]["best_params"],
        results,
    )


def _named(best: dict, sets: list[str | None], prepares: list) -> dict:
    """The winning params by name: the estimator's, and the transform set's (not the
    ColumnTransformer object the grid held)."""
    named = {k.removeprefix("model__"): v for k, v in best.items() if k != "prepare"}
    chosen = next(
        (n for n, p in zip(sets, prepares, strict=True) if p is best.get("prepare")), sets[0]
    )
    return {"transforms": chosen, **named} if chosen is not None else named


def _warnings_summary(caught: list[warnings.WarningMessage]) -> dict:
    """How many warnings a candidate's fits raised, and the first one, as one line."""
    first = f"{caught[0].category.__name__}: {caught[0].message}" if caught else ""
    return {"warnings": len(caught), "first_warning": " ".join(first.split())[:300]}


def warned(cv_result: dict) -> str:
    """A candidate's warning count and first warning, as one cell of a table."""
    count = cv_result.get("warnings", 0)  # versions trained before the count was kept: 0
    return f"{count}: {cv_result['first_warning']}" if count else "0"


def frame_fingerprint(df: pd.DataFrame, spec: ModelSpec) -> dict:
    """Enough to tell whether two runs trained on the same rows."""
    ordered = (
        df[spec.columns].sort_values([spec.time_column, *spec.id_columns]).reset_index(drop=True)
    )
    digest = hashlib.sha256(pd.util.hash_pandas_object(ordered, index=False).to_numpy().tobytes())
    times = df[spec.time_column]
    return {
        "rows": len(df),
        "time_min": str(times.min()),
        "time_max": str(times.max()),
        "sha256": digest.hexdigest(),
    }


def predict(model, spec: ModelSpec, X: pd.DataFrame) -> np.ndarray:
    """The score a model stands for: P(positive) for classifiers, the prediction otherwise."""
    if spec.task == "classification":
        return model.predict_proba(X)[:, 1]
    return model.predict(X)
