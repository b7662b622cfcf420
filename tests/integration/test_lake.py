"""The lake path: the same generated extracts landed as daily Parquet partitions and read by
the same staging models (var raw_layer=lake) give exactly the marts the CSV seeds give."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from loyalty_bench import pandas_baseline
from loyalty_bench.scale import differing_rows
from loyalty_datagen import GeneratorConfig, generate
from tests.integration.conftest import InProcessDbt, dbt_env, run_dbt

pytestmark = pytest.mark.integration

LAKE_VARS = "{raw_layer: lake}"
MARTS = [
    "dim_member",
    "dim_partner",
    "dim_store",
    "dim_product",
    "dim_campaign",
    "fct_transactions",
    "fct_redemption_items",
    "fct_points_ledger",
    "member_monthly",
]


def test_lake_and_seeds_build_the_same_marts(warehouse, manifest, tmp_path):
    lake = tmp_path / "lake"
    written = generate(GeneratorConfig(), None, tmp_path / "meta", out_lake=lake)
    assert written["tables"] == manifest["tables"]  # the same extracts as the seeds
    days = {p.name for p in (lake / "transactions").iterdir() if any(p.glob("*.parquet"))}
    assert len(days) == written["lake"]["tables"]["transactions"]["partitions"] > 600
    assert all(d.startswith("extract_date=") for d in days)

    env = {**dbt_env(tmp_path / "lake.duckdb", tmp_path / "target"), "LOYALTY_LAKE": str(lake)}
    # the models and the reference seed: the raw seeds are not read, and the data tests run on
    # a lake build in the Airflow replay (test_airflow_daily.py)
    skipped = ["config.schema:raw", "resource_type:test", "resource_type:unit_test"]
    run_dbt(["build", "--vars", "{raw_layer: lake}", "--exclude", *skipped], env)

    with duckdb.connect(str(warehouse.path), read_only=True) as con:
        con.execute(f"attach '{tmp_path / 'lake.duckdb'}' as lake (read_only)")
        for mart in MARTS:
            seeds, lake_mart = f"main_marts.{mart}", f"lake.main_marts.{mart}"
            count = con.execute(f"select count(*) from {seeds}").fetchall()[0][0]
            assert count == con.execute(f"select count(*) from {lake_mart}").fetchall()[0][0] > 0
            # same rows, bookkeeping (when each build loaded them) aside
            assert differing_rows(con, "lake", "main_marts", mart) == (0, 0), mart

        # the pandas baseline of the scale benchmark computes the same purchases from the lake
        # (a baseline that computed something else would prove nothing)
        _, transactions = pandas_baseline.member_monthly(lake)
        facts = con.execute("select count(*) from main_marts.fct_transactions").fetchall()[0][0]
        assert transactions == facts


@pytest.mark.own_build
def test_a_young_lake_builds_and_a_bad_partition_is_named(tmp_path, monkeypatch):
    """Four months in, no points have expired yet: the expirations table has no files and
    builds as an empty relation. A partition that lost a column, or an export that lands
    after the lookback window, stops the run with a message naming it and what to do."""
    lake = tmp_path / "lake"
    cfg = GeneratorConfig(members=150, months=4)
    written = generate(cfg, None, tmp_path / "meta", out_lake=lake)
    assert written["tables"]["point_expirations"]["rows"] == 0
    assert not list((lake / "point_expirations").glob("*/*.parquet"))
    env = {**dbt_env(tmp_path / "young.duckdb", tmp_path / "target"), "LOYALTY_LAKE": str(lake)}
    dbt = InProcessDbt(env, monkeypatch, parse_vars=LAKE_VARS)  # five calls, one parse
    dbt(["seed", "-s", "ref_br_national_holidays"])  # the raw tables are the lake
    dbt(["run", "--vars", LAKE_VARS])
    with duckdb.connect(str(tmp_path / "young.duckdb"), read_only=True) as con:
        expirations = "select count(*) from main_staging.stg_loyalty__point_expirations"
        assert con.execute(expirations).fetchall() == [(0,)]

    # an export held back while the purchases load, landing later, older than the lookback
    days = sorted(p for p in (lake / "transactions").iterdir() if any(p.glob("*.parquet")))
    late = days[len(days) // 2]
    held = tmp_path / late.name
    shutil.move(late, held)
    one = ["run", "-s", "base_loyalty__transactions", "--vars", LAKE_VARS]
    dbt([*one, "--full-refresh"])
    shutil.move(held, late)
    result = dbt(one, check=False)
    assert not result.success
    assert f"{late.name.split('=')[1]} arrived after the lookback window" in dbt.said(result)
    assert "dbt build --full-refresh -s base_loyalty__transactions+" in dbt.said(result)

    part = next(late.glob("*.parquet"))
    with duckdb.connect() as con:
        con.execute(
            f"copy (select * exclude (campaign_id) from read_parquet('{part}')) "
            f"to '{part}.tmp' (format parquet)"
        )
    Path(f"{part}.tmp").replace(part)
    result = dbt([*one, "--full-refresh"], check=False)
    assert not result.success
    assert f"lake table transactions, partition {late.name}" in dbt.said(result)
    assert "missing column(s) campaign_id" in dbt.said(result)
