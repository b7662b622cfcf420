"""The ML lifecycle on the real marts: targets met, lineage recorded, reproducible, scores
written idempotently and flowing back into dbt, features point-in-time correct."""

from __future__ import annotations

from dataclasses import replace

import duckdb
import pandas as pd
import pytest
import yaml
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_absolute_error

from ml.lifecycle import Context, evaluate_version, train
from ml.scoring import score
from ml.specs import list_specs
from tests.integration.conftest import copy_warehouse, dbt_env, run_dbt

pytestmark = pytest.mark.integration


def test_shipped_models_beat_baselines_by_the_targets(trained):
    churn = trained["churn"].metadata["metrics"]
    best = churn["baselines"][churn["best_baseline"]]["roc_auc"]
    assert churn["oracle"]["roc_auc"] > churn["test"]["roc_auc"] > best
    assert churn["gap_closed"] >= 0.6
    points = trained["points_next_90d"].metadata["metrics"]
    assert points["mse_improvement"] >= 0.2


def test_each_version_records_its_lineage(trained, warehouse):
    manifest = warehouse.artifact("manifest.json")
    meta = trained["churn"].metadata
    assert meta["source"]["dbt_node"] == "model.loyalty.ml_member_features"
    assert meta["dbt"]["invocation_id"] == manifest["metadata"]["invocation_id"]
    assert len(meta["dbt"]["manifest_sha256"]) == 64
    train_max = pd.Timestamp(meta["training_data"]["time_max"])
    assert train_max < pd.Timestamp(meta["split"]["test_periods"][0])
    assert {"scikit-learn", "skops"} <= set(meta["library_versions"])


def test_a_loaded_version_reproduces_its_test_metrics(ml_settings, trained):
    results = evaluate_version(Context.from_settings(ml_settings), "churn")
    assert results["same_test_data_as_training"]
    expected = trained["churn"].metadata["metrics"]["test"]
    assert results["test"] == pytest.approx(expected, rel=1e-12)


def test_scoring_is_idempotent_and_reaches_the_scored_mart(ml_settings, trained, warehouse):
    ctx = Context.from_settings(ml_settings)
    first = score(ctx, "churn", batch_size=500)  # several Arrow batches
    second = score(ctx, "churn")
    score(ctx, "points_next_90d")
    assert first.rows == second.rows > 0
    # the champion scores its population from its first test cutoff on, labelled or not
    first_test_cutoff = trained["churn"].metadata["split"]["test_periods"][0]
    assert first.cutoffs[0] == first_test_cutoff and len(first.cutoffs) > 4
    with duckdb.connect(str(warehouse.path), read_only=True) as c:
        to_score = c.execute(
            "select count(*) from main_ml.ml_member_features where is_eligible "
            "and cutoff_date >= ?",
            [first_test_cutoff],
        ).fetchall()[0][0]
        stored = c.execute(
            "select count(*), count(distinct entity_id || cutoff_date) from "
            "ml_scores.model_scores where model_name = 'churn'"
        ).fetchall()[0]
    assert stored == (to_score, to_score)
    run_dbt(["build", "-s", "source:ml_scores+"], dbt_env(warehouse.path, warehouse.target))
    with duckdb.connect(str(warehouse.path), read_only=True) as c:
        mart = c.execute(
            "select count(*), count(churn_probability), count(not_scored_reason), "
            "count(expected_points_next_90d), min(churn_probability), max(churn_probability) "
            "from main_ml.mart_member_churn_risk"
        ).fetchall()[0]
        members = c.execute(
            "select count(*) from main_marts.dim_member where is_current and member_id <> -1"
        ).fetchall()[0][0]
        eligible = c.execute(
            "select count(*) from main_ml.ml_member_features where is_eligible and cutoff_date "
            "= (select max(cutoff_date) from main_ml.ml_member_features)"
        ).fetchall()[0][0]
        reasons = dict(
            c.execute(
                "select not_scored_reason, count(*) from main_ml.mart_member_churn_risk group by 1"
            ).fetchall()
        )
    # every current member: a probability inside the population, a reason outside it
    assert mart[0] == members and mart[1] == eligible and mart[1] + mart[2] == members
    assert {"no_purchase_90d", "never_bought"} <= set(reasons) and reasons[None] == eligible
    assert mart[3] >= eligible  # the points model scores everyone it has a row for
    assert 0.0 <= mart[4] <= mart[5] <= 1.0


def test_linear_regression_matches_a_plain_scikit_learn_script(ml_settings, warehouse, tmp_path):
    """Our pipeline (imputer, scaler, CV, refit) changes nothing for OLS on one complete feature."""
    spec = {
        "name": "ols_points",
        "task": "regression",
        "source": "ml_member_features",
        "id_columns": ["member_id"],
        "time_column": "cutoff_date",
        "target": "points_next_90d",
        "features": {"numeric": ["points_earned_3m"]},
        "split": {"test_periods": 4, "gap_periods": 3, "cv_folds": 2},
        "candidates": [{"name": "ols", "estimator": "sklearn.linear_model.LinearRegression"}],
        "selection_metric": "neg_mean_absolute_error",
    }
    (tmp_path / "ols_points.yml").write_text(yaml.safe_dump(spec))
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    settings = replace(ml_settings, specs_dir=tmp_path, mlflow_tracking_uri=uri)
    ours = train(Context.from_settings(settings), "ols_points").metadata["metrics"]["test"]["mae"]

    with duckdb.connect(str(warehouse.path), read_only=True) as c:
        df = c.execute(
            "select cutoff_date, points_earned_3m, points_next_90d from main_ml.ml_member_features"
            " where points_next_90d is not null"
        ).df()
    periods = sorted(df.cutoff_date.unique())
    test_p, train_p = periods[-4:], periods[: len(periods) - 4 - 3]
    tr, te = df[df.cutoff_date.isin(train_p)], df[df.cutoff_date.isin(test_p)]
    ols = LinearRegression().fit(tr[["points_earned_3m"]].astype(float), tr.points_next_90d)
    plain = mean_absolute_error(
        te.points_next_90d, ols.predict(te[["points_earned_3m"]].astype(float))
    )
    assert abs(ours - plain) < 1e-9


def test_features_do_not_change_when_later_data_is_removed(warehouse, session_dbt, tmp_path):
    """Rebuild the warehouse as it was early on 2025-01-01 (only CDC versions written before
    03:00): every feature at every cutoff up to that day must equal the full build's, except
    where a purchase made before the cutoff reached the OLTP after it.

    03:00, not midnight: a purchase at 23:59 is written a minute later, after midnight, and the
    generator books no purchase between midnight and 06:00, so 03:00 splits every on-time
    purchase into before/after the cutoff exactly. Everything written after it is removed.
    Features are event-time (README): a purchase that arrives days late counts in the month it
    was made, so the cutoff's features of its member change when it lands, and only those. A
    clock correction written after 03:00 moves a purchase the rebuild knew at its early time:
    its member's features may differ at any cutoff in between, so those few members are left
    out of the comparison."""
    cutoff, as_of = "2025-01-01", "2025-01-01 03:00:00"
    past_db = copy_warehouse(warehouse.path, tmp_path / "as_of", warehouse.path.name)
    rebuild = ["run", "--full-refresh", "-s", "+ml_member_features"]
    session_dbt.at(past_db, tmp_path / "target", [*rebuild, "--vars", f"{{raw_as_of: '{as_of}'}}"])
    # labels, and loaded_through (bookkeeping: when the row was built)
    not_features = {"churned_next_90d", "points_next_90d", "is_label_complete", "loaded_through"}
    with duckdb.connect(str(warehouse.path), read_only=True) as full:
        columns = [
            r[0]
            for r in full.execute(
                "select column_name from information_schema.columns where table_schema = "
                "'main_ml' and table_name = 'ml_member_features' order by ordinal_position"
            ).fetchall()
            if r[0] not in not_features
        ]
    select = ", ".join(columns)
    query = f"select {select} from main_ml.ml_member_features where cutoff_date <= '{cutoff}'"
    with duckdb.connect(str(warehouse.path), read_only=True) as full:
        expected = full.execute(query).df()
        # members with a valid purchase before the cutoff first written after it
        late = full.execute(
            "select distinct member_id from main_staging.base_loyalty__transactions as t where "
            "dq_reason is null and status = 'approved' and purchased_at < ? and updated_at >= ? "
            "and not exists (select 1 from main_staging.base_loyalty__transactions as e "
            "where e.transaction_id = t.transaction_id and e.dq_reason is null "
            "and e.updated_at < ?)",
            [cutoff, as_of, as_of],
        ).df()
        # members with a purchase whose time a version written after it corrected
        corrected = full.execute(
            "select distinct t.member_id from main_staging.base_loyalty__transactions as t "
            "inner join main_staging.base_loyalty__transactions as e "
            "on t.transaction_id = e.transaction_id where t.dq_reason is null "
            "and e.dq_reason is null and t.updated_at >= ? and e.updated_at < ? "
            "and t.purchased_at != e.purchased_at",
            [as_of, as_of],
        ).df()
    late = late[~late.member_id.isin(corrected.member_id)]
    with duckdb.connect(str(past_db), read_only=True) as past:
        actual = past.execute(query).df()
        removed = past.execute(
            f"select count(*) from main_marts.fct_transactions where purchased_at >= '{cutoff}'"
        ).fetchall()[0][0]
    assert removed == 0  # the rebuild really lost the future
    assert (expected.cutoff_date.astype(str) == cutoff).any()
    assert len(late) > 0  # the generator's late arrivals reach across the cutoff

    def split(features: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        features = features[~features.member_id.isin(corrected.member_id)]
        arrived_late = features.member_id.isin(late.member_id) & (
            features.cutoff_date.astype(str) == cutoff
        )
        key = ["member_id", "cutoff_date"]
        return tuple(
            part.sort_values(key).reset_index(drop=True)
            for part in (features[~arrived_late], features[arrived_late])
        )

    (expected_rest, expected_late), (actual_rest, actual_late) = split(expected), split(actual)
    pd.testing.assert_frame_equal(expected_rest, actual_rest, check_dtype=False)
    # the late purchases were not known at the cutoff: the full build counts them, the past not
    assert len(expected_late) == len(actual_late) > 0
    assert (expected_late.purchases_lifetime > actual_late.purchases_lifetime).all()


def test_every_shipped_spec_has_its_exposure(warehouse, root):
    manifest = warehouse.artifact("manifest.json")
    exposures = {e["name"]: e for e in manifest["exposures"].values()}
    for spec in list_specs(root / "ml" / "specs"):
        assert spec.name in exposures, f"spec {spec.name} has no exposure in models/ml"
        exposure = exposures[spec.name]
        assert exposure["type"] == "ml"
        assert f"model.loyalty.{spec.source}" in exposure["depends_on"]["nodes"]
