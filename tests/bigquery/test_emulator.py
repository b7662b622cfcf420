"""The same dbt project and ML CLI on BigQuery (the local emulator): every model, unit test
and data test of the project's own runs, incremental models merge, the large facts are
partitioned and clustered, the docs catalog is complete, ML trains and scores, and the tables
equal DuckDB's."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import duckdb
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score
from typer.testing import CliRunner

from ml.cli import app
from ml.registry import Registry
from tests.bigquery.conftest import BUILTIN_TESTS, UNUSED
from tests.integration.conftest import light_specs

pytestmark = [
    pytest.mark.bigquery,
    # the emulator's catalog has no table owner; dbt's docs generate reads it all the same
    pytest.mark.filterwarnings('ignore:"table_owner" does not match'),
]

# (model, partition column, clustering): the BigQuery configs of the large tables
PARTITIONED = [
    ("marts", "fct_transactions", "purchase_date"),
    ("marts", "fct_points_ledger", "event_date"),
    ("marts", "fct_redemption_items", "redemption_date"),
    ("marts", "member_monthly", "month_start"),
    ("ml", "ml_member_features", "cutoff_date"),
]
# Bookkeeping that records when a row was loaded, and DuckDB's numeric row fingerprint
# (macros/surrogate_key.sql: each engine keeps its own cheapest form; never compared across).
NOT_COMPARED = {"loaded_at", "loaded_through", "row_fingerprint"}


def _test_name(node: dict) -> str | None:
    """A generic test's name (`not_null`, `no_pii_shaped_values`, ...); None for the rest."""
    return (node.get("test_metadata") or {}).get("name")


def _ran(results: list[dict]) -> dict[str, str]:
    return {r["unique_id"]: r["status"] for r in results}


def test_every_model_and_test_runs_on_the_emulator(emulator):
    manifest = emulator.artifact("manifest.json")
    expected = {
        uid
        for uid, node in {**manifest["nodes"], **manifest.get("unit_tests", {})}.items()
        if node["resource_type"] in ("model", "test", "unit_test")
        and node["package_name"] == "loyalty"
        and _test_name(node) not in BUILTIN_TESTS
    }
    kinds = {uid.split(".")[0] for uid in expected}
    assert {"model", "test", "unit_test"} <= kinds
    # the project's own generic tests run here, and its singular tests
    assert {_test_name(node) for node in manifest["nodes"].values()} - set(BUILTIN_TESTS) > {None}
    merged = {uid for uid in expected if uid.startswith("model.")}  # the second run: models
    for target, built in ((emulator.first, expected), (emulator.second, merged)):
        ran = _ran(emulator.results[target])
        assert set(ran) >= built, sorted(built - set(ran))[:10]
        failed = {uid: s for uid, s in ran.items() if s not in ("success", "pass")}
        assert not failed, failed


def test_incremental_models_merge_new_rows(emulator):
    incremental = emulator.incremental_models()
    assert len(incremental) >= 14
    nodes = emulator.artifact("manifest.json")["nodes"].values()
    strategies = {n["name"]: n["config"].get("incremental_strategy") for n in nodes}
    for name in incremental:
        ran = next(emulator.second.glob(f"run/loyalty/models/**/{name}.sql")).read_text()
        if strategies[name] == "append":  # the quarantine: only the rows loaded since
            assert ran.lstrip().startswith("insert into"), name
        else:  # delete+insert or replace_tail: one MERGE with markers, not a rebuild
            assert "dbt_is_delete_marker" in ran, name
    # the feature mart relabelled stored rows (every member's at October's cutoff, whose label
    # window closed) and added January's cutoff in one aggregate, instead of rebuilding
    # everyone's last cutoffs (the SQL the build ran: `docs generate` compiles it again after)
    features = next(
        r["compiled_code"]
        for r in emulator.results[emulator.second]
        if r["unique_id"] == "model.loyalty.ml_member_features"
    )
    assert "relabel_keys" in features and "new_cutoff_features" in features
    # two more exports reached every fact: the second run wrote rows into each
    # (test_tables_equal_duckdbs_built_from_the_same_seeds checks they are the right ones)
    after = emulator.last_loads()
    facts = ["fct_transactions", "fct_points_ledger", "fct_redemption_items", "member_monthly"]
    for name in ["base_loyalty__transactions", *facts, "ml_member_features"]:
        assert after[name] > emulator.loaded_after_first[name], name


@pytest.mark.parametrize(("folder", "model", "column"), PARTITIONED)
def test_large_tables_are_partitioned_and_clustered(emulator, folder, model, column):
    ddl = (emulator.first / "run" / "loyalty" / "models" / folder / f"{model}.sql").read_text()
    assert f"partition by {column}" in ddl or f"partition by date_trunc({column}, month)" in ddl
    assert "cluster by member_id" in ddl
    table = emulator.client().get_table(f"local-project.loyalty_{folder}.{model}")
    assert table.time_partitioning is not None and table.time_partitioning.field == column
    assert table.clustering_fields == ["member_id"]


def test_docs_catalog_has_every_model_and_its_columns(emulator):
    manifest = emulator.artifact("manifest.json")
    catalog = emulator.artifact("catalog.json")
    models = {
        uid: node
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] in ("model", "seed")
    }
    assert set(catalog["nodes"]) == set(models)
    for uid, node in models.items():
        documented = {c.lower() for c in node["columns"]}
        built = {c.lower() for c in catalog["nodes"][uid]["columns"]}
        assert documented <= built, (uid, documented - built)
    assert "source.loyalty.ml_scores.model_scores" in catalog["sources"]


def _holds_decimals(values: pd.Series) -> bool:
    present = values.dropna()
    return values.dtype == object and len(present) > 0 and isinstance(present.iloc[0], Decimal)


def _holds_datetimes(values: pd.Series) -> bool:
    present = values.dropna()
    return values.dtype == object and len(present) > 0 and isinstance(present.iloc[0], datetime)


def _datetimes_as_text(values: pd.Series) -> pd.Series:
    """Naive UTC text, in the column's finest needed unit (pandas' own rule), for numpy and
    Python datetimes alike: past pandas' nanosecond range (a quarantined version stamped
    9999-12-31) the BigQuery client hands Python datetimes."""
    py = [None if pd.isna(v) else pd.Timestamp(v).to_pydatetime() for v in values]
    py = [v.astimezone(UTC).replace(tzinfo=None) if v and v.tzinfo else v for v in py]
    present = [v for v in py if v is not None]
    if all(v.hour == v.minute == v.second == v.microsecond == 0 for v in present):
        unit = "%Y-%m-%d"
    elif all(v.microsecond == 0 for v in present):
        unit = "%Y-%m-%d %H:%M:%S"
    else:
        unit = "%Y-%m-%d %H:%M:%S.%f"
    return pd.Series([v.strftime(unit) if v else None for v in py], index=values.index)


def _normalised(frame: pd.DataFrame) -> pd.DataFrame:
    """Each engine's types to one comparable form: timestamps as naive UTC text, decimals and
    floats rounded to 6 places (sums may differ in the last bits), nulls alike; rows sorted."""
    out = {}
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_datetime64_any_dtype(values) or _holds_datetimes(values):
            values = _datetimes_as_text(values)
        elif pd.api.types.is_float_dtype(values) or _holds_decimals(values):
            values = values.astype(float).round(6)
        out[column] = values.astype(object).where(values.notna(), "<null>").astype(str)
    result = pd.DataFrame(out)
    return result.sort_values(list(result.columns)).reset_index(drop=True)


SCORED = {
    "mart_member_churn_risk",
    "ml_score_outcomes",
    "mart_model_performance",
    "mart_model_calibration",
    "mart_model_drift",
}


def _tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    rows = con.execute(
        "select schema_name, table_name from duckdb_tables() "
        "where schema_name in ('main_staging', 'main_marts', 'main_ml') order by 1, 2"
    ).fetchall()
    # the scored and monitoring marts read each warehouse's own ML scores
    return [(s, t) for s, t in rows if t not in SCORED]


# google-cloud-bigquery points to pandas-gbq for DataFrames; its own to_dataframe is what the
# emulator supports (REST pages, no Storage API) and keeps dates and decimals comparable.
@pytest.mark.filterwarnings("ignore:Retrieving DataFrames via google-cloud-bigquery")
def test_tables_equal_duckdbs_built_from_the_same_seeds(emulator):
    client = emulator.client()
    with duckdb.connect(str(emulator.duckdb), read_only=True) as con:
        tables = _tables(con)
        assert len(tables) >= 20
        differences = {}
        for schema, table in tables:
            columns = [
                c
                for (c,) in con.execute(
                    "select column_name from duckdb_columns() where schema_name = ? "
                    "and table_name = ? order by column_index",
                    [schema, table],
                ).fetchall()
                if c not in NOT_COMPARED
            ]
            listed = ", ".join(columns)
            duck = _normalised(con.execute(f"select {listed} from {schema}.{table}").df())
            dataset = schema.replace("main_", "loyalty_")
            bq = client.query(f"select {listed} from `{dataset}.{table}`")
            big = _normalised(bq.to_dataframe(create_bqstorage_client=False))
            assert len(duck) > 0, table
            if len(duck) != len(big):
                differences[table] = f"{len(duck)} rows on DuckDB, {len(big)} on the emulator"
                continue
            unequal = [c for c in columns if not (duck[c].to_numpy() == big[c].to_numpy()).all()]
            if unequal:
                differences[table] = f"columns differ: {unequal}"
    assert not differences, differences


@pytest.mark.filterwarnings("ignore:Retrieving DataFrames via google-cloud-bigquery")
def test_ml_trains_and_scores_against_the_emulator(emulator, tmp_path):
    runner = CliRunner()
    base = [
        "--target",
        "bigquery_emulator",
        "--target-dir",
        str(emulator.second),
        "--tracking-uri",
        f"sqlite:///{tmp_path / 'mlflow' / 'mlflow.db'}",
    ]
    env = {  # the emulator's reads and writes are the point, not the model selection
        "LOYALTY_REPORTS": str(tmp_path / "reports"),
        "LOYALTY_SPECS": str(light_specs(tmp_path / "specs", ("churn",))),
    }
    client = emulator.client()
    for args in (["train", "churn"], ["score", "churn"], ["score", "churn"]):
        result = runner.invoke(app, [*base, *args], env=env)
        assert result.exit_code == 0, result.output
        assert "Traceback" not in result.output
    champion = Registry(base[-1]).get_version("churn")
    first_test_cutoff = champion.metadata["split"]["test_periods"][0]
    to_score = client.query(
        "select count(*) as n from `loyalty_ml.ml_member_features` "
        f"where is_eligible and cutoff_date >= date '{first_test_cutoff}'"
    )
    expected = next(iter(to_score.result())).n
    assert expected > 0
    written = client.query(
        "select count(*) as n, count(distinct entity_id) as members, min(score) as low, "
        "max(score) as high from `ml_scores.model_scores` where model_name = 'churn'"
    )
    row = next(iter(written.result()))
    # scored twice, stored once: the second run replaced the first one's rows
    assert row.n == expected
    assert 0.0 <= row.low <= row.high <= 1.0

    emulator.dbt.at(UNUSED, tmp_path / "scored", ["build", "-s", "source:ml_scores+"])
    scored = client.query("select count(*) as n from `loyalty_ml.mart_member_churn_risk`")
    assert next(iter(scored.result())).n >= row.members > 0

    # the loop's SQL on BigQuery: the rank-form ROC AUC equals scikit-learn's on the same rows
    outcomes = client.query(
        "select cutoff_date, score, outcome from `loyalty_ml.ml_score_outcomes`"
    ).to_dataframe(create_bqstorage_client=False)
    performance = client.query(
        "select cutoff_date, roc_auc from `loyalty_ml.mart_model_performance`"
    ).to_dataframe(create_bqstorage_client=False)
    assert len(performance) >= 4
    realised = dict(zip(performance.cutoff_date, performance.roc_auc, strict=True))
    for cutoff, rows in outcomes.groupby("cutoff_date"):
        assert realised[cutoff] == pytest.approx(roc_auc_score(rows.outcome, rows.score), abs=1e-9)
    drift = client.query(
        "select count(*) as n, count(distinct feature) as features "
        "from `loyalty_ml.mart_model_drift`"
    )
    drift_row = next(iter(drift.result()))
    assert drift_row.n > 0 and drift_row.features > 20


def test_a_build_without_a_pii_key_refuses(emulator, tmp_path, capsys):
    """The emulator is not the local dev target: with no key table, nothing is hashed."""
    args = ["run", "-s", "dim_date", "--vars", '{"pii_key_schema": "no_key_here"}']
    result = emulator.dbt.at(UNUSED, tmp_path / "nokey", args, check=False)
    assert not result.success
    said = capsys.readouterr().out + str(result.exception)
    assert "no usable PII key" in said
    assert "pii-key install" in said
