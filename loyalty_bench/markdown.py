"""bench_results/scale.md: the scale benchmark's JSON as the tables people read."""

from __future__ import annotations


def seconds_text(value: float | None, unit: str = "") -> str:
    """A day's seconds for the table and the progress lines: None is a day that failed."""
    return "failed" if value is None else f"{value:.1f}{unit}"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2%}"


def _day_runs(day: dict) -> str:
    """The median day, with the runs' range when it was run more than once."""
    runs = day.get("runs_seconds") or [day["seconds"]]
    spread = f" ({min(runs):.1f}-{max(runs):.1f})" if len(runs) > 1 else ""
    return f"{day['seconds']:.1f}{spread}"


def _build_table(sizes: list[dict]) -> list[str]:
    lines = [
        "| members | DuckDB memory | raw rows | gen s | gen rows/s | gen RSS MB | dbt full s "
        "| dbt RSS MB "
        "| rows/s (build) | raw DuckDB s | dbt/raw | +1 day s (median, range) | incr/full "
        "| label close s "
        "| label close/full | month start s | month start/full | tables equal |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        "---:|",
    ]
    for r in sizes:
        g, f, d, i = r["generator"], r["full_refresh"], r["raw_duckdb"], r["incremental_one_day"]
        equal = sum(1 for n in i["differing_rows"].values() if n == 0)
        lines.append(
            f"| {r['members']:,} | {r.get('duckdb_memory_limit', '?')} | {r['raw_rows']:,} | "
            f"{g['seconds']:.1f} | "
            f"{g['rows_per_s']:,.0f} | {g['peak_rss_mb']:.0f} | {f['seconds']:.1f} | "
            f"{f['peak_rss_mb']:.0f} | {f['raw_rows_per_s']:,.0f} | {d['seconds']:.1f} | "
            f"{d['dbt_over_raw']:.2f} | {_day_runs(i)} | {i['incremental_over_full']:.2%} | "
            f"{seconds_text(i['label_close_day_seconds'])} | "
            f"{_ratio(i['label_close_over_full'])} | "
            f"{seconds_text(i['month_start_day_seconds'])} | "
            f"{_ratio(i['month_start_over_full'])} | "
            f"{equal} / {i['tables_compared']} |"
        )
    return lines


# The table renderers below share a shape (a header, then a row per size, skipping sizes
# without that measurement) on purpose: each row's cells and formats are its own, and one
# generic renderer would need a column spec per table that reads worse than the f-strings.
def _floor_table(sizes: list[dict]) -> list[str]:
    lines = [
        "| members | raw rows | dbt full s | same SQL on DuckDB s | tables written alone s "
        "| raw rows/s at that floor | build / floor |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in sizes:
        d, full = r["raw_duckdb"], r["full_refresh"]["seconds"]
        if "write_floor_seconds" not in d:  # results written before the floor was measured
            continue
        lines.append(
            f"| {r['members']:,} | {r['raw_rows']:,} | {full:.1f} | {d['seconds']:.1f} | "
            f"{d['write_floor_seconds']:.1f} | {d['raw_rows_per_s_at_floor']:,.0f} | "
            f"{full / d['write_floor_seconds']:.2f} |"
        )
    return lines


def _load_table(sizes: list[dict]) -> list[str]:
    lines = [
        "| members | rows | CSV MB | dbt seed s | seed RSS MB | seed rows/s | lake (dbt) s "
        "| lake model s | DuckDB read s | seed / lake | lake / DuckDB | lake model / DuckDB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in sizes:
        x = r["raw_load"]
        if not x:
            continue
        lines.append(
            f"| {r['members']:,} | {x['rows']:,} | {x['csv_mb']:.0f} | "
            f"{x['dbt_seed']['seconds']:.1f} | {x['dbt_seed']['peak_rss_mb']:.0f} | "
            f"{x['dbt_seed']['rows_per_s']:,.0f} | {x['lake_dbt']['seconds']:.1f} | "
            f"{x['lake_dbt']['model_seconds']:.2f} | {x['duckdb_read']['seconds']:.2f} | "
            f"{x['seed_over_lake']:.1f} | {x['lake_over_duckdb']:.1f} | "
            f"{x['lake_model_over_duckdb']:.2f} |"
        )
    return lines


def _pandas_table(sizes: list[dict]) -> list[str]:
    lines = [
        "| members | pandas s | pandas RSS MB | same purchases as the warehouse | dbt full s "
        "| pandas / dbt full | dbt, same models s | pandas / same models |",
        "|---:|---:|---:|---|---:|---:|---:|---:|",
    ]
    for r in sizes:
        p, full = r["pandas"], r["full_refresh"]["seconds"]
        if not p["fits"]:
            lines.append(
                f"| {r['members']:,} | did not fit | {p['peak_rss_mb']:.0f} | - | {full:.1f} "
                "| - | - | - |"
            )
            continue
        same = p.get("dbt_same_path_seconds")
        same_cells = f"{same:.1f} | {p['wall_seconds'] / same:.2f}" if same else "- | -"
        lines.append(
            f"| {r['members']:,} | {p['wall_seconds']:.1f} | {p['peak_rss_mb']:.0f} | "
            f"{p['matches_fct_transactions']} | {full:.1f} | {p['wall_seconds'] / full:.2f} | "
            f"{same_cells} |"
        )
    return lines


def markdown(report: dict) -> str:
    m, sizes = report["machine"], report["sizes"]
    lines = [
        f"# Scale benchmark ({m['cores']} cores, {m['memory_gb']} GB; DuckDB threads "
        f"{report['duckdb_threads']})",
        "",
        "## Generator, full refresh, raw engine, one more day, equivalence",
        "",
        *_build_table(sizes),
        "",
        "## Write floor (every built table written again, with no computation)",
        "",
        *_floor_table(sizes),
        "",
        "## Raw load at the same row count (transactions)",
        "",
        *_load_table(sizes),
        "",
        "## pandas baseline (raw purchases -> valid current versions -> member x month)",
        "",
        *_pandas_table(sizes),
    ]
    return "\n".join(lines) + "\n"
