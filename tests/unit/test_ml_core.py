"""Fast checks of the ML building blocks, on small synthetic frames."""

from __future__ import annotations

import warnings
from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
import pytest
import yaml

from ml.config import Settings
from ml.dbt_artifacts import ResolvedSource, check_columns, normalise_type
from ml.errors import DataError, SpecError, WarehouseError
from ml.evaluation import calibration_table, classification_metrics, regression_metrics
from ml.specs import load_spec, parse_spec
from ml.training import PeriodSplit, feature_frame, select_and_fit, temporal_split, warned
from ml.warehouse import Relation, open_warehouse

BASE = {
    "name": "m",
    "task": "regression",
    "source": "s.t",
    "id_columns": ["id"],
    "time_column": "period",
    "target": "y",
    "features": {"numeric": ["x"], "categorical": ["c"]},
    "split": {"test_periods": 2, "gap_periods": 1, "cv_folds": 2},
    "candidates": [{"name": "ols", "estimator": "sklearn.linear_model.LinearRegression"}],
}


def spec(**changes):
    return parse_spec({**BASE, **changes}, "test.yml")


def frame(periods: int = 10, ids: int = 5) -> pd.DataFrame:
    p = pd.date_range("2024-01-01", periods=periods, freq="MS")
    return pd.DataFrame(
        [{"id": i, "period": d, "x": float(i), "c": "a", "y": 1.0} for d in p for i in range(ids)]
    )


def test_shipped_specs_load(root):
    for name in ("churn", "points_next_90d"):
        s = load_spec(root / "ml" / "specs", name)
        assert s.name == name and s.features and s.candidates


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"task": "clustering"}, "task must be"),
        ({"candidates": []}, "at least one candidate"),
        ({"selection_metric": "roc_auc"}, "selection_metric"),
        ({"split": {"gap_periods": 1}}, "exactly one of test_start or test_periods"),
    ],
)
def test_bad_specs_are_refused(changes, message):
    with pytest.raises(SpecError, match=message):
        spec(**changes)


@pytest.mark.parametrize(
    "estimator", ["os.system", "builtins.eval", "sklearn.nope.Model", "sklearn.base.clone"]
)
def test_only_scikit_learn_estimators_are_built(estimator):
    """Refused when the spec is read, before any import of it is attempted elsewhere."""
    with pytest.raises(SpecError, match="scikit-learn"):
        spec(candidates=[{"name": "x", "estimator": estimator}])


def test_random_state_is_injected_where_the_estimator_has_one():
    s = spec(candidates=[{"name": "rf", "estimator": "sklearn.ensemble.RandomForestRegressor"}])
    assert s.candidates[0].build(7).get_params()["random_state"] == 7


def test_unknown_spec_names_the_known_ones(tmp_path):
    (tmp_path / "a.yml").write_text(yaml.safe_dump({**BASE, "name": "a"}))
    with pytest.raises(SpecError, match=r"unknown model 'b'.*specs: a"):
        load_spec(tmp_path, "b")


def test_temporal_split_leaves_a_gap_before_the_test_period():
    split = temporal_split(frame(), spec())
    assert len(split.test_periods) == 2
    assert len(split.train_periods) == 10 - 2 - 1
    assert max(split.train_periods) < min(split.test_periods) - pd.DateOffset(months=1)


def test_a_bounded_window_trains_and_tests_only_inside_it():
    """The course's split: train from one month, test the next ones, the last held out."""
    bounds = {"train_start": "fev/24", "test_start": "15/05/2024", "test_end": "2024-08-01"}
    split = temporal_split(frame(periods=10), spec(split={**bounds, "gap_periods": 0}))
    months = [p.month for p in split.train_periods], [p.month for p in split.test_periods]
    assert months == ([2, 3, 4, 5], [6, 7, 8])  # September and October neither trained nor tested
    assert set(split.train.period.dt.month) == {2, 3, 4, 5}


@pytest.mark.parametrize(
    ("split", "message"),
    [
        ({"test_start": "01/10/2024"}, "'01/10/2024' is 2024-10-01 day first and 2024-01-10 month"),
        ({"test_start": "2024-13-01"}, "split.test_start: '2024-13-01' is not a date"),
        ({"test_start": "2024-06-01", "test_end": "2024-05-01"}, "test_start 2024-06-01 is after"),
        ({"test_start": "25/10/2024", "date_format": "mm/dd/yyyy"}, "not a date as mm/dd/yyyy"),
    ],
)
def test_a_split_date_that_reads_two_ways_or_none_is_refused(split, message):
    with pytest.raises(SpecError, match=message):
        spec(split=split)


def test_a_declared_date_format_settles_a_split_date():
    declared = {"test_start": "01/10/2024", "date_format": "dd/mm/yyyy"}
    assert spec(split=declared).split.test_start == "2024-10-01"
    assert spec(split={"test_start": date(2024, 10, 1)}).split.test_start == "2024-10-01"


def test_estimator_warnings_are_counted_per_candidate_not_streamed():
    df = frame(periods=8)
    df["x"] = np.arange(len(df), dtype=float) ** 2
    df["y"] = df["x"] * 3.0 + np.sin(np.arange(len(df)))
    mlp = {"name": "mlp", "estimator": "sklearn.neural_network.MLPRegressor"}
    mlp["grid"] = {"max_iter": [1], "hidden_layer_sizes": [[2]]}
    ols = {"name": "ols", "estimator": "sklearn.linear_model.LinearRegression"}
    with warnings.catch_warnings(record=True) as escaped:
        warnings.simplefilter("always")
        selection = select_and_fit(spec(candidates=[mlp, ols]), df)
    assert escaped == []  # nothing printed over the result
    counted = {r["candidate"]: r for r in selection.cv_results}
    assert counted["mlp"]["warnings"] >= 2  # a fit per fold and the refit
    assert counted["mlp"]["first_warning"].startswith("ConvergenceWarning: ")
    assert warned(counted["ols"]) == "0" and warned(counted["mlp"]).startswith(
        f"{counted['mlp']['warnings']}: ConvergenceWarning"
    )


def test_empty_training_set_is_a_data_error():
    with pytest.raises(DataError, match="empty training set"):
        temporal_split(frame(periods=3), spec(split={"test_periods": 2, "gap_periods": 1}))


def test_period_split_never_validates_on_the_past_of_its_training():
    df = frame(periods=12)
    folds = list(PeriodSplit(n_splits=3, gap=1).split(df, groups=df.period.to_numpy()))
    assert len(folds) == 3
    for train_idx, valid_idx in folds:
        latest_train = df.period.iloc[train_idx].max()
        earliest_valid = df.period.iloc[valid_idx].min()
        assert latest_train < earliest_valid - pd.DateOffset(months=1)  # the gap


def test_period_split_with_a_block_validates_on_the_latest_periods():
    df = frame(periods=12)
    folds = list(PeriodSplit(n_splits=3, gap=1, block=2).split(df, groups=df.period.to_numpy()))
    periods = sorted(df.period.unique())
    valid = [sorted(df.period.iloc[v].unique()) for _, v in folds]
    assert valid == [periods[6:8], periods[8:10], periods[10:12]]
    # each fold trains on all the history before its block, less the gap
    assert [df.period.iloc[t].nunique() for t, _ in folds] == [5, 7, 9]


def test_feature_frame_gives_uniform_dtypes():
    df = pd.DataFrame({"x": ["1.5", None], "c": [None, "b"]})
    out = feature_frame(df, spec())
    assert out.x.dtype == "float64" and np.isnan(out.x[1])
    assert out.c.tolist() == ["__missing__", "b"]


def test_contract_and_columns_are_checked():
    source = ResolvedSource(Relation("s", "t"), {"x": "double", "c": "string"})
    check_columns(source, {"x": "DOUBLE", "c": "VARCHAR", "y": "DOUBLE"}, ["x", "c", "y"])
    with pytest.raises(DataError, match="lacks columns: z"):
        check_columns(source, {"x": "DOUBLE", "c": "VARCHAR"}, ["x", "z"])
    with pytest.raises(DataError, match="x is bigint, contract says double"):
        check_columns(source, {"x": "BIGINT", "c": "VARCHAR"}, ["x"])


def test_type_names_normalise_across_spellings():
    assert normalise_type("DECIMAL(14, 2)") == normalise_type("numeric(14,2)")
    assert normalise_type("string") == normalise_type("VARCHAR")
    assert normalise_type("bigint") != normalise_type("integer")


def test_bigquery_types_compare_with_its_own_aliases():
    """The BigQuery API reports legacy names (INTEGER, FLOAT); contracts say bigint, float64."""
    source = ResolvedSource(
        Relation("s", "t"),
        {"n": "bigint", "x": "float64", "m": "numeric", "b": "boolean", "s": "string"},
    )
    actual = {"n": "integer", "x": "float", "m": "numeric", "b": "boolean", "s": "string"}
    check_columns(source, actual, list(actual), dialect="bigquery")
    with pytest.raises(DataError, match="n is string, contract says bigint"):
        check_columns(source, {**actual, "n": "string"}, ["n"], dialect="bigquery")
    assert normalise_type("NUMERIC(14, 2)", "bigquery") == normalise_type("decimal", "bigquery")


def test_targets_pick_their_warehouse(tmp_path):
    duck = open_warehouse(replace(Settings(), target="dev", duckdb_path=tmp_path / "w.duckdb"))
    assert duck.dialect == "duckdb" and duck.quote('a"b') == '"a""b"'
    emulator = open_warehouse(replace(Settings(), target="bigquery_emulator", bq_project=""))
    assert emulator.dialect == "bigquery" and emulator.quote("a") == "`a`"
    assert emulator.settings.project == "local-project"
    assert emulator.settings.api_endpoint.startswith("http://127.0.0.1:")
    with pytest.raises(WarehouseError, match="LOYALTY_BQ_PROJECT"):
        open_warehouse(replace(Settings(), target="bigquery", bq_project=""))
    with pytest.raises(WarehouseError, match="no connection layer"):
        open_warehouse(replace(Settings(), target="snowflake"))


@pytest.mark.parametrize(
    ("table", "keys", "marker"),
    [
        (
            "SCORES",
            ["model_name", "model_version", "cutoff_date"],
            "cast(null as FLOAT64) as `score`",
        ),
        ("VERSIONS", ["model_name", "model_version"], "cast(null as STRING) as `task`"),
        ("DRIFT", ["model_name", "model_version", "cutoff_date"], "cast(null as FLOAT64) as `psi`"),
    ],
)
def test_a_merge_replaces_the_rows_of_each_key(table, keys, marker):
    from google.cloud import bigquery

    from ml import warehouse
    from ml.warehouse.bigquery import _merge_sql

    output = getattr(warehouse, table)
    sql = _merge_sql(
        output, bigquery.Table(f"p.ml_scores.{output.name}"), bigquery.Table("p.ml_scores.incoming")
    )
    assert sql.startswith(f"merge into `p`.`ml_scores`.`{output.name}`")
    on = " and ".join(f"d.`{k}` = s.`{k}`" for k in keys)
    assert f"on s.is_marker and {on} when matched" in sql
    assert marker in sql  # markers carry keys only
    assert "when matched then delete" in sql and "when not matched and not s.is_marker" in sql


def test_metrics_match_hand_computed_values():
    y, p = np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])
    m = classification_metrics(y, p)
    assert m["roc_auc"] == pytest.approx(0.75)
    assert m["brier"] == pytest.approx(np.mean((p - y) ** 2))
    r = regression_metrics(np.array([0.0, 2.0, 4.0]), np.array([1.0, 2.0, 2.0]))
    assert r["mse"] == pytest.approx(5 / 3) and r["mae"] == pytest.approx(1.0)
    assert r["mape_rows"] == 2 and r["mape"] == pytest.approx(0.25)


def test_calibration_table_counts_every_row():
    rng = np.random.default_rng(0)
    p = rng.random(1000)
    y = (rng.random(1000) < p).astype(int)
    table = calibration_table(y, p)
    assert sum(r["rows"] for r in table) == 1000
    assert all(abs(r["mean_predicted"] - r["observed_rate"]) < 0.15 for r in table)
