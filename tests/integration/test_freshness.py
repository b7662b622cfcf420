"""Source freshness (`dbt source freshness`), the way an operator runs it each morning: the raw
extracts (one export a day: 26 hours warns, 50 errors), read from the raw layer the project
runs on (the lake, or the loaded seeds), and the scores `ml score` writes back. The committed
seeds are a frozen sample that ends with the export of 2026-01-01, so they read as stale; a
lake whose newest export is this morning's reads as fresh."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from loyalty_datagen import GeneratorConfig, generate
from tests.integration.conftest import InProcessDbt, copy_warehouse, dbt, dbt_env

pytestmark = pytest.mark.integration

RAW_TABLES = [
    "members", "partners", "stores", "products", "campaigns", "transactions", "redemptions",
    "redemption_items", "point_expirations",
]  # fmt: skip


def _freshness(args: list[str], env: dict[str, str], target) -> dict[str, str]:
    """Each source table's status (pass, warn, error, runtime error) from sources.json."""
    result = dbt(["source", "freshness", *args], env)
    assert "Traceback" not in result.stdout + result.stderr, result.stdout[-2000:]
    return _statuses(target)


def _statuses(target) -> dict[str, str]:
    sources = json.loads((target / "sources.json").read_text())["results"]
    return {row["unique_id"].split(".", 2)[2]: row["status"] for row in sources}


@pytest.fixture(scope="module")
def in_process(session_dbt) -> InProcessDbt:
    """The seeds' and the scores' freshness, four calls, on the session's parse."""
    return session_dbt


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def test_the_seeds_read_as_stale_from_their_newest_export(warehouse, in_process, tmp_path):
    database = copy_warehouse(warehouse.clean, tmp_path / "db", warehouse.path.name)
    in_process.at(
        database, tmp_path / "target", ["source", "freshness", "-s", "source:loyalty"], False
    )
    statuses = _statuses(tmp_path / "target")
    assert statuses == {f"loyalty.{table}": "error" for table in RAW_TABLES}
    sources = json.loads((tmp_path / "target" / "sources.json").read_text())["results"]
    (members,) = [row for row in sources if row["unique_id"].endswith(".members")]
    with duckdb.connect(str(database), read_only=True) as con:
        newest = con.execute("select max(extracted_at) from main_raw.raw_members").fetchall()
    assert members["max_loaded_at"].startswith(newest[0][0].replace(" ", "T"))


@pytest.mark.own_build
def test_lake_freshness_names_the_stale_tables(tmp_path):
    lake = tmp_path / "lake"
    generate(GeneratorConfig(members=150, months=4), None, tmp_path / "meta", out_lake=lake)
    # this morning's members export: the newest partition again, stamped an hour ago
    newest = sorted(p for p in (lake / "members").iterdir() if any(p.glob("*.parquet")))[-1]
    today = lake / "members" / f"extract_date={_now().date()}"
    today.mkdir()
    stamp = (_now() - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
    source = next(newest.glob("*.parquet"))
    with duckdb.connect() as con:
        con.execute(
            f"copy (select * replace ('{stamp}' as extracted_at) from read_parquet('{source}')) "
            f"to '{today / 'part-0.parquet'}' (format parquet)"
        )
    env = {**dbt_env(tmp_path / "lake.duckdb", tmp_path / "target"), "LOYALTY_LAKE": str(lake)}
    tables = ["source:loyalty.members", "source:loyalty.transactions"]
    statuses = _freshness(["-s", *tables, "--vars", "{raw_layer: lake}"], env, tmp_path / "target")
    # the purchases' newest export is from 2024: stale, an error; the members' is an hour old
    assert statuses == {"loyalty.members": "pass", "loyalty.transactions": "error"}


def test_scores_freshness_follows_the_last_scoring_run(warehouse, in_process, tmp_path):
    # the build before any test scored
    database = copy_warehouse(warehouse.clean, tmp_path / "db", warehouse.path.name)
    freshness = ["source", "freshness", "-s", "source:ml_scores"]
    # a newer run each time: freshness reads the newest scored_at
    for age_hours, expected in [(60, "error"), (30, "warn"), (1, "pass")]:
        scored_at = _now() - timedelta(hours=age_hours)
        with duckdb.connect(str(database)) as con:
            con.execute(
                "insert into ml_scores.model_scores values "
                "('churn', 'v0001', '1', date '2025-01-01', 0.5, ?)",
                [scored_at],
            )
        in_process.at(database, tmp_path / "target", freshness, check=False)
        statuses = _statuses(tmp_path / "target")
        assert statuses == {"ml_scores.model_scores": expected}, age_hours
