"""The scale benchmark's own machinery: the numbers it reports are only as good as these."""

from __future__ import annotations

import sys
from datetime import date

import duckdb
import numpy as np
import pytest

from loyalty_bench import churn_ceiling, scale
from loyalty_bench.load import pick_partitions
from loyalty_bench.markdown import markdown
from loyalty_bench.process import run_process
from loyalty_bench.raw import model_order, write_floor
from loyalty_datagen.config import GeneratorConfig
from loyalty_datagen.lake import EXPORT_MARKER


def test_peak_rss_is_the_childs_own():
    # the parent holds 300 MB; the child allocates about 100 MB: the report is the child's
    ballast = bytearray(300 * 1024 * 1024)
    child = "x = bytearray(100 * 1024 * 1024); import time; time.sleep(0.3)"
    seconds, peak = run_process([sys.executable, "-c", child])
    assert len(ballast) and seconds > 0.3
    assert 100 < peak < 250


def test_a_failing_child_stops_the_benchmark_with_its_output():
    with pytest.raises(SystemExit, match="boom"):
        run_process([sys.executable, "-c", "raise SystemExit('boom')"])


def test_a_repeated_run_starts_each_time_from_the_same_state(tmp_path):
    # each run appends what it found in the "warehouse" to a log and then changes it
    db, log = tmp_path / "inc.duckdb", tmp_path / "seen.txt"
    db.write_text("before")
    child = (
        "import pathlib, sys; db, log = map(pathlib.Path, sys.argv[1:]); "
        "log.open('a').write(db.read_text() + '\\n'); db.write_text('after')"
    )
    runs = scale._repeat_run([sys.executable, "-c", child, str(db), str(log)], None, db, 3)
    assert len(runs) == 3 and all(seconds > 0 for seconds, _ in runs)
    assert log.read_text().split() == ["before"] * 3
    assert db.read_text() == "after"  # the last run's state is kept
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inc.duckdb", "seen.txt"]


def test_models_run_after_what_they_read():
    def node(name, *parents):
        return {
            "resource_type": "model",
            "name": name,
            "depends_on": {"nodes": [f"model.p.{p}" for p in parents]},
        }

    manifest = {
        "nodes": {
            "model.p.c": node("c", "b", "a"),
            "model.p.a": node("a"),
            "model.p.b": node("b", "a"),
            "model.p.mart_member_churn_risk": node("mart_member_churn_risk", "c"),
            "test.p.t": {"resource_type": "test"},
        }
    }
    assert [n["name"] for n in model_order(manifest)] == ["a", "b", "c"]


def test_the_write_floor_copies_every_table_model_and_no_view(tmp_path):
    built, scratch = tmp_path / "built.duckdb", tmp_path / "floor.duckdb"
    with duckdb.connect(str(built)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.fct as select range as id from range(100000)")

    def node(name, materialized):
        return {"resource_type": "model", "name": name, "alias": name, "schema": "marts",
                "config": {"materialized": materialized}, "depends_on": {"nodes": []}}  # fmt: skip

    nodes = {"model.p.fct": node("fct", "incremental"), "model.p.v": node("v", "view")}
    manifest = {"nodes": nodes}
    assert write_floor(manifest, built, scratch, 1) > 0  # the view is not in `built`: skipped
    assert not scratch.exists()
    manifest["nodes"]["model.p.dim"] = node("dim", "table")  # a table the build did not leave
    with pytest.raises(duckdb.CatalogException, match="dim"):
        write_floor(manifest, built, scratch, 1)


def test_raw_loads_compare_whole_daily_partitions(tmp_path):
    with duckdb.connect() as con:
        con.execute(
            "create table t as select range::varchar as transaction_id, "
            "case when range < 30 then '2025-01-01' else '2025-01-02' end as extract_date "
            "from range(50)"
        )
        con.execute(
            f"copy t to '{tmp_path / 'transactions'}' (format parquet, partition_by (extract_date))"
        )
    assert pick_partitions(tmp_path, 40)[1] == 30  # the second day would pass 40 rows
    assert pick_partitions(tmp_path, 10)[1] == 30  # at least one whole day
    assert pick_partitions(tmp_path, 100)[1] == 50


def _size(**overrides):
    size = {
        "members": 1000,
        "raw_rows": 50_000,
        "generator": {"seconds": 2.0, "rows_per_s": 25_000, "peak_rss_mb": 300},
        "full_refresh": {"seconds": 10.0, "peak_rss_mb": 400, "raw_rows_per_s": 5_000},
        "raw_duckdb": {
            "seconds": 4.0,
            "dbt_over_raw": 2.5,
            "write_floor_seconds": 2.0,
            "raw_rows_per_s_at_floor": 25_000,
        },
        "incremental_one_day": {
            "seconds": 5.0,
            "incremental_over_full": 0.5,
            "label_close_day_seconds": 6.0,
            "label_close_over_full": 0.6,
            "month_start_day_seconds": 2.5,
            "month_start_over_full": 0.25,
            "tables_compared": 2,
            "differing_rows": {"a": 0, "b": 3},
        },
        "raw_load": None,
        "pandas": {"fits": False, "peak_rss_mb": 9000},
    }
    size.update(overrides)
    return size


def test_markdown_shows_ratios_equivalence_and_what_did_not_fit():
    report = {"machine": {"cores": 2, "memory_gb": 23.5}, "duckdb_threads": 2, "sizes": [_size()]}
    text = markdown(report)
    assert "| 1,000 | ? | 50,000 |" in text
    # one of two tables differs
    assert "| 2.50 | 5.0 | 50.00% | 6.0 | 60.00% | 2.5 | 25.00% | 1 / 2 |" in text
    assert "did not fit" in text
    assert "| 1,000 | 50,000 | 10.0 | 4.0 | 2.0 | 25,000 | 5.00 |" in text  # the write floor
    size = _size()
    size["incremental_one_day"].update(
        label_close_day_seconds=None,
        label_close_over_full=None,
        month_start_day_seconds=None,
        month_start_over_full=None,
        tables_compared=0,
    )
    size["incremental_one_day"]["differing_rows"] = {}
    report["sizes"] = [size]
    assert "| 50.00% | failed | - | failed | - | 0 / 0 |" in markdown(report)
    # a day run more than once shows its median and the range of the runs
    size["incremental_one_day"].update(seconds=5.0, runs_seconds=[5.4, 4.2, 5.0])
    assert "| 2.50 | 5.0 (4.2-5.4) | 50.00% |" in markdown(report)


def test_warehouses_compare_by_rows_or_by_checksum(tmp_path, monkeypatch):
    """The same rows in another order (bookkeeping aside) are equal, and one changed value is
    caught, both where the bench compares rows and where it compares checksums."""
    paths = {name: tmp_path / f"{name}.duckdb" for name in ("left", "right")}
    rows = [(0, 1.5), (1, 2.0), (0, 2.0)]
    for name, ordered, loaded in [("left", rows, 7), ("right", rows[::-1], 8)]:
        with duckdb.connect(str(paths[name])) as con:
            con.execute("create schema main_marts")
            con.execute(
                "create table main_marts.fct (id int, amount decimal(6, 2), loaded_through int)"
            )
            con.executemany(
                "insert into main_marts.fct values (?, ?, ?)", [(*r, loaded) for r in ordered]
            )

    def compared(max_rows: int) -> int:
        monkeypatch.setattr(scale, "EXCEPT_ALL_MAX_ROWS", max_rows)
        return scale.compare_warehouses(paths["left"], paths["right"])["main_marts.fct"]

    assert compared(10) == compared(0) == 0
    with duckdb.connect(str(paths["right"])) as con:
        con.execute("update main_marts.fct set amount = 2.5 where amount = 1.5")
    assert compared(10) == 2  # one row only left, one only right
    assert compared(0) == 1  # checksums differ


def test_the_growing_lake_holds_the_early_days_and_appends_the_rest(tmp_path):
    from datetime import date

    from loyalty_datagen import GeneratorConfig, append_days, generate

    cfg = GeneratorConfig(seed=3, members=120, months=6, start=date(2024, 1, 1))
    generate(cfg, None, tmp_path / "meta", out_lake=tmp_path / "lake")
    lake = tmp_path / "lake"
    grown, meta = scale.growing_lake(lake, tmp_path / "meta", tmp_path, "2024-06-20")
    days = sorted(p.name for p in (grown / "transactions").iterdir())
    assert days[-1] == "extract_date=2024-06-20"
    assert (grown / "_pending_exports" / "transactions").is_dir()
    append_days(grown, meta, 11)  # through the last export, 2024-07-01
    # every table's every export day carries its marker, the early days' and the appended ones
    marked = [{p.relative_to(r) for p in r.glob(f"*/*/{EXPORT_MARKER}")} for r in (grown, lake)]
    assert marked[0] == marked[1] and len(marked[0]) > 9 * 170
    read = "select * from read_parquet('{}/{}/*/*.parquet', hive_partitioning = true)"
    with duckdb.connect() as con:
        for table in ("members", "transactions", "redemptions"):
            ours, theirs = read.format(grown, table), read.format(lake, table)
            for a, b in ((ours, theirs), (theirs, ours)):
                missing = con.execute(f"select count(*) from ({a} except all {b})").fetchall()
                assert missing == [(0,)], table
    assert (lake / "transactions").is_dir()  # hard links: the source lake stays


def test_the_label_closing_day_is_a_cutoff_plus_90_days():
    closing = scale._label_closing_day
    assert closing("2025-12-15", "2026-01-01") == "2025-12-30"  # October 1 + 90 days
    assert closing("2025-12-30", "2026-01-01") is None  # strictly between the two
    assert closing("2024-06-01", "2024-07-01") == "2024-06-30"  # April 1 + 90 days


def test_the_churn_ceiling_is_a_conditional_expectation_of_the_label():
    # The observable posterior and the oracle both condition the same label on what is known
    # (the oracle knows more): their means agree, the oracle ranks at least as well, and the
    # posterior still follows it closely. A wrong likelihood term breaks one of the three.
    cfg = GeneratorConfig(seed=5, members=800, months=14, start=date(2024, 1, 1))
    (history,) = churn_ceiling.simulate_history(cfg)
    truth = history.truth[history.truth.cutoff.isin(["2024-09-01", "2024-10-01"])]
    rows = truth[["member_id", "cutoff"]].reset_index(drop=True)
    d = churn_ceiling.ceiling(cfg, rows, progress=lambda _: None)
    assert len(d) == len(rows) and d.p_observable.between(0, 1).all()
    assert abs(d.p_observable.mean() - d.p_oracle.mean()) < 0.02
    assert np.corrcoef(d.p_observable, d.p_oracle)[0, 1] > 0.8
    already = d.p_oracle == 1.0  # churned before the cutoff: only the oracle is sure
    assert already.any() and (d.p_observable[already] < 1.0).all()
    assert d.p_observable[already].mean() > 0.5 > d.p_observable[~already].mean()
