"""The raw extracts as a lake: one Parquet partition per table and extract day,
`<lake>/<table>/extract_date=YYYY-MM-DD/*.parquet`, the way daily CDC exports land in cloud
storage. Columns stay text exactly as in the CSV seeds (empty = null), so the same staging
models read either layer.

Chunks are staged as plain Parquet files first; DuckDB then repartitions them by day in one
streaming COPY per table, so memory does not grow with the number of members or days.
"""

from __future__ import annotations

import shutil
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


def finalize_lake(staging: Path, lake: Path, memory_limit: str = "1GB") -> dict[str, dict]:
    """Repartition the staged chunks by extract day into the lake; return rows and partitions."""
    summary = {}
    con = duckdb.connect(config={"memory_limit": memory_limit, "preserve_insertion_order": False})
    try:
        for table in sorted(p.name for p in staging.iterdir()):
            target = lake / table
            if target.exists():
                shutil.rmtree(target)
            lake.mkdir(parents=True, exist_ok=True)
            source = f"read_parquet('{staging / table}/*.parquet')"
            con.execute(
                f"copy (select *, substr(extracted_at, 1, 10) as extract_date from {source}) "
                f"to '{target}' (format parquet, partition_by (extract_date), "
                "filename_pattern 'part-{i}')"
            )
            rows, days = con.execute(
                f"select count(*), count(distinct substr(extracted_at, 1, 10)) from {source}"
            ).fetchall()[0]
            summary[table] = {"rows": rows, "partitions": days}
    finally:
        con.close()
        shutil.rmtree(staging, ignore_errors=True)
    return summary
