"""`make bench` (warehouse part): the generator and the dbt build at growing sizes, each beside
the engine it runs on, measured in the same run so the ratios mean something.

For each size (members; about 50 purchases per member over two years):
- generator: wall time, raw rows/s and peak RSS (its own process);
- full refresh: `dbt run --full-refresh` of every model over the lake, wall time and peak RSS;
- raw DuckDB: the same compiled SQL of every model, run in dependency order straight from
  Python on a fresh DuckDB file: the engine's own time, and the dbt / raw ratio; then the
  write floor (the built tables written again, no computation) and the raw rows/s it allows;
- incremental: a lake that holds the extracts through 17 days before the end (hard links to
  the generated one, the rest pending), built by full refresh; one more export appended
  (`append_days`) and the incremental run, three times from the same state (`--day-repeats`;
  one run spreads widely): the median run / full refresh, with every run's time; then, caught
  up to in between, two more kinds of day alone with their ratios: the export that closes a label
  window (a cutoff + 90 days: the feature mart relabels everyone's row at that cutoff) and
  the last export, a month start (everyone's new month and new feature cutoff); then every
  table of the two warehouses compared (`except all` both ways): the equivalence test at
  this size;
- raw load (sizes whose purchases fit `--seed-max-rows`): `dbt seed` vs the lake path vs
  DuckDB's own read at the same row count (loyalty_bench.load);
- pandas baseline (loyalty_bench.pandas_baseline) under an address-space cap, checked against
  the warehouse.
Results: bench_results/scale.json and scale.md (git-ignored), with the machine's cores and RAM.
`--workdir DIR --reuse` keeps the lakes and skips generating a size whose lake is there.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb

from loyalty_bench.load import compare_loads
from loyalty_bench.markdown import markdown, seconds_text
from loyalty_bench.process import dbt_env, memory_limit, run_process
from loyalty_datagen import GENERATOR_VERSION, append_days
from loyalty_datagen.lake import EXPORT_MARKER, PENDING_EXPORTS
from ml.config import PROJECT_ROOT

DBT = str(Path(sys.executable).with_name("dbt"))
# schemas whose tables the equivalence check compares; the churn mart reads ML scores, which
# neither warehouse of the benchmark has
COMPARED_SCHEMAS = ("main_staging", "main_marts", "main_ml")
NOT_COMPARED = {"mart_member_churn_risk"}
# when a row was built is bookkeeping, not data: it differs between the two histories by design
BOOKKEEPING = {"loaded_through", "loaded_at"}


def growing_lake(lake: Path, meta: Path, workdir: Path, through: str) -> tuple[Path, Path]:
    """The generated lake as `ml datagen --lake-through` would have left it: the extract days
    up to `through` in the lake, the later ones waiting in its pending exports, so that
    `append_days` can land them one run at a time. Made of hard links (no copy at any size);
    returns the new lake and its manifest's folder."""
    grown, grown_meta = workdir / "growing_lake", workdir / "growing_meta"
    shutil.rmtree(grown, ignore_errors=True)
    for part in sorted(lake.glob("*/extract_date=*")):
        table, day = part.parent.name, part.name.removeprefix("extract_date=")
        for file in part.glob("*.parquet"):
            if day <= through:
                target = grown / table / part.name / file.name
            else:
                target = grown / PENDING_EXPORTS / table / f"{day}-{file.name}"
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(file, target)
        if day <= through and (part / EXPORT_MARKER).exists():  # empty days keep theirs too
            (grown / table / part.name).mkdir(parents=True, exist_ok=True)
            (grown / table / part.name / EXPORT_MARKER).touch()
    manifest = json.loads((meta / "manifest.json").read_text())
    with duckdb.connect() as con:
        held = {
            table: con.execute(
                f"select count(*), count(distinct extract_date) from read_parquet("
                f"'{grown / table}/*/*.parquet', hive_partitioning = true)"
            ).fetchall()[0]
            if any((grown / table).glob("*/*.parquet"))
            else (0, 0)
            for table in manifest["lake"]["tables"]
        }
    manifest["lake"] = {
        "path": str(grown),
        "through": through,
        "tables": {t: {"rows": rows, "partitions": days} for t, (rows, days) in held.items()},
    }
    grown_meta.mkdir(parents=True, exist_ok=True)
    (grown_meta / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return grown, grown_meta


def _raw_duckdb(manifest: Path, full_db: Path, workdir: Path, threads: int) -> dict:
    """The same SQL straight on DuckDB, and the write floor (loyalty_bench.raw), in its own
    process."""
    out = workdir / "raw.json"
    cmd = [sys.executable, "-m", "loyalty_bench.raw", str(manifest), str(full_db),
           str(workdir / "raw.duckdb"), str(threads), str(out)]  # fmt: skip
    run_process(cmd)
    return json.loads(out.read_text())


def _generate(members: int, workdir: Path, reuse: bool) -> dict:
    """Generator figures: measured now, or read back when --reuse finds this size's lake
    written by the current generator version (an older lake's data differs: regenerated)."""
    lake, meta, saved = workdir / "lake", workdir / "meta", workdir / "generator.json"
    if reuse and saved.exists() and (meta / "manifest.json").exists():
        written_by = json.loads((meta / "manifest.json").read_text()).get("generator_version")
        if written_by == GENERATOR_VERSION:
            return json.loads(saved.read_text())
    shutil.rmtree(lake, ignore_errors=True)
    gen_s, gen_rss = run_process(
        [sys.executable, "-m", "loyalty_datagen", "--members", str(members), "--no-seeds",
         "--out-lake", str(lake), "--out-meta", str(meta)]
    )  # fmt: skip
    manifest = json.loads((meta / "manifest.json").read_text())
    raw_rows = sum(t["rows"] for t in manifest["tables"].values())
    figures = {"seconds": gen_s, "rows_per_s": raw_rows / gen_s, "peak_rss_mb": gen_rss}
    saved.write_text(json.dumps(figures))
    return figures


def _compared_columns(
    con: duckdb.DuckDBPyConnection, schema: str, table: str, float_digits: int | None = None
) -> str:
    """The columns to compare; with float_digits, floating-point ones to that many significant
    digits (a sum of doubles depends on the order DuckDB's threads add them in)."""
    columns = con.execute(
        "select column_name, data_type from information_schema.columns where table_catalog "
        "= current_database() and table_schema = ? and table_name = ? "
        "order by ordinal_position",
        [schema, table],
    ).fetchall()
    return ", ".join(
        f"printf('%.{float_digits - 1}e', \"{c}\")"
        if float_digits is not None and t in ("DOUBLE", "FLOAT")
        else f'"{c}"'
        for c, t in columns
        if c not in BOOKKEEPING
    )


def differing_rows(
    con: duckdb.DuckDBPyConnection,
    other: str,
    schema: str,
    table: str,
    float_digits: int | None = None,
) -> tuple:
    """Rows of the table only in the connection's warehouse, and only in the attached `other`
    (`except all` both ways, bookkeeping columns aside)."""
    columns = _compared_columns(con, schema, table, float_digits)
    mine = f'(select {columns} from "{schema}"."{table}")'
    theirs = f'(select {columns} from {other}."{schema}"."{table}")'
    return con.execute(
        f"select (select count(*) from (select * from {mine} except all select * from {theirs})), "
        f"(select count(*) from (select * from {theirs} except all select * from {mine}))"
    ).fetchall()[0]


def checksums_differ(con: duckdb.DuckDBPyConnection, other: str, schema: str, table: str) -> bool:
    """Whether the table's row count or the sum of its rows' hashes (a multiset checksum,
    bookkeeping columns aside) differs from the attached `other`'s. For tables where `except
    all` would hash tens of millions of wide rows into a spilling hash table."""
    columns = _compared_columns(con, schema, table)
    sums = [
        con.execute(f"select count(*), sum(hash({columns})) from {source}").fetchall()[0]
        for source in (f'"{schema}"."{table}"', f'{other}."{schema}"."{table}"')
    ]
    return sums[0] != sums[1]


# above this many rows compare_warehouses compares checksums instead of rows
EXCEPT_ALL_MAX_ROWS = 2_000_000


def compare_warehouses(left: Path, right: Path) -> dict[str, int]:
    """Rows of each table in one warehouse and not the other (`except all`, both ways); for
    tables over EXCEPT_ALL_MAX_ROWS, 1 if their checksums differ and 0 if not."""
    config = {"memory_limit": memory_limit(), "preserve_insertion_order": False}
    with duckdb.connect(str(left), read_only=True, config=config) as con:
        con.execute(f"attach '{right}' as other (read_only)")
        tables = con.execute(
            "select schema_name, table_name, estimated_size from duckdb_tables() where "
            "database_name = current_database() and "
            f"schema_name in {COMPARED_SCHEMAS} order by 1, 2"
        ).fetchall()
        return {
            f"{schema}.{table}": (
                sum(differing_rows(con, "other", schema, table))
                if rows <= EXCEPT_ALL_MAX_ROWS
                else int(checksums_differ(con, "other", schema, table))
            )
            for schema, table, rows in tables
            if table not in NOT_COMPARED
        }


# the models on the path the pandas baseline covers (raw purchases -> member x month)
PANDAS_PATH = ("base_loyalty__transactions", "fct_transactions", "member_monthly")


def pandas_baseline(lake: Path, workdir: Path, warehouse: Path) -> dict:
    """The pandas pipeline in its own process, capped at 3/4 of RAM, checked against the
    warehouse's fct_transactions, and timed beside dbt's time for the same path (models run
    one at a time, so their execution times add up)."""
    out = workdir / "pandas.json"
    cap = int(_memory_gb() * 0.75 * 1024**3)
    cmd = [sys.executable, "-m", "loyalty_bench.pandas_baseline", str(lake), str(out), str(cap)]
    seconds, rss = run_process(cmd)
    result = json.loads(out.read_text())
    result.update(wall_seconds=seconds, peak_rss_mb=rss)
    if result["fits"]:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            facts = con.execute("select count(*) from main_marts.fct_transactions").fetchall()
        result["matches_fct_transactions"] = result["transactions"] == facts[0][0]
    run = json.loads((workdir / "t_full" / "run_results.json").read_text())["results"]
    result["dbt_same_path_seconds"] = sum(
        r["execution_time"] for r in run if r["unique_id"].split(".")[-1] in PANDAS_PATH
    )
    return result


def _repeat_run(cmd: list[str], env: dict, db: Path, repeats: int) -> list[tuple[float, float]]:
    """The same run `repeats` times from the same warehouse state (the file copied back before
    each repeat): one run of a day spreads widely on this machine (9.9-13.3 s for nine runs of
    one day at 1M), so the benchmark reports the median. The last run's state is kept.
    Every run starts after `os.sync()`: the copy's gigabytes still being written back would
    otherwise slow the run's own commits, which wait for the disk."""
    saved = db.with_name(db.stem + "_before_run.duckdb")
    if repeats > 1:
        shutil.copy(db, saved)
    try:
        runs = []
        for repeat in range(repeats):
            if repeat:
                shutil.copy(saved, db)
            os.sync()
            runs.append(run_process(cmd, env))
    finally:
        saved.unlink(missing_ok=True)
    return runs


def bench_size(
    members: int, workdir: Path, threads: int, reuse: bool, seed_max_rows: int, day_repeats: int = 3
) -> dict:
    lake, meta = workdir / "lake", workdir / "meta"
    generator = _generate(members, workdir, reuse)
    manifest = json.loads((meta / "manifest.json").read_text())
    raw_rows = sum(t["rows"] for t in manifest["tables"].values())
    purchases = manifest["tables"]["transactions"]["rows"]
    print(f"{members:,} members: {raw_rows:,} raw rows, generated in {generator['seconds']:.1f} s")

    vars_lake = json.dumps({"raw_layer": "lake"})
    full_db = workdir / "full.duckdb"
    full_db.unlink(missing_ok=True)
    full_env = dbt_env(full_db, workdir / "t_full", lake, threads)
    run_process([DBT, "seed", "-s", "ref_br_national_holidays"], full_env)
    full_s, full_rss = run_process([DBT, "run", "--full-refresh", "--vars", vars_lake], full_env)
    print(f"  dbt full refresh {full_s:.1f} s, peak RSS {full_rss:.0f} MB")

    raw = _raw_duckdb(workdir / "t_full" / "manifest.json", full_db, workdir, threads)
    raw_s, floor_s = raw["seconds"], raw["write_floor_seconds"]
    print(f"  same SQL straight on DuckDB {raw_s:.1f} s; its tables written alone {floor_s:.1f} s")

    # +1 day on an ordinary mid-month export (the last export of a lake starts a month, which
    # gives every member a new month row: measured too, as the catch-up run to the end). The
    # incremental warehouse reads a lake that grows the way a daily lake does (append_days
    # lands the next export), so its runs keep their vars and dbt its partial parse.
    last = manifest["extract_at"][:10]
    one_day = _days_before(last, 16)  # the ordinary mid-month export
    grown, grown_meta = growing_lake(lake, meta, workdir, _days_before(last, 17))
    inc_db = workdir / "inc.duckdb"
    inc_db.unlink(missing_ok=True)
    inc_env = dbt_env(inc_db, workdir / "t_inc", grown, threads)
    run_process([DBT, "seed", "-s", "ref_br_national_holidays"], inc_env)
    run_process([DBT, "run", "--full-refresh", "--vars", vars_lake], inc_env)
    started = time.perf_counter()
    append_days(grown, grown_meta, 1)
    append_s = time.perf_counter() - started
    day_runs = _repeat_run([DBT, "run", "--vars", vars_lake], inc_env, inc_db, day_repeats)
    inc_s, inc_rss = statistics.median(s for s, _ in day_runs), max(r for _, r in day_runs)
    # then two more kinds of day alone, caught up to in between: the export that closes a
    # label window (the feature mart relabels every member's row at that cutoff) and the last,
    # a month start (everyone's new month and new cutoff)
    closing = _label_closing_day(one_day, last)
    try:
        held, rest_s, days = one_day, 0.0, {}
        for day in [d for d in (closing, last) if d]:
            if (gap := _days_between(held, day) - 1) > 0:
                append_days(grown, grown_meta, gap)
                rest_s += run_process([DBT, "run", "--vars", vars_lake], inc_env)[0]
            append_days(grown, grown_meta, 1)
            days[day], held = run_process([DBT, "run", "--vars", vars_lake], inc_env)[0], day
        closing_s, month_s = days.get(closing), days[last]
        differences = compare_warehouses(full_db, inc_db)
    except SystemExit as failed:  # recorded, not fatal: the other figures still stand
        rest_s, closing_s, month_s, differences = None, None, None, {}
        print(f"  catching up to the last export failed: {str(failed)[-300:]}")
    inc_db.unlink()
    shutil.rmtree(grown, ignore_errors=True)
    print(
        f"  one more day: appended in {append_s:.1f} s, run incrementally in {inc_s:.1f} s; "
        f"the label window closing ({closing}) {seconds_text(closing_s, ' s')}, the month start "
        f"{seconds_text(month_s, ' s')}, the days between {seconds_text(rest_s, ' s')}; rows "
        f"differing from the full refresh {sum(differences.values())}"
    )

    loads = None
    if purchases <= seed_max_rows:
        loads = compare_loads(lake, workdir, seed_max_rows, threads)
    pandas = pandas_baseline(lake, workdir, full_db)
    rss = f"peak RSS {pandas['peak_rss_mb']:,.0f} MB"
    same = pandas.get("matches_fct_transactions")
    fits = f"{pandas['seconds']:.1f} s, {rss}, the purchases of fct_transactions: {same}"
    print(f"  pandas baseline: {fits if pandas['fits'] else f'did not fit ({rss} at the cap)'}")
    return {
        "members": members,
        "duckdb_memory_limit": memory_limit(),
        "dbt_threads": full_env["LOYALTY_DBT_THREADS"],
        "raw_rows": raw_rows,
        "purchases": purchases,
        "generator": generator,
        "full_refresh": {
            "seconds": full_s,
            "peak_rss_mb": full_rss,
            "raw_rows_per_s": raw_rows / full_s,
        },
        "raw_duckdb": {
            "seconds": raw_s,
            "dbt_over_raw": full_s / raw_s,
            "write_floor_seconds": floor_s,
            "raw_rows_per_s_at_floor": raw_rows / floor_s,
        },
        "incremental_one_day": {
            "day": one_day,
            "append_seconds": append_s,
            "seconds": inc_s,
            "runs_seconds": [s for s, _ in day_runs],
            "peak_rss_mb": inc_rss,
            "incremental_over_full": inc_s / full_s,
            "label_close_day": closing,
            "label_close_day_seconds": closing_s,
            "label_close_over_full": closing_s / full_s if closing_s else None,
            "month_start_day": last,
            "month_start_day_seconds": month_s,
            "month_start_over_full": month_s / full_s if month_s else None,
            "days_between_seconds": rest_s,
            "tables_compared": len(differences),
            "differing_rows": differences,
        },
        "raw_load": loads,
        "pandas": pandas,
    }


def _days_before(day: str, days: int) -> str:
    return (date.fromisoformat(day) - timedelta(days=days)).isoformat()


def _days_between(first: str, last: str) -> int:
    return (date.fromisoformat(last) - date.fromisoformat(first)).days


def _label_closing_day(after: str, before: str) -> str | None:
    """The first export strictly between two days that completes a monthly cutoff's 90-day
    label window (the export's day is the cutoff + 90 days)."""
    day = date.fromisoformat(after) + timedelta(days=1)
    while day < date.fromisoformat(before):
        if (day - timedelta(days=90)).day == 1:
            return day.isoformat()
        day += timedelta(days=1)
    return None


def _memory_gb() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--workdir", type=Path, default=None, help="keep the data here")
    parser.add_argument("--reuse", action="store_true", help="reuse lakes found in --workdir")
    parser.add_argument(
        "--keep-results",
        action="store_true",
        help="keep the other sizes already in bench_results/scale.json (each row says its limits)",
    )
    parser.add_argument(
        "--seed-max-rows",
        type=int,
        default=4_000_000,
        help="compare raw loads at sizes with at most this many purchases (dbt seed is slow)",
    )
    parser.add_argument(
        "--day-repeats",
        type=int,
        default=3,
        help="run the ordinary day this many times from the same state; the median is reported",
    )
    args = parser.parse_args()
    if args.day_repeats < 1:
        parser.error("--day-repeats must be at least 1")
    results_dir = PROJECT_ROOT / "bench_results"
    results_dir.mkdir(exist_ok=True)
    results = []
    previous = results_dir / "scale.json"
    if args.keep_results and previous.exists():
        kept = json.loads(previous.read_text())["sizes"]
        results = [r for r in kept if r["members"] not in args.sizes]
    for size in args.sizes:
        workdir = args.workdir / str(size) if args.workdir else Path(tempfile.mkdtemp())
        workdir.mkdir(parents=True, exist_ok=True)
        try:
            results.append(
                bench_size(
                    size, workdir, args.threads, args.reuse, args.seed_max_rows, args.day_repeats
                )
            )
            results.sort(key=lambda r: r["members"])
        finally:
            if not args.workdir:
                shutil.rmtree(workdir, ignore_errors=True)
        report = {
            "machine": {"cores": os.cpu_count(), "memory_gb": round(_memory_gb(), 1)},
            "duckdb_threads": args.threads,
            "duckdb_memory_limit": memory_limit(),
            "sizes": results,
        }
        (results_dir / "scale.json").write_text(json.dumps(report, indent=2) + "\n")
        (results_dir / "scale.md").write_text(markdown(report))
    print(markdown(report))


if __name__ == "__main__":
    main()
