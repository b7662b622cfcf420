"""Raw load at the same row count, three ways: `dbt seed` of the rows as CSV (what a project
without a lake would do), the lake path (a dbt model reading the daily Parquet partitions in
place) and DuckDB's own read of the same files from Python (the floor).

The comparison runs in a throwaway dbt project in the work folder so the seed is exactly the
chosen rows and nothing else runs; both dbt commands are whole processes (start-up included),
and the lake model's time inside dbt is reported beside it.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb

from loyalty_bench.process import dbt_env, run_process

DBT = str(Path(sys.executable).with_name("dbt"))
TABLE = "transactions"


def pick_partitions(lake: Path, max_rows: int) -> tuple[list[Path], int]:
    """Whole daily partitions of the transactions, oldest first, up to max_rows rows."""
    files, rows = [], 0
    with duckdb.connect() as con:
        for folder in sorted((lake / TABLE).iterdir()):
            parts = sorted(folder.glob("*.parquet"))
            if not parts:  # a day without purchases: only the export's marker
                continue
            count = con.execute(
                "select count(*) from read_parquet(?)", [[str(p) for p in parts]]
            ).fetchall()[0][0]
            if files and rows + count > max_rows:
                break
            files.extend(parts)
            rows += count
    return files, rows


def _write_project(project: Path, files: list[Path], columns: list[str]) -> None:
    (project / "seeds").mkdir(parents=True, exist_ok=True)
    (project / "models").mkdir(exist_ok=True)
    column_types = "".join(f"\n        {c}: varchar" for c in columns)
    (project / "dbt_project.yml").write_text(
        "name: load_bench\nversion: '1.0'\nprofile: load_bench\n"
        "seeds:\n  load_bench:\n    raw_transactions:\n      +quote_columns: false\n"
        f"      +column_types:{column_types}\n"
        "models:\n  load_bench:\n    +materialized: table\n"
    )
    (project / "profiles.yml").write_text(
        "load_bench:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
        "      path: \"{{ env_var('LOYALTY_DUCKDB_PATH') }}\"\n      threads: 1\n"
        "      settings:\n"
        "        memory_limit: \"{{ env_var('LOYALTY_DUCKDB_MEMORY_LIMIT') }}\"\n"
        "        threads: \"{{ env_var('LOYALTY_DUCKDB_THREADS') | int }}\"\n"
        "        preserve_insertion_order: false\n"
    )
    paths = ", ".join(f"'{p}'" for p in files)
    (project / "models" / "lake_transactions.sql").write_text(
        f"select * from read_parquet([{paths}], hive_partitioning = true)\n"
    )


def compare_loads(lake: Path, workdir: Path, max_rows: int, threads: int) -> dict:
    files, rows = pick_partitions(lake, max_rows)
    project = workdir / "load_project"
    with duckdb.connect() as con:
        relation = con.sql(
            "select * from read_parquet(?, hive_partitioning = true)",
            params=[[str(p) for p in files]],
        )
        columns = relation.columns
        csv = project / "seeds" / "raw_transactions.csv"
        _write_project(project, files, columns)
        relation.write_csv(str(csv))
    env = dbt_env(workdir / "load.duckdb", project / "target", lake, threads)
    # a project of its own: both variables, or dbt looks for this project's profile
    # ('loyalty') in the scratch profiles (make exports DBT_PROJECT_DIR)
    env["DBT_PROFILES_DIR"] = env["DBT_PROJECT_DIR"] = str(project)
    seed_s, seed_rss = run_process([DBT, "seed"], env, cwd=project)
    lake_s, lake_rss = run_process([DBT, "run"], env, cwd=project)
    results = json.loads((project / "target" / "run_results.json").read_text())["results"]
    lake_in_dbt = results[0]["execution_time"]

    with duckdb.connect(
        str(workdir / "load_raw.duckdb"),
        config={"threads": threads, "memory_limit": env["LOYALTY_DUCKDB_MEMORY_LIMIT"]},
    ) as con:
        start = time.perf_counter()
        con.execute(
            "create or replace table t as select * from read_parquet(?, hive_partitioning = true)",
            [[str(p) for p in files]],
        )
        duckdb_s = time.perf_counter() - start
    for scratch in ("load.duckdb", "load_raw.duckdb"):
        (workdir / scratch).unlink(missing_ok=True)
    return {
        "rows": rows,
        "csv_mb": csv.stat().st_size / 1024**2,
        "dbt_seed": {"seconds": seed_s, "peak_rss_mb": seed_rss, "rows_per_s": rows / seed_s},
        "lake_dbt": {"seconds": lake_s, "peak_rss_mb": lake_rss, "model_seconds": lake_in_dbt},
        "duckdb_read": {"seconds": duckdb_s},
        "seed_over_lake": seed_s / lake_s,
        "lake_over_duckdb": lake_s / duckdb_s,
        "lake_model_over_duckdb": lake_in_dbt / duckdb_s,
    }
