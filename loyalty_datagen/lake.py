"""The raw extracts as a lake: one Parquet partition per table and extract day,
`<lake>/<table>/extract_date=YYYY-MM-DD/*.parquet`, the way daily CDC exports land in cloud
storage. Columns stay text exactly as in the CSV seeds (empty = null), so the same staging
models read either layer.

An export job writes `_SUCCESS` into a table's partition last, when the day's file is whole; a
day on which a table has no rows still gets its partition with only the marker. A day is
complete when every table's marker is there: what the scheduler's sensor waits for
(orchestration/, docs/orchestration.md), so nothing runs on a partial export.

Chunks are staged as plain Parquet files first; DuckDB then repartitions them by day in one
streaming COPY per table, so memory does not grow with the number of members or days.
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from loyalty_datagen.schema import TABLES


def stage_chunk(tables: dict[str, pa.Table], staging: Path, k: int) -> None:
    for name, table in tables.items():
        folder = staging / name
        folder.mkdir(parents=True, exist_ok=True)
        empty_as_null = {
            c: pc.if_else(pc.equal(table[c], ""), pa.scalar(None, pa.string()), table[c])
            for c in table.column_names
        }
        pq.write_table(pa.table(empty_as_null), folder / f"chunk-{k:05d}.parquet")


# Exports simulated after the lake's last extract day, staged for `ml datagen --append-days`.
PENDING_EXPORTS = "_pending_exports"
# Written last into each table's daily partition: that table's export of the day is whole.
EXPORT_MARKER = "_SUCCESS"


def partition(lake: Path, table: str, day: date) -> Path:
    return lake / table / f"extract_date={day.isoformat()}"


def exported_tables(lake: Path, tables: list[str], day: date) -> list[str]:
    """The tables whose export of `day` is complete (its marker is there)."""
    return [t for t in tables if (partition(lake, t, day) / EXPORT_MARKER).exists()]


def _mark_exported(lake: Path, tables: list[str], first: date, last: date) -> None:
    day = first
    while day <= last:
        for table in tables:
            folder = partition(lake, table, day)
            folder.mkdir(parents=True, exist_ok=True)
            (folder / EXPORT_MARKER).touch()
        day += timedelta(days=1)


def finalize_lake(
    staging: Path,
    lake: Path,
    memory_limit: str = "1GB",
    after: date | None = None,
    through: date | None = None,
    keep_source: bool = False,
) -> dict[str, dict]:
    """Repartition the staged chunks by extract day into the lake; return rows and partitions.

    Only the extract days in (after, through] are written. Without `after` the lake's tables
    are replaced; with it (an append) the new days are added beside the ones already there,
    and a day that is already in the lake is an error rather than a silent overwrite. The
    staged chunks are deleted afterwards unless `keep_source` (later days still to come)."""
    summary = {}
    days: set[str] = set()
    day = "substr(extracted_at, 1, 10)"
    where = []
    if after is not None:
        where.append(f"{day} > '{after.isoformat()}'")
    if through is not None:
        where.append(f"{day} <= '{through.isoformat()}'")
    condition = f"where {' and '.join(where)}" if where else ""
    scratch = lake / ".writing"
    con = duckdb.connect(config={"memory_limit": memory_limit, "preserve_insertion_order": False})
    try:
        for table in sorted(p.name for p in staging.iterdir() if p.is_dir()):
            target, written = lake / table, scratch / table
            shutil.rmtree(written, ignore_errors=True)
            written.parent.mkdir(parents=True, exist_ok=True)
            source = f"read_parquet('{staging / table}/*.parquet')"
            rows, n_days, first, last = con.execute(
                f"select count(*), count(distinct {day}), min({day}), max({day}) "
                f"from {source} {condition}"
            ).fetchall()[0]
            days.update(d for d in (first, last) if d is not None)
            if rows:
                con.execute(
                    f"copy (select *, {day} as extract_date from {source} {condition}) "
                    f"to '{written}' (format parquet, partition_by (extract_date), "
                    "filename_pattern 'part-{i}')"
                )
            if after is None:
                shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True, exist_ok=True)
            for partition in sorted(written.iterdir()) if written.exists() else []:
                if (target / partition.name).exists():
                    raise FileExistsError(f"{target / partition.name} is already in the lake")
                partition.rename(target / partition.name)
            summary[table] = {"rows": rows, "partitions": n_days}
        # every table's every export day of the range gets its marker, days without rows too
        first, last = (after + timedelta(days=1) if after else None), through
        if days:
            first = first or date.fromisoformat(min(days))
            last = last or date.fromisoformat(max(days))
        if first and last:
            _mark_exported(lake, list(TABLES), first, last)
    finally:
        con.close()
        if not keep_source:
            shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(scratch, ignore_errors=True)
    return summary
