"""The connection layer: everything that talks to the warehouse lives here.

The rest of the package asks for columns, a frame, Arrow batches or a table write, and never
sees SQL dialects or drivers. `base` holds what both implementations share, `duckdb` the
embedded default and `bigquery` BigQuery and its local emulator (imported only for those
targets); `open_warehouse` picks one from the dbt target.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ml.errors import WarehouseError
from ml.warehouse.base import DRIFT, SCORES, VERSIONS, OutputTable, Relation, Warehouse
from ml.warehouse.duckdb import DuckDBWarehouse

if TYPE_CHECKING:
    from ml.config import Settings

__all__ = [
    "DRIFT",
    "SCORES",
    "VERSIONS",
    "DuckDBWarehouse",
    "OutputTable",
    "Relation",
    "Warehouse",
    "open_warehouse",
]


def open_warehouse(settings: Settings) -> Warehouse:
    """The dbt target names of profiles.yml pick the implementation: `dev` is the DuckDB
    file, `bigquery` real BigQuery, `bigquery_emulator` the local emulator."""
    if settings.target == "dev":
        return DuckDBWarehouse(settings.duckdb_path)
    if settings.target in ("bigquery", "bigquery_emulator"):
        from ml.warehouse.bigquery import BigQuerySettings, BigQueryWarehouse

        emulator = settings.target == "bigquery_emulator"
        project = settings.bq_project or ("local-project" if emulator else "")
        if not project:
            raise WarehouseError("target bigquery needs LOYALTY_BQ_PROJECT (a GCP project id)")
        return BigQueryWarehouse(
            BigQuerySettings(
                project=project,
                location=settings.bq_location,
                keyfile=settings.bq_keyfile,
                api_endpoint=f"http://127.0.0.1:{settings.bq_emulator_port}" if emulator else None,
            )
        )
    raise WarehouseError(
        f"target {settings.target!r} has no connection layer: use dev (DuckDB), bigquery or "
        "bigquery_emulator (see README)"
    )
