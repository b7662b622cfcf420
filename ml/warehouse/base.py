"""What every warehouse implementation shares: the relation name, the Warehouse protocol the
rest of the package codes against, the scores table's columns and the fault-injection hook."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pandas as pd
import pyarrow as pa

SCORE_COLUMNS = ("model_name", "model_version", "entity_id", "cutoff_date", "score", "scored_at")


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

    def replace_scores(self, relation: Relation, scores: pa.Table) -> int: ...


def fault_point(name: str) -> None:
    """The fault-injection suite's hook (tests/integration/test_faults.py): with
    LOYALTY_FAULT_POINT=<name>:<marker file> set, the process touches the marker here and waits
    to be killed, so a kill -9 lands at this exact point instead of wherever a timer falls.
    Unset (always, outside that suite), it does nothing."""
    wanted, _, marker = os.environ.get("LOYALTY_FAULT_POINT", "").partition(":")
    if wanted == name and marker:
        Path(marker).touch()
        time.sleep(600)
