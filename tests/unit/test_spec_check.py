"""A spec checked before anything is fitted: the YAML's problems (keys, candidates) and the
data's (target, windows), one line each, exit 2 (ml/spec_check.py)."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from ml.cli import app
from ml.errors import SpecError
from ml.spec_check import MIN_TEST_ROWS, data_problems
from ml.specs import load_spec, parse_spec, static_problems

GOOD = {
    "name": "visits",
    "task": "regression",
    "source": "scratch.visits",
    "id_columns": ["store"],
    "time_column": "day",
    "target": "visits",
    "features": {"numeric": ["x"]},
    "split": {"test_periods": 2, "cv_folds": 2},
    "candidates": [
        {"name": "ols", "estimator": "sklearn.linear_model.LinearRegression"},
        {"name": "ridge", "estimator": "sklearn.linear_model.Ridge", "grid": {"alpha": [1, 10]}},
    ],
}


def _with(**changes) -> dict:
    raw = copy.deepcopy(GOOD)
    for dotted, value in changes.items():
        *parents, key = dotted.split("__")
        node = raw
        for parent in parents:
            node = node[int(parent)] if parent.isdigit() else node[parent]
        node[key] = value
    return raw


def test_a_good_spec_has_no_problems():
    assert static_problems(GOOD) == []


@pytest.mark.parametrize(
    ("raw", "line"),
    [
        ({**GOOD, "populaton": "is_eligible"}, "unknown key 'populaton' in the spec (did you mean "
         "'population'?)"),
        (_with(split__tset_periods=3), "unknown key 'tset_periods' in split (did you mean "
         "'test_periods'?)"),
        (_with(features__numerical=["x"]), "unknown key 'numerical' in features (did you mean "
         "'numeric'?)"),
        (_with(candidates__1__grid={"alpah": [1]}), "candidate ridge: grid key 'alpah' is not a "
         "parameter of Ridge (did you mean 'alpha'?)"),
        (_with(candidates__1__params={"Alpha": 1}), "params key 'Alpha' is not a parameter of "
         "Ridge (did you mean 'alpha'?)"),
        (_with(candidates__0__estimator="sklearn.linear_model.LogisticRegression"),
         "candidate ols: LogisticRegression is not a regressor, and the spec's task is "
         "regression"),
        (_with(task="classification"), "candidate ols: LinearRegression is not a classifier"),
        (_with(candidates__0__estimator="sklearn.linear_model.NoSuchModel"),
         "candidate ols: estimator 'sklearn.linear_model.NoSuchModel' does not exist"),
        (_with(candidates__1__grid={"alpha": 1}), "candidate ridge: grid 'alpha' must be a "
         "non-empty list"),
        (_with(candidates__0__estimator="sklearn.ensemble.StackingRegressor"),
         "candidate ols: StackingRegressor needs arguments a spec cannot give"),
        (_with(candidates__0__estimatr="x"), "unknown key 'estimatr' in candidate ols"),
        ({k: v for k, v in GOOD.items() if k != "target"}, "missing required key 'target'"),
        (_with(task="forecast"), "task must be classification or regression, got 'forecast'"),
    ],
)  # fmt: skip
def test_each_problem_is_one_line_naming_what_to_change(raw, line):
    problems = static_problems(raw)
    assert any(line in p for p in problems), problems
    assert all("\n" not in p for p in problems)
    with pytest.raises(SpecError, match=r"^spec\.yml: "):
        parse_spec(raw, Path("spec.yml"))


def test_loading_stops_at_the_first_and_points_at_spec_check():
    raw = _with(split__tset_periods=3, candidates__1__grid={"alpah": [1]})
    with pytest.raises(SpecError, match=r"\(and 1 more: ml spec check visits\)$"):
        parse_spec(raw, Path("visits.yml"))


def _frame(periods: int, per_period: int, freq: str = "MS", target=None) -> pd.DataFrame:
    days = pd.date_range("2024-01-01", periods=periods, freq=freq)
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "store": np.tile(np.arange(per_period), periods),
            "day": np.repeat(days, per_period),
            "x": rng.normal(size=periods * per_period),
        }
    )
    df["visits"] = df.x * 2 if target is None else target(len(df))
    return df


def _spec(tmp_path: Path, raw: dict):
    (tmp_path / f"{raw['name']}.yml").write_text(yaml.safe_dump(raw))
    return load_spec(tmp_path, raw["name"])


def test_enough_data_passes(tmp_path):
    problems, split = data_problems(_frame(24, 10), _spec(tmp_path, GOOD))
    assert problems == [] and len(split.test_periods) == 2


def test_four_test_periods_of_daily_data_are_too_few_rows(tmp_path):
    spec = _spec(tmp_path, _with(split__test_periods=4))
    problems, _ = data_problems(_frame(400, 1, freq="D"), spec)
    assert problems == [
        f"the test window holds 4 rows in 4 periods, fewer than the {MIN_TEST_ROWS} a test "
        "metric needs: widen it in the spec's split"
    ]


def test_a_classification_target_must_be_binary_and_both_classes_on_each_side(tmp_path):
    raw = _with(task="classification", target="visits")
    raw["candidates"] = [{"name": "lr", "estimator": "sklearn.linear_model.LogisticRegression"}]
    spec = _spec(tmp_path, raw)
    problems, _ = data_problems(_frame(24, 10, target=lambda n: np.arange(n) % 3), spec)
    assert problems[0].startswith("target 'visits' is not binary 0/1 (it holds 0, 1, 2)")
    # a test window of churners only
    ones_late = _frame(24, 10, target=lambda n: (np.arange(n) >= n - 20).astype(int))
    problems, _ = data_problems(ones_late, spec)
    assert problems == [
        "the test window holds only class 1 of 'visits': no ROC AUC or log loss can be "
        "computed; move or widen it"
    ]


def test_too_few_training_periods_for_the_folds(tmp_path):
    spec = _spec(tmp_path, _with(split__cv_folds=5, split__cv_block_periods=2))
    problems, _ = data_problems(_frame(8, 10), spec)
    assert problems[-1].startswith("6 training periods are too few for 5 time-ordered folds")


def test_spec_check_lists_every_problem_on_stderr_and_exits_2(tmp_path):
    raw = _with(split__tset_periods=3, candidates__1__grid={"alpah": [1]})
    (tmp_path / "visits.yml").write_text(yaml.safe_dump(raw))
    result = CliRunner().invoke(
        app, ["spec", "check", "visits"], env={"LOYALTY_SPECS": str(tmp_path)}
    )
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2 and all(line.startswith("error: ") for line in lines)
    assert "tset_periods" in lines[0] and "alpah" in lines[1]
    assert result.stdout == ""


def test_an_estimator_of_the_other_task_is_one_line_exit_2(tmp_path):
    raw = _with(candidates__0__estimator="sklearn.ensemble.HistGradientBoostingClassifier")
    (tmp_path / "visits.yml").write_text(yaml.safe_dump(raw))
    for command in (["spec", "check", "visits"], ["train", "visits"]):  # before any data
        result = CliRunner().invoke(app, command, env={"LOYALTY_SPECS": str(tmp_path)})
        assert result.exit_code == 2, result.output
        assert result.stderr.strip().splitlines() == [
            f"error: {tmp_path / 'visits.yml'}: candidate ols: HistGradientBoostingClassifier "
            "is not a regressor, and the spec's task is regression"
        ]
