"""A spec checked before anything is fitted (`ml spec check`, and the first step of `ml train`):
what the YAML says (ml.specs.static_problems) and what the data makes of it. A model trained
on five rows, or judged on four, exits 0 with a headline nobody should read; a non-binary
target trains a multi-class model whose "probability" is one class's. Each is refused here,
one line each, exit 2 (the spec is what to change).

The minimums are deliberately low, what any metric needs to mean something, not a rule of
thumb for a good model: MIN_TEST_ROWS test rows, MIN_TRAIN_ROWS training rows, both classes
on each side of a classification split, and enough training periods for the time-ordered
folds (cv_folds blocks of validation after at least one training period and the gap).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.errors import DataError
from ml.specs import ModelSpec, read_spec_file, static_problems
from ml.training import PeriodSplit, SplitFrames, target_vector, temporal_split

MIN_TEST_ROWS = 10
MIN_TRAIN_ROWS = 20


@dataclass(frozen=True)
class CheckedSpec:
    """What the spec will train on, for `ml spec check` to show."""

    spec: ModelSpec
    relation: str
    split: SplitFrames

    def summary(self) -> list[tuple[str, str]]:
        def window(periods: list, rows: int) -> str:
            first, last = (pd.Timestamp(p).date() for p in (periods[0], periods[-1]))
            return f"{first} to {last}: {len(periods)} periods, {rows:,} rows"

        fits = sum(
            int(np.prod([len(v) for v in c.grid.values()] or [1])) for c in self.spec.candidates
        )
        return [
            ("source", self.relation),
            ("task", f"{self.spec.task}, target {self.spec.target}"),
            ("features", f"{len(self.spec.numeric_features)} numeric, "
                         f"{len(self.spec.categorical_features)} categorical"),
            ("train", window(self.split.train_periods, len(self.split.train))),
            ("test", window(self.split.test_periods, len(self.split.test))),
            ("candidates", f"{len(self.spec.candidates)} ({fits} settings x "
                           f"{self.spec.split.cv_folds} folds)"),
            ("selection", self.spec.selection_metric),
        ]  # fmt: skip


def spec_problems(specs_dir, name: str) -> list[str]:
    """Every problem of the spec file that shows without data, each prefixed by its path."""
    path, raw = read_spec_file(specs_dir, name)
    return [f"{path}: {problem}" for problem in static_problems(raw)]


def data_problems(df: pd.DataFrame, spec: ModelSpec) -> tuple[list[str], SplitFrames]:
    """The labelled rows against the spec: the target's values and the split's windows.
    An empty training or test window stays a DataError (exit 4), as in `ml train`."""
    found = []
    if spec.task == "classification":
        values = pd.Series(pd.unique(df[spec.target].dropna()))
        numeric = pd.to_numeric(values, errors="coerce")
        if numeric.isna().any() or not set(numeric.astype(float)) <= {0.0, 1.0}:
            shown = ", ".join(sorted(map(str, values))[:6])
            found.append(
                f"target {spec.target!r} is not binary 0/1 (it holds {shown}): "
                "classification here predicts P(1); recode it in SQL or use task: regression"
            )
    split = temporal_split(df, spec)
    for side, frame, periods, minimum in (
        ("test", split.test, split.test_periods, MIN_TEST_ROWS),
        ("training", split.train, split.train_periods, MIN_TRAIN_ROWS),
    ):
        if len(frame) < minimum:
            found.append(
                f"the {side} window holds {len(frame)} rows in {len(periods)} periods, fewer than "
                f"the {minimum} a {side} metric needs: widen it in the spec's split"
            )
        elif spec.task == "classification" and not found:
            classes = np.unique(target_vector(frame, spec))
            if len(classes) < 2:
                found.append(
                    f"the {side} window holds only class {classes[0]} of {spec.target!r}: "
                    "no ROC AUC or log loss can be computed; move or widen it"
                )
    cv = PeriodSplit(spec.split.cv_folds, spec.split.gap_periods, spec.split.cv_block_periods)
    try:
        next(cv.split(split.train, groups=split.train[spec.time_column].to_numpy()))
    except DataError as exc:
        found.append(f"{exc}: lower cv_folds or cv_block_periods, or start training earlier")
    return found, split
