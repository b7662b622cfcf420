"""Declared transforms (ml/transforms.py): selection finds the transform set the data calls
for, calendar features are levels per month, and the fitted Pipeline is a skops file of
trusted types that scores new rows the same way."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from ml import model_files
from ml.errors import SpecError
from ml.specs import load_spec, parse_spec, static_problems
from ml.training import feature_frame, predict, select_and_fit, temporal_split
from ml.transforms import KINDS

MONTH_EFFECT = np.array([0, 4, -3, 2, 0, 1, -5, 3, 0, -2, 6, -1], dtype=float)


def _series(months: int = 120, seed: int = 0) -> pd.DataFrame:
    """A monthly series: sales = 50 log(traffic) + a level per month + noise."""
    rng = np.random.default_rng(seed)
    when = pd.date_range("2004-01-01", periods=months, freq="MS")
    traffic = rng.lognormal(mean=4.0, sigma=0.8, size=months)
    noise = rng.normal(scale=0.5, size=months)
    sales = 50 * np.log1p(traffic) + MONTH_EFFECT[when.month - 1] + noise
    return pd.DataFrame({"mes": when, "trafego": traffic, "vendas": sales})


SPEC = {
    "name": "vendas",
    "task": "regression",
    "source": "scratch.serie",
    "id_columns": [],
    "time_column": "mes",
    "target": "vendas",
    "features": {"numeric": ["trafego"], "calendar": ["month"]},
    "transforms": {"log": {"trafego": "log"}, "curve": {"trafego": "spline"}},
    "split": {"test_periods": 24, "cv_folds": 3},
    "candidates": [
        {
            "name": "linear",
            "estimator": "sklearn.linear_model.LinearRegression",
            "transforms": ["none", "log", "curve"],
        }
    ],
    "selection_metric": "neg_mean_absolute_error",
}


def _spec(tmp_path, raw=SPEC):
    (tmp_path / "vendas.yml").write_text(yaml.safe_dump(raw))
    return load_spec(tmp_path, "vendas")


def test_selection_finds_the_log_and_the_month_effect(tmp_path):
    spec = _spec(tmp_path)
    split = temporal_split(_series(), spec)
    selection = select_and_fit(spec, split.train)
    assert selection.best_params == {"transforms": "log"}
    scores = {r["candidate"]: r["cv_score"] for r in selection.cv_results}
    assert scores["linear"] > -1.0  # mean absolute error about the noise's (0.4)
    test = split.test
    error = np.abs(predict(selection.model, spec, feature_frame(test, spec)) - test.vendas)
    assert error.mean() < 0.6
    # without the month levels the same log model misses them
    no_calendar = _spec(tmp_path, {**SPEC, "features": {"numeric": ["trafego"]}})
    plain = select_and_fit(no_calendar, split.train)
    plain_error = predict(plain.model, no_calendar, feature_frame(test, no_calendar)) - test.vendas
    assert np.abs(plain_error).mean() > 2 * error.mean()


def test_the_saved_pipeline_is_trusted_and_scores_the_same(tmp_path):
    spec = _spec(tmp_path)
    series = _series()
    selection = select_and_fit(spec, series)
    path = tmp_path / "model.skops"
    digest = model_files.dump(selection.model, path)
    loaded = model_files.load(path, digest)  # refuses any type outside scikit-learn/numpy
    X = feature_frame(series, spec)
    assert np.array_equal(loaded.predict(X), selection.model.predict(X))


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_fits_and_saves(tmp_path, kind):
    raw = {**SPEC, "transforms": {"t": {"trafego": kind}}}
    raw["candidates"] = [{**SPEC["candidates"][0], "transforms": ["t"]}]
    spec = _spec(tmp_path, raw)
    selection = select_and_fit(spec, _series())
    digest = model_files.dump(selection.model, tmp_path / "m.skops")
    assert model_files.load(tmp_path / "m.skops", digest) is not None


@pytest.mark.parametrize(
    ("changes", "line"),
    [
        ({"transforms": {"log": {"trafico": "log"}}}, "'trafico' is not a numeric feature "
         "(did you mean 'trafego'?)"),
        ({"transforms": {"log": {"trafego": "logarithm"}}}, "unknown kind 'logarithm'"),
        ({"features": {"numeric": ["trafego"], "calendar": ["week"]}}, "'week' is not one of "
         "month, quarter"),
        ({"candidates": [{"name": "linear", "estimator": "sklearn.linear_model.LinearRegression",
                          "transforms": ["lgo"]}]},
         "unknown transform set 'lgo' (the spec's: none, log, curve) (did you mean 'log'?)"),
    ],
)  # fmt: skip
def test_transform_mistakes_are_named(changes, line, tmp_path):
    raw = {**SPEC, **changes}
    assert any(line in p for p in static_problems(raw)), static_problems(raw)
    with pytest.raises(SpecError):
        parse_spec(raw, tmp_path / "vendas.yml")
