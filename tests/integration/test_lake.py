"""The lake path: the same generated extracts landed as daily Parquet partitions and read by
the same staging models (var raw_layer=lake) give exactly the marts the CSV seeds give."""

from __future__ import annotations

import duckdb
import pytest

from ml import bench_pandas
from ml.bench_scale import differing_rows
from ml.datagen import GeneratorConfig, generate
from tests.integration.conftest import dbt_env, run_dbt

pytestmark = pytest.mark.integration

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
    days = {p.name for p in (lake / "transactions").iterdir()}
    assert len(days) == written["lake"]["tables"]["transactions"]["partitions"] > 600
    assert all(d.startswith("extract_date=") for d in days)

    env = {**dbt_env(tmp_path / "lake.duckdb", tmp_path / "target"), "LOYALTY_LAKE": str(lake)}
    # unit tests mock the seeds by name, so they run on the seeds build only
    run_dbt(["build", "--vars", "{raw_layer: lake}", "--exclude", "test_type:unit"], env)

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
        _, transactions = bench_pandas.member_monthly(lake)
        facts = con.execute("select count(*) from main_marts.fct_transactions").fetchall()[0][0]
        assert transactions == facts
