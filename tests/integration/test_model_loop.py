"""From scores back to decisions, on the real marts: the champions score their cutoffs, dbt
joins the scores to what happened and computes the realised metrics, MLflow holds what each
run recorded, and a challenger takes the champion alias only on evidence."""

from __future__ import annotations

import re
import shutil
from dataclasses import replace

import duckdb
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from ml.errors import PromotionRefused
from ml.lifecycle import Context, train
from ml.promotion import promote
from ml.registry import CHAMPION
from ml.scoring import score
from ml.warehouse import DRIFT, SCORES, VERSIONS, DuckDBWarehouse
from ml.warehouse.base import DUCKDB_TYPES

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def loop(ml_settings, trained, warehouse, session_dbt, tmp_path_factory):
    """Both champions scored, then the monitoring models built on the scores (into a target
    folder of its own: the session's manifest stays the one the models were trained on)."""
    ctx = Context.from_settings(ml_settings)
    results = {name: score(ctx, name) for name in trained}
    target = tmp_path_factory.mktemp("loop-target")
    session_dbt.at(warehouse.path, target, ["build", "-s", "source:ml_scores+"])
    with duckdb.connect(str(warehouse.path), read_only=True) as c:
        outcomes = c.execute("select * from main_ml.ml_score_outcomes").df()
        performance = c.execute("select * from main_ml.mart_model_performance").df()
        calibration = c.execute("select * from main_ml.mart_model_calibration").df()
    return results, outcomes, performance, calibration


def test_realised_metrics_equal_scikit_learns_on_the_same_rows(loop, trained):
    _, outcomes, performance, _ = loop
    churn = performance[performance.model_name == "churn"].set_index("cutoff_date")
    assert len(churn) > 0 and churn.is_champion.all()
    for cutoff, rows in outcomes[outcomes.model_name == "churn"].groupby("cutoff_date"):
        y, p = rows.outcome.to_numpy(), rows.score.to_numpy()
        clipped = np.clip(p, 1e-6, 1 - 1e-6)
        assert churn.loc[cutoff, "roc_auc"] == pytest.approx(roc_auc_score(y, p), abs=1e-9)
        assert churn.loc[cutoff, "brier"] == pytest.approx(np.mean((p - y) ** 2), abs=1e-9)
        log_loss = -np.mean(y * np.log(clipped) + (1 - y) * np.log(1 - clipped))
        assert churn.loc[cutoff, "log_loss"] == pytest.approx(log_loss, abs=1e-9)
    points = performance[performance.model_name == "points_next_90d"].set_index("cutoff_date")
    for cutoff, rows in outcomes[outcomes.model_name == "points_next_90d"].groupby("cutoff_date"):
        error = rows.score.to_numpy() - rows.outcome.to_numpy()
        assert points.loc[cutoff, "mse"] == pytest.approx(np.mean(error**2), rel=1e-9)
        assert points.loc[cutoff, "mae"] == pytest.approx(np.mean(np.abs(error)), rel=1e-9)
        assert points.loc[cutoff, "bias"] == pytest.approx(np.mean(error), abs=1e-6)
    training = trained["churn"].metrics["test"]["roc_auc"]
    assert churn.training_roc_auc.unique().tolist() == [pytest.approx(training)]


def test_every_scored_cutoff_with_complete_labels_has_a_performance_row(loop, warehouse):
    results, _, performance, calibration = loop
    with duckdb.connect(str(warehouse.path), read_only=True) as c:
        complete = {
            d.date().isoformat() if hasattr(d, "date") else str(d)
            for (d,) in c.execute(
                "select distinct cutoff_date from main_ml.ml_member_features "
                "where is_label_complete"
            ).fetchall()
        }
    for name, result in results.items():
        expected = sorted(set(result.cutoffs) & complete)
        assert len(expected) >= 4  # the test period at least
        got = performance[performance.model_name == name].cutoff_date
        assert sorted(pd.to_datetime(got).dt.date.astype(str)) == expected
        assert len(set(result.cutoffs) - complete) >= 1  # and live cutoffs still open
    deciles = calibration.groupby(["model_name", "cutoff_date"]).score_decile.nunique()
    assert (deciles == 10).all()
    rows = calibration.groupby(["model_name", "cutoff_date"]).scored_rows.sum()
    expected_rows = performance.set_index(["model_name", "cutoff_date"]).scored_rows
    assert rows.sort_index().tolist() == expected_rows.sort_index().tolist()


def test_drift_is_measured_for_every_scored_cutoff_and_stays_low_on_the_test_period(
    loop, warehouse, trained
):
    results, *_ = loop
    with duckdb.connect(str(warehouse.path), read_only=True) as c:
        drift = c.execute("select * from main_ml.mart_model_drift").df()
    for name, result in results.items():
        spec = trained[name].metadata["spec"]
        watched = {*spec["numeric_features"], *spec["categorical_features"]}
        watched -= set(spec["drift_exempt"])
        rows = drift[drift.model_name == name]
        cutoffs = sorted(pd.to_datetime(rows.cutoff_date).dt.date.astype(str).unique())
        assert cutoffs == result.cutoffs
        for _, features in rows.groupby("cutoff_date"):
            assert set(features.feature) == watched | {"__score__"}
        # the test period is the reference: none of its cutoffs is a shift, the score stays put
        test = rows[
            pd.to_datetime(rows.cutoff_date)
            .dt.date.astype(str)
            .isin(trained[name].metadata["split"]["test_periods"])
        ]
        assert len(test) > 0 and test.psi.max() < 0.25
        assert test[test.feature == "__score__"].psi.max() < 0.1
        assert set(drift.drift_status) <= {"stable", "warn", "alert"}


def test_monitor_tables_and_plots_a_versions_cutoffs(loop, ml_settings, trained):
    from ml.monitor import monitor

    results, *_ = loop
    found = monitor(Context.from_settings(ml_settings), "churn")
    rows = found.by_cutoff()
    assert [str(c) for c in rows.index] == results["churn"].cutoffs
    complete = rows.realised.notna()
    assert complete.sum() >= 4 and not complete.all()  # live cutoffs wait for their labels
    assert {p.name for p in found.plots} == {"psi_by_feature.png", "realised_vs_training.png"}
    assert all(p.stat().st_size > 10_000 for p in found.plots)


def test_the_build_hook_creates_the_tables_the_cli_writes(warehouse):
    with duckdb.connect(str(warehouse.clean), read_only=True) as c:
        for table in (SCORES, VERSIONS, DRIFT):
            found = c.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'ml_scores' and table_name = ? order by ordinal_position",
                [table.name],
            ).fetchall()
            assert found == [(n, DUCKDB_TYPES[t].upper()) for n, t in table.columns]


def test_mlflow_holds_the_run_and_the_registered_versions(ml_settings, trained):
    ctx = Context.from_settings(ml_settings)
    client = ctx.registry.client
    churn = trained["churn"]
    run = client.get_run(churn.run_id)
    metrics = churn.metrics
    assert run.data.metrics["test.roc_auc"] == pytest.approx(metrics["test"]["roc_auc"])
    assert run.data.metrics["gap_closed"] == pytest.approx(metrics["gap_closed"])
    assert run.data.metrics["oracle.roc_auc"] == pytest.approx(metrics["oracle"]["roc_auc"])
    assert "baseline.rule_recency_days.roc_auc" in run.data.metrics
    assert {"cv.logistic.score", "cv.gradient_boosting.score"} <= set(run.data.metrics)
    assert run.data.params["spec.population"] == "is_eligible"
    assert run.data.params["selected.candidate"] == metrics["selected"]["candidate"]
    assert run.data.tags["dbt_invocation_id"] == churn.metadata["dbt"]["invocation_id"]
    assert run.data.tags["training_data_sha256"] == churn.metadata["training_data"]["sha256"]
    report = {f.path.split("/")[-1] for f in client.list_artifacts(churn.run_id, "report")}
    assert {"roc.png", "pr.png", "calibration.png", "importance.png"} <= report
    assert {"gains.png", "lift.png"} <= report  # the business reader's

    version = client.get_model_version("churn", churn.version)
    assert version.run_id == churn.run_id and version.tags["model_sha256"]
    for name in ("churn", "points_next_90d"):
        champion = client.get_model_version_by_alias(name, CHAMPION)
        assert str(champion.version) == trained[name].version == "1"


def test_the_churn_report_counts_members_and_churners_per_decile_and_band(ml_settings, trained):
    """The tables a business reader acts on add up to the test period, band by the mart's."""
    from ml.report import write_report

    path = write_report(Context.from_settings(ml_settings), "churn")
    text = path.read_text()
    test_rows = trained["churn"].metadata["metrics"]["rows"]["test"]
    deciles = re.findall(r"^\| (\d+) \| ([\d,]+) \| ([\d,]+) \| [\d.]+% \|", text, re.M)
    assert [int(d) for d, _, _ in deciles] == list(range(1, 11))
    assert sum(int(m.replace(",", "")) for _, m, _ in deciles) == test_rows
    bands = re.findall(r"^\| (high|medium|low) \| ([\d,]+) \| ([\d,]+) \|", text, re.M)
    assert [b for b, _, _ in bands] == ["high", "medium", "low"]
    churners = sum(int(c.replace(",", "")) for _, _, c in deciles)
    assert sum(int(c.replace(",", "")) for _, _, c in bands) == churners > 0
    assert "Of the 10% highest-risk members" in text and "Gap closed:" in text
    assert (path.parent / "gains.png").exists() and (path.parent / "lift.png").exists()


def test_a_challenger_is_promoted_only_on_evidence(ml_settings, trained, tmp_path):
    """A retrain on the same data is the same model (training is reproducible: same data
    fingerprint, same test metrics) and so not better than its champion: refused, with the
    numbers; forced with a reason, it becomes the champion and the reason is on the version.
    (Churn: its early-stopped trees retrain in about half the points model's time.)"""
    store, copy = tmp_path / "mlflow", tmp_path / "warehouse.duckdb"
    shutil.copytree(
        ml_settings.mlflow_tracking_uri.removeprefix("sqlite:///").rsplit("/", 1)[0], store
    )
    shutil.copy(ml_settings.duckdb_path, copy)
    uri = f"sqlite:///{store / 'mlflow.db'}"
    ctx = Context.from_settings(replace(ml_settings, mlflow_tracking_uri=uri, duckdb_path=copy))
    challenger = train(ctx, "churn")
    assert challenger.version == "2" and not challenger.is_champion
    first = trained["churn"].metadata
    assert challenger.metadata["training_data"] == first["training_data"]
    assert challenger.metadata["metrics"]["test"] == first["metrics"]["test"]
    with pytest.raises(PromotionRefused, match=r"v2 does not beat the champion v1 .* vs "):
        promote(ctx, "churn")
    assert ctx.registry.get_version("churn").version == "1"
    forced = promote(ctx, "churn", force=True, reason="rollback drill")
    assert forced.forced and forced.challenger_score == pytest.approx(forced.champion_score)
    champion = ctx.registry.get_version("churn")
    assert champion.version == "2" and champion.tags["promotion_reason"] == "rollback drill"
    assert champion.tags["promoted_over"] == "1"
    # the warehouse's versions table follows the alias
    with duckdb.connect(str(copy), read_only=True) as c:
        flags = c.execute(
            "select model_version, is_champion from ml_scores.model_versions "
            "where model_name = 'churn' order by 1"
        ).fetchall()
    assert flags == [("1", False), ("2", True)]


def test_scores_and_versions_are_replaced_by_key(tmp_path, warehouse, trained):
    """Writing the same version twice leaves one set of rows (the DuckDB delete+insert)."""
    copy = tmp_path / "copy.duckdb"
    shutil.copy(warehouse.clean, copy)
    from datetime import UTC, datetime

    from ml.scoring import version_rows

    rows = version_rows([trained["churn"]], datetime.now(UTC).replace(tzinfo=None))
    target = DuckDBWarehouse(copy)
    target.replace_rows("ml_scores", VERSIONS, rows)
    target.replace_rows("ml_scores", VERSIONS, rows)
    with duckdb.connect(str(copy), read_only=True) as c:
        stored = c.execute("select model_name, model_version, task from ml_scores.model_versions")
        assert stored.fetchall() == [("churn", "1", "classification")]
