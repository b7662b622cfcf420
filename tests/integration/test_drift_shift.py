"""A drift that really happens. The generator's economic shock from August 2025 (a random half
of the members buy at 30 % of their rate and churn more) lands in a lake that, like
production, grows day by day: the churn model is trained on the lake as it stood on 1 August,
the rest of the extracts arrive, and the champion scores every cutoff from its test period on.
PSI must flag what the shock moves from the first cutoff that sees a shocked month, and not
before; the realised ROC AUC of the shocked cutoffs must fall below the unshocked ones."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import duckdb
import pandas as pd
import pytest
import yaml

from loyalty_datagen import GeneratorConfig, append_days, generate
from ml.config import Settings
from ml.lifecycle import Context, train
from ml.scoring import score
from tests.integration.conftest import dbt, dbt_env, light_specs, run_dbt

pytestmark = [pytest.mark.integration, pytest.mark.own_build]

SHIFT = "2025-08"
TRAINED_ON = date(2025, 8, 1)  # the lake's last extract day when the model is trained
MEMBERS = 1500
# What the shock moves in the churn population: how long members have gone without buying
# (overdue_ratio: recency over the usual gap) and the score itself. The purchase counts move
# less: the members the shock silences leave the population (no purchase in 90 days).
MOVED = ["overdue_ratio", "__score__"]
LAKE = "{raw_layer: lake}"


@pytest.fixture(scope="module")
def shifted(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("shift")
    lake, meta = tmp / "lake", tmp / "meta"
    cfg = GeneratorConfig(members=MEMBERS, shift=f"economic_shock:{SHIFT}")
    generate(cfg, None, meta, out_lake=lake, lake_through=TRAINED_ON)
    env = {**dbt_env(tmp / "shift.duckdb", tmp / "target"), "LOYALTY_LAKE": str(lake)}
    # unit tests mock the seeds by name, so they run on the seeds build only
    run_dbt(["build", "--vars", LAKE, "--exclude", "test_type:unit"], env)

    # the spec's first candidate on two folds (9 training cutoffs by August): what is watched
    # is how the champion's inputs and scores move, not which candidate won
    specs = light_specs(tmp / "specs", ("churn",))
    spec = yaml.safe_load((specs / "churn.yml").read_text())
    spec["oracle_file"] = str(meta / "churn_truth.csv")  # this lake's true probabilities
    (specs / "churn.yml").write_text(yaml.safe_dump(spec, sort_keys=False))
    settings = replace(
        Settings(),
        duckdb_path=tmp / "shift.duckdb",
        target_dir=tmp / "target",
        specs_dir=specs,
        reports_dir=tmp / "reports",
        mlflow_tracking_uri=f"sqlite:///{tmp / 'mlflow' / 'mlflow.db'}",
        target="dev",
    )
    champion = train(Context.from_settings(settings), "churn")

    # the rest of the period arrives; the daily build catches up, the champion scores
    append_days(lake, meta, (cfg.extract_at.date() - TRAINED_ON).days)
    run_dbt(["run", "--vars", LAKE], env)  # the models: the first build ran the data tests
    result = score(Context.from_settings(settings), "churn")
    # the monitoring marts; the realised-performance error test may fail on a shock this big
    dbt(["build", "-s", "source:ml_scores+", "--vars", LAKE, "--exclude", "test_type:unit"], env)
    with duckdb.connect(str(tmp / "shift.duckdb"), read_only=True) as c:
        drift = c.execute("select * from main_ml.mart_model_drift").df()
        performance = c.execute("select * from main_ml.mart_model_performance").df()
    for frame in (drift, performance):
        frame["cutoff_date"] = pd.to_datetime(frame.cutoff_date)
    return champion, result, drift, performance


def test_psi_flags_the_moved_features_from_the_shift_on_and_not_before(shifted):
    champion, result, drift, _ = shifted
    first_test = pd.Timestamp(champion.metadata["split"]["test_periods"][0])
    assert first_test < pd.Timestamp("2025-06-01") and len(result.cutoffs) >= 10
    moved = drift[drift.feature.isin(MOVED)].pivot(
        index="cutoff_date", columns="feature", values="psi"
    )
    # a cutoff's features look at the months before it: 1 August still sees July only
    before = moved[moved.index <= pd.Timestamp(f"{SHIFT}-01")]
    first_two = moved[moved.index > pd.Timestamp(f"{SHIFT}-01")].head(2)
    assert len(before) >= 6 and len(first_two) == 2
    assert (before < 0.1).all().all(), before
    assert (first_two >= 0.1).all().all(), first_two
    flagged = drift[(drift.drift_status != "stable") & drift.feature.isin(MOVED)]
    assert flagged.cutoff_date.min() == pd.Timestamp("2025-09-01")


def test_realised_auc_falls_on_the_shocked_cutoffs(shifted):
    champion, _, _, performance = shifted
    auc = performance.set_index("cutoff_date").roc_auc
    # labels whose 90 days closed before the shock, and cutoffs that start inside it
    calm = auc[auc.index + pd.Timedelta(days=90) < pd.Timestamp(f"{SHIFT}-01")]
    shocked = auc[auc.index >= pd.Timestamp(f"{SHIFT}-01")]
    assert len(calm) >= 3 and len(shocked) >= 2
    assert shocked.mean() < calm.mean() - 0.03, (calm, shocked)
    assert abs(calm.mean() - champion.metrics["test"]["roc_auc"]) < 0.05
