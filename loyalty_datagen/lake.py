"""The raw extracts as a lake: one Parquet partition per table and extract day,
`<lake>/<table>/extract_date=YYYY-MM-DD/*.parquet`, the way daily CDC exports land in cloud
storage. Columns stay text exactly as in the CSV seeds (empty = null), so the same staging
models read either layer.

Chunks are staged as plain Parquet files first; DuckDB then repartitions them by day in one
streaming COPY per table, so memory does not grow with the number of members or days.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq


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
            rows, n_days = con.execute(
                f"select count(*), count(distinct {day}) from {source} {condition}"
            ).fetchall()[0]
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
    finally:
        con.close()
        if not keep_source:
            shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(scratch, ignore_errors=True)
    return summary
