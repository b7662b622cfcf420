"""What every warehouse implementation shares: the relation name, the Warehouse protocol the
rest of the package codes against, the tables the CLI writes and the fault-injection hook."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pandas as pd
import pyarrow as pa


@dataclass(frozen=True)
class OutputTable:
    """A table the `ml` CLI writes into the scores schema and dbt reads as a source
    (models/staging/ml_scores/). Rows written for a key replace that key's rows, in one
    transaction, so a rerun never duplicates. dbt's on-run-start hook creates the same tables
    empty (macros/project/ml_scores.sql) so the marts build before the first write."""

    name: str
    columns: tuple[tuple[str, str], ...]  # (column, BigQuery type)
    key: tuple[str, ...]

    @property
    def column_names(self) -> list[str]:
        return [name for name, _ in self.columns]

    @property
    def arrow_schema(self) -> pa.Schema:
        return pa.schema([(name, ARROW_TYPES[kind]) for name, kind in self.columns])


SCORES = OutputTable(
    "model_scores",
    (
        ("model_name", "STRING"),
        ("model_version", "STRING"),
        ("entity_id", "STRING"),
        ("cutoff_date", "DATE"),
        ("score", "FLOAT64"),
        ("scored_at", "TIMESTAMP"),
    ),
    ("model_name", "model_version", "cutoff_date"),
)
# One row per scored version: what dbt needs to join scores to their labels and to compare the
# realised metrics with the ones measured at training.
VERSIONS = OutputTable(
    "model_versions",
    (
        ("model_name", "STRING"),
        ("model_version", "STRING"),
        ("task", "STRING"),
        ("target", "STRING"),
        ("population", "STRING"),
        ("first_test_cutoff", "DATE"),
        ("test_roc_auc", "FLOAT64"),
        ("test_brier", "FLOAT64"),
        ("test_log_loss", "FLOAT64"),
        ("test_mae", "FLOAT64"),
        ("test_mse", "FLOAT64"),
        ("is_champion", "BOOL"),
        ("mlflow_run_id", "STRING"),
        ("written_at", "TIMESTAMP"),
    ),
    ("model_name", "model_version"),
)
# PSI per scored cutoff and feature (ml/drift.py), the score itself as feature __score__.
DRIFT = OutputTable(
    "feature_drift",
    (
        ("model_name", "STRING"),
        ("model_version", "STRING"),
        ("cutoff_date", "DATE"),
        ("feature", "STRING"),
        ("kind", "STRING"),
        ("psi", "FLOAT64"),
        ("rows_compared", "INT64"),
        ("computed_at", "TIMESTAMP"),
    ),
    ("model_name", "model_version", "cutoff_date"),
)
ARROW_TYPES = {
    "STRING": pa.string(),
    "FLOAT64": pa.float64(),
    "INT64": pa.int64(),
    "DATE": pa.date32(),
    "BOOL": pa.bool_(),
    "TIMESTAMP": pa.timestamp("us"),
}
DUCKDB_TYPES = {
    "STRING": "varchar",
    "FLOAT64": "double",
    "INT64": "bigint",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "BOOL": "boolean",
}


@dataclass(frozen=True)
class Relation:
    schema: str
    name: str
    database: str | None = None

    def __str__(self) -> str:
        return f"{self.schema}.{self.name}"


class Warehouse(Protocol):
    dialect: str  # "duckdb" or "bigquery": how column types are compared with contracts

    def quote(self, identifier: str) -> str: ...

    def columns(self, relation: Relation) -> dict[str, str]: ...

    def read_frame(
        self, relation: Relation, columns: list[str], where: str | None = None
    ) -> pd.DataFrame: ...

    def read_batches(
        self, relation: Relation, columns: list[str], where: str | None, batch_size: int
    ) -> Iterator[pa.RecordBatch]: ...

    def replace_rows(self, schema: str, table: OutputTable, rows: pa.Table) -> int: ...


def fault_point(name: str) -> None:
    """The fault-injection suite's hook (tests/integration/test_faults.py): with
    LOYALTY_FAULT_POINT=<name>:<marker file> set, the process touches the marker here and waits
    to be killed, so a kill -9 lands at this exact point instead of wherever a timer falls.
    Unset (always, outside that suite), it does nothing."""
    wanted, _, marker = os.environ.get("LOYALTY_FAULT_POINT", "").partition(":")
    if wanted == name and marker:
        Path(marker).touch()
        time.sleep(600)
