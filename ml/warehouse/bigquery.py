"""The BigQuery side of the connection layer: the same four reads and writes as DuckDB.

Reads go through the BigQuery client: the Storage Read API against real BigQuery (fast,
columnar), plain REST result pages against the local emulator, which has no Storage API and
no way to point the client's gRPC channel at loopback. Scores are written with a load job into
a staging table and one MERGE into the scores table, so a re-run of the same model version and
cutoff replaces its rows atomically, without BigQuery scripting (the emulator refuses it).
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from ml.errors import WarehouseError
from ml.warehouse.base import OutputTable, Relation

# The scores table's schema (BigQuery type names); the on-run-start hook creates the same.


@dataclass(frozen=True)
class BigQuerySettings:
    """Where to connect: the same environment variables profiles.yml reads."""

    project: str
    location: str = "US"
    keyfile: Path | None = None
    # Set for the local emulator (target bigquery_emulator): http://127.0.0.1:<port>.
    api_endpoint: str | None = None

    @property
    def is_emulator(self) -> bool:
        return self.api_endpoint is not None


def _quote(identifier: str) -> str:
    return "`" + identifier.replace("`", "\\`") + "`"


def _decimals_as_float(table: pa.Table | pa.RecordBatch):
    """NUMERIC arrives as decimal128(38, 9); DuckDB's frames carry decimals as float64, and
    the models were fit on those, so both warehouses hand the same dtypes to scikit-learn."""
    for i, field in enumerate(table.schema):
        if pa.types.is_decimal(field.type):
            table = table.set_column(
                i, pa.field(field.name, pa.float64()), pc.cast(table.column(i), pa.float64())
            )
    return table


class BigQueryWarehouse:
    dialect = "bigquery"

    def __init__(self, settings: BigQuerySettings):
        self.settings = settings
        self._client = None

    @property
    def client(self):
        """Created on first use, so commands that never touch the warehouse need no
        credentials; the google packages are imported only here."""
        if self._client is None:
            from google.cloud import bigquery

            options = {}
            if self.settings.is_emulator:
                from google.auth.credentials import AnonymousCredentials

                options = {
                    "credentials": AnonymousCredentials(),
                    "client_options": {"api_endpoint": self.settings.api_endpoint},
                }
            elif self.settings.keyfile:
                from google.oauth2 import service_account

                options = {
                    "credentials": service_account.Credentials.from_service_account_file(
                        str(self.settings.keyfile)
                    )
                }
            try:
                self._client = bigquery.Client(
                    project=self.settings.project, location=self.settings.location, **options
                )
            except Exception as exc:  # google.auth's DefaultCredentialsError and friends
                raise WarehouseError(f"cannot connect to BigQuery: {exc}") from None
        return self._client

    def quote(self, identifier: str) -> str:
        return _quote(identifier)

    def _table_id(self, relation: Relation) -> str:
        return f"{relation.database or self.settings.project}.{relation.schema}.{relation.name}"

    def _select(self, relation: Relation, columns: list[str], where: str | None) -> str:
        table = ".".join(_quote(p) for p in self._table_id(relation).split("."))
        sql = f"select {', '.join(_quote(c) for c in columns)} from {table}"
        return f"{sql} where {where}" if where else sql

    def _query(self, sql: str, page_size: int | None = None):
        from google.api_core import exceptions

        try:
            return self.client.query(sql).result(page_size=page_size)
        except exceptions.GoogleAPIError as exc:
            raise WarehouseError(f"BigQuery query failed: {exc}") from None

    def columns(self, relation: Relation) -> dict[str, str]:
        from google.api_core import exceptions

        try:
            table = self.client.get_table(self._table_id(relation))
        except exceptions.NotFound:
            raise WarehouseError(
                f"relation {relation} does not exist in project {self.settings.project}: "
                "run `dbt build --target <bigquery target>` to build it"
            ) from None
        return {f.name: f.field_type.lower() for f in table.schema}

    def read_frame(
        self, relation: Relation, columns: list[str], where: str | None = None
    ) -> pd.DataFrame:
        rows = self._query(self._select(relation, columns, where))
        table = rows.to_arrow(create_bqstorage_client=not self.settings.is_emulator)
        return _decimals_as_float(table).to_pandas()

    def read_batches(
        self, relation: Relation, columns: list[str], where: str | None, batch_size: int
    ) -> Iterator[pa.RecordBatch]:
        rows = self._query(self._select(relation, columns, where), page_size=batch_size)
        if self.settings.is_emulator:
            batches = rows.to_arrow_iterable(bqstorage_client=None)
        else:
            from google.cloud import bigquery_storage

            batches = rows.to_arrow_iterable(bqstorage_client=bigquery_storage.BigQueryReadClient())
        for batch in batches:
            yield _decimals_as_float(batch)

    def replace_rows(self, schema_name: str, table: OutputTable, rows: pa.Table) -> int:
        """Load into a staging table, then one MERGE: the loaded rows of each key being
        written are deleted and the new ones inserted in the same statement."""
        from google.api_core import exceptions
        from google.cloud import bigquery

        relation = Relation(schema_name, table.name)
        schema = [bigquery.SchemaField(name, kind) for name, kind in table.columns]
        dataset = f"{relation.database or self.settings.project}.{relation.schema}"
        target = bigquery.Table(self._table_id(relation), schema=schema)
        staging = bigquery.Table(f"{dataset}.{relation.name}__incoming_{uuid.uuid4().hex[:12]}")
        try:
            self.client.create_dataset(dataset, exists_ok=True)
            self.client.create_table(target, exists_ok=True)
            try:
                self._load(staging, rows.select(table.column_names), schema)
                self._query(_merge_sql(table, target, staging))
            finally:
                self.client.delete_table(staging, not_found_ok=True)
        except exceptions.GoogleAPIError as exc:
            raise WarehouseError(f"writing {relation} failed: {exc}") from None
        return rows.num_rows

    def install_pii_key(self, schema: str, salt: str) -> str:
        """The one-row key table the `pseudonymise` macro reads. Written by a load job, so
        the salt is data in a file, never query text (BigQuery's job history keeps queries)."""
        from google.api_core import exceptions
        from google.cloud import bigquery

        dataset = f"{self.settings.project}.{schema}"
        table = bigquery.Table(f"{dataset}.pii_key")
        try:
            self.client.create_dataset(dataset, exists_ok=True)
            key = pa.table({"salt": [salt]})
            self._load(table, key, [bigquery.SchemaField("salt", "STRING")], expires=False)
        except exceptions.GoogleAPIError as exc:
            raise WarehouseError(f"writing the PII key to {dataset} failed: {exc}") from None
        return f"{dataset}.pii_key"

    def _load(self, table, scores: pa.Table, schema, expires: bool = True) -> None:
        """Parquet against BigQuery; CSV against the emulator, which loads nothing else."""
        from google.cloud import bigquery

        buffer = io.BytesIO()
        if self.settings.is_emulator:
            pa_csv.write_csv(scores, buffer)
            config = bigquery.LoadJobConfig(
                source_format=bigquery.SourceFormat.CSV, skip_leading_rows=1, schema=schema
            )
        else:
            pq.write_table(scores, buffer)
            config = bigquery.LoadJobConfig(
                source_format=bigquery.SourceFormat.PARQUET, schema=schema
            )
        config.write_disposition = bigquery.WriteDisposition.WRITE_TRUNCATE
        buffer.seek(0)
        self.client.load_table_from_file(buffer, table, job_config=config).result()
        if expires and not self.settings.is_emulator:  # the emulator refuses expirations
            table.expires = datetime.now(UTC) + timedelta(hours=1)  # if the drop never runs
            self.client.update_table(table, ["expires"])


def _merge_sql(table: OutputTable, target, staging) -> str:
    """The same delete+insert as the dbt macro bigquery_delete_insert_sql: one marker row per
    key deletes the key's loaded rows, the new rows are inserted."""
    columns = ", ".join(_quote(c) for c in table.column_names)
    markers = ", ".join(
        _quote(c) if c in table.key else f"cast(null as {kind}) as {_quote(c)}"
        for c, kind in table.columns
    )
    on = " and ".join(f"d.{_quote(k)} = s.{_quote(k)}" for k in table.key)
    target_id, staging_id = (
        ".".join(_quote(part) for part in (t.project, t.dataset_id, t.table_id))
        for t in (target, staging)
    )
    return (
        f"merge into {target_id} as d using ("
        f"select {columns}, false as is_marker from {staging_id} "
        f"union all select distinct {markers}, true from {staging_id}"
        f") as s on s.is_marker and {on} "
        "when matched then delete "
        f"when not matched and not s.is_marker then insert ({columns}) values ({columns})"
    )
