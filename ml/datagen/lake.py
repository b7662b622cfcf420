"""The raw extracts as a lake: one Parquet partition per table and extract day,
`<lake>/<table>/extract_date=YYYY-MM-DD/part-0.parquet`, the way daily CDC exports land in
cloud storage. Columns stay text exactly as in the CSV seeds (empty = null), so the same
staging models read either layer."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ml.datagen.schema import TABLES


def write_lake(raw: dict[str, list[dict]], lake_dir: Path) -> dict[str, dict[str, int]]:
    """Write every table's rows into its day partitions; returns rows per table and partitions."""
    summary = {}
    for name, table in TABLES.items():
        by_day: dict[str, list[dict]] = defaultdict(list)
        for row in raw[name]:
            by_day[row["extracted_at"][:10]].append(row)
        schema = pa.schema([(c, pa.string()) for c in table.columns])
        for day, rows in sorted(by_day.items()):
            part = lake_dir / name / f"extract_date={day}"
            part.mkdir(parents=True, exist_ok=True)
            columns = {c: [r[c] if r[c] != "" else None for r in rows] for c in table.columns}
            pq.write_table(pa.table(columns, schema=schema), part / "part-0.parquet")
        summary[name] = {"rows": len(raw[name]), "partitions": len(by_day)}
    return summary
