"""The DuckDB side of the connection layer: the embedded default warehouse."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from ml.errors import WarehouseError
from ml.warehouse.base import DUCKDB_TYPES, OutputTable, Relation, fault_point


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _column_list(columns: list[str]) -> str:
    return ", ".join(_quote(c) for c in columns)


class DuckDBWarehouse:
    """The embedded default: one DuckDB file, opened read-only to read and briefly to write."""

    dialect = "duckdb"

    def __init__(self, path: Path):
        self.path = Path(path)

    def quote(self, identifier: str) -> str:
        return _quote(identifier)

    @contextmanager
    def _connect(
        self, read_only: bool, create: bool = False
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        if create:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        elif not self.path.exists():
            raise WarehouseError(f"no warehouse at {self.path}: run `make run` (dbt build) first")
        try:
            con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.IOException as exc:
            message = str(exc)
            if "lock" in message.lower():
                pid = re.search(r"PID (\d+)", message)
                who = f" (PID {pid.group(1)})" if pid else ""
                raise WarehouseError(
                    f"warehouse file {self.path} is locked by another process{who}: "
                    "wait for it (dbt or another ml command) to finish and retry"
                ) from None
            raise WarehouseError(f"cannot open warehouse {self.path}: {message}") from None
        try:
            yield con
        finally:
            con.close()

    def columns(self, relation: Relation) -> dict[str, str]:
        with self._connect(read_only=True) as con:
            rows = con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = ? and table_name = ? order by ordinal_position",
                [relation.schema, relation.name],
            ).fetchall()
        if not rows:
            raise WarehouseError(
                f"relation {relation} does not exist in {self.path}: "
                "run `make run` (or `dbt build`) to build it"
            )
        return {name: dtype for name, dtype in rows}

    def _select(self, relation: Relation, columns: list[str], where: str | None) -> str:
        sql = (
            f"select {_column_list(columns)} from {_quote(relation.schema)}.{_quote(relation.name)}"
        )
        return f"{sql} where {where}" if where else sql

    def read_frame(
        self, relation: Relation, columns: list[str], where: str | None = None
    ) -> pd.DataFrame:
        with self._connect(read_only=True) as con:
            return con.execute(self._select(relation, columns, where)).df()

    def read_batches(
        self, relation: Relation, columns: list[str], where: str | None, batch_size: int
    ) -> Iterator[pa.RecordBatch]:
        with self._connect(read_only=True) as con:
            reader = con.sql(self._select(relation, columns, where)).to_arrow_reader(batch_size)
            yield from reader

    def replace_rows(self, schema: str, table: OutputTable, rows: pa.Table) -> int:
        """Delete the rows of every key being written, then insert, in one transaction:
        writing the same key again replaces, never duplicates."""
        target = f"{_quote(schema)}.{_quote(table.name)}"
        columns = _column_list(table.column_names)
        keys = _column_list(list(table.key))
        with self._connect(read_only=False) as con:
            con.execute(f"create schema if not exists {_quote(schema)}")
            definition = ", ".join(f"{_quote(c)} {DUCKDB_TYPES[t]}" for c, t in table.columns)
            con.execute(f"create table if not exists {target} ({definition})")
            con.register("incoming_rows", rows.select(table.column_names))
            con.execute("begin transaction")
            try:
                con.execute(
                    f"delete from {target} t using (select distinct {keys} from incoming_rows) s "
                    f"where {' and '.join(f't.{_quote(k)} = s.{_quote(k)}' for k in table.key)}"
                )
                con.execute(f"insert into {target} ({columns}) select {columns} from incoming_rows")
                fault_point(f"{table.name}_written")
                con.execute("commit")
            except Exception:
                con.execute("rollback")
                raise
            finally:
                con.unregister("incoming_rows")
        return rows.num_rows

    def load_table(self, rows: pa.Table, relation: Relation, replace: bool = False) -> int:
        """A user's table (ml.scratch read and checked it) into the scratch schema: refuse an
        existing table unless `replace`, write in one transaction. The warehouse file is
        created if there is none yet: a user with only a CSV can start here."""
        from ml.errors import SpecError

        target = f"{_quote(relation.schema)}.{_quote(relation.name)}"
        with self._connect(read_only=False, create=True) as con:
            exists = con.execute(
                "select count(*) from information_schema.tables "
                "where table_schema = ? and table_name = ?",
                [relation.schema, relation.name],
            ).fetchall()[0][0]
            if exists and not replace:
                raise SpecError(f"{relation} exists: add --replace to overwrite it")
            con.register("incoming_rows", rows)
            con.execute("begin transaction")
            try:
                con.execute(f"create schema if not exists {_quote(relation.schema)}")
                con.execute(f"create or replace table {target} as select * from incoming_rows")
                con.execute("commit")
            except Exception:
                con.execute("rollback")
                raise
        return rows.num_rows
