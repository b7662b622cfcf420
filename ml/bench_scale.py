"""`make bench` (warehouse part): the generator and the dbt build at growing sizes, each beside
the engine it runs on, measured in the same run so the ratios mean something.

For each size (members; about 50 purchases per member over two years):
- generator: wall time, raw rows/s and peak RSS (its own process);
- full refresh: `dbt run --full-refresh` of every model over the lake, wall time and peak RSS;
- raw DuckDB: the same compiled SQL of every model, run in dependency order straight from
  Python on a fresh DuckDB file: the engine's own time, and the dbt / raw ratio;
- incremental: the same lake loaded through the day before its last export, then one
  incremental run for the last day: incremental / full ratio.
Results: bench_results/scale.json and scale.md (git-ignored), with the machine's cores and RAM.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from ml.config import PROJECT_ROOT

DBT = str(Path(sys.executable).with_name("dbt"))


def _run(cmd: list[str], env: dict | None = None) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one child process (reaped with wait4 for its rusage)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{output[-3000:]}")
    return seconds, usage.ru_maxrss / 1024


def _memory_limit() -> str:
    """DuckDB's memory limit for both the dbt run and the raw run (env overrides)."""
    return os.environ.get("LOYALTY_DUCKDB_MEMORY_LIMIT", "4GB")


def _dbt_env(db: Path, target: Path, lake: Path, threads: int) -> dict:
    return {
        **os.environ,
        "DBT_PROFILES_DIR": str(PROJECT_ROOT),
        "LOYALTY_DUCKDB_PATH": str(db),
        "DBT_TARGET_PATH": str(target),
        "DBT_LOG_PATH": str(target / "logs"),
        "LOYALTY_LAKE": str(lake),
        "LOYALTY_DUCKDB_THREADS": str(threads),
        "LOYALTY_DUCKDB_MEMORY_LIMIT": _memory_limit(),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def _raw_duckdb(manifest: dict, db: Path, threads: int) -> float:
    """Every model's compiled SQL, in dbt's order, as plain DuckDB statements."""
    nodes = {uid: n for uid, n in manifest["nodes"].items() if n["resource_type"] == "model"}
    order, seen = [], set()

    def visit(uid: str) -> None:
        if uid in seen or uid not in nodes:
            return
        seen.add(uid)
        for parent in nodes[uid]["depends_on"]["nodes"]:
            visit(parent)
        order.append(uid)

    for uid in sorted(nodes):
        visit(uid)
    # the same resources dbt's profile gives DuckDB, or the comparison means nothing
    con = duckdb.connect(str(db), config={"threads": threads, "memory_limit": _memory_limit()})
    start = time.perf_counter()
    for uid in order:
        node = nodes[uid]
        if node["name"] == "mart_member_churn_risk":
            continue  # reads the ML scores table, which this database does not have
        kind = "view" if node["config"]["materialized"] == "view" else "table"
        relation = f'"{node["schema"]}"."{node["alias"]}"'
        sql = node["compiled_code"].replace(f'"{node["database"]}".', "")
        con.execute(f'create schema if not exists "{node["schema"]}"')
        con.execute(f"create or replace {kind} {relation} as {sql}")
    seconds = time.perf_counter() - start
    con.close()
    return seconds


def bench_size(members: int, workdir: Path, threads: int) -> dict:
    lake, meta = workdir / "lake", workdir / "meta"
    gen_s, gen_rss = _run(
        [
            sys.executable,
            "-m",
            "ml.datagen",
            "--members",
            str(members),
            "--no-seeds",
            "--out-lake",
            str(lake),
            "--out-meta",
            str(meta),
        ]
    )
    manifest = json.loads((meta / "manifest.json").read_text())
    raw_rows = sum(t["rows"] for t in manifest["tables"].values())
    purchases = manifest["tables"]["transactions"]["rows"]
    print(f"{members:,} members: generated {raw_rows:,} raw rows in {gen_s:.1f} s")

    vars_lake = json.dumps({"raw_layer": "lake"})
    full_env = _dbt_env(workdir / "full.duckdb", workdir / "t_full", lake, threads)
    _run([DBT, "seed", "-s", "ref_br_national_holidays"], full_env)
    full_s, full_rss = _run([DBT, "run", "--full-refresh", "--vars", vars_lake], full_env)
    print(f"  dbt full refresh {full_s:.1f} s, peak RSS {full_rss:.0f} MB")

    compiled = json.loads((workdir / "t_full" / "manifest.json").read_text())
    shutil.copy(workdir / "full.duckdb", workdir / "raw.duckdb")
    raw_s = _raw_duckdb(compiled, workdir / "raw.duckdb", threads)
    print(f"  same SQL straight on DuckDB {raw_s:.1f} s")

    last = manifest["extract_at"]
    day_before = f"{_previous_day(last[:10])} {last[11:]}"
    inc_env = _dbt_env(workdir / "inc.duckdb", workdir / "t_inc", lake, threads)
    _run([DBT, "seed", "-s", "ref_br_national_holidays"], inc_env)
    through = lambda ts: json.dumps({"raw_layer": "lake", "raw_extracted_through": ts})  # noqa: E731
    _run([DBT, "run", "--full-refresh", "--vars", through(day_before)], inc_env)
    inc_s, _ = _run([DBT, "run", "--vars", through(last)], inc_env)
    print(f"  one more day incrementally {inc_s:.1f} s")
    return {
        "members": members,
        "raw_rows": raw_rows,
        "purchases": purchases,
        "generator": {"seconds": gen_s, "rows_per_s": raw_rows / gen_s, "peak_rss_mb": gen_rss},
        "full_refresh": {
            "seconds": full_s,
            "peak_rss_mb": full_rss,
            "raw_rows_per_s": raw_rows / full_s,
        },
        "raw_duckdb": {"seconds": raw_s, "dbt_over_raw": full_s / raw_s},
        "incremental_one_day": {"seconds": inc_s, "incremental_over_full": inc_s / full_s},
    }


def _previous_day(day: str) -> str:
    from datetime import date, timedelta

    return (date.fromisoformat(day) - timedelta(days=1)).isoformat()


def _memory_gb() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--workdir", type=Path, default=None, help="keep the data here")
    args = parser.parse_args()
    results_dir = PROJECT_ROOT / "bench_results"
    results_dir.mkdir(exist_ok=True)
    results = []
    for size in args.sizes:
        workdir = args.workdir / str(size) if args.workdir else Path(tempfile.mkdtemp())
        workdir.mkdir(parents=True, exist_ok=True)
        try:
            results.append(bench_size(size, workdir, args.threads))
        finally:
            if not args.workdir:
                shutil.rmtree(workdir, ignore_errors=True)
        report = {
            "machine": {"cores": os.cpu_count(), "memory_gb": round(_memory_gb(), 1)},
            "duckdb_threads": args.threads,
            "sizes": results,
        }
        (results_dir / "scale.json").write_text(json.dumps(report, indent=2) + "\n")
        (results_dir / "scale.md").write_text(_markdown(report))
    print(_markdown(report))


def _markdown(report: dict) -> str:
    m = report["machine"]
    lines = [
        f"# Scale benchmark ({m['cores']} cores, {m['memory_gb']} GB, DuckDB threads "
        f"{report['duckdb_threads']})",
        "",
        "| members | raw rows | gen s | gen rows/s | gen RSS MB | dbt full s | dbt RSS MB "
        "| rows/s (build) | raw DuckDB s | dbt/raw | +1 day s | incr/full |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in report["sizes"]:
        g, f, d, i = r["generator"], r["full_refresh"], r["raw_duckdb"], r["incremental_one_day"]
        lines.append(
            f"| {r['members']:,} | {r['raw_rows']:,} | {g['seconds']:.1f} | "
            f"{g['rows_per_s']:,.0f} | {g['peak_rss_mb']:.0f} | {f['seconds']:.1f} | "
            f"{f['peak_rss_mb']:.0f} | {f['raw_rows_per_s']:,.0f} | {d['seconds']:.1f} | "
            f"{d['dbt_over_raw']:.2f} | {i['seconds']:.1f} | {i['incremental_over_full']:.2%} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
