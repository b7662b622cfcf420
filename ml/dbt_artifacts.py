"""What the ML side learns from dbt's manifest.json: where a model lives, its contract, and the
invocation that built it (recorded with every trained model for lineage)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from ml.errors import DataError, SpecError, WarehouseError
from ml.warehouse import Relation

# DuckDB spellings of the portable type names used in contracts.
_TYPE_ALIASES = {
    "string": "varchar",
    "text": "varchar",
    "int": "integer",
    "int4": "integer",
    "int8": "bigint",
    "long": "bigint",
    "float8": "double",
    "float": "double",
    "bool": "boolean",
    "numeric": "decimal",
    "datetime": "timestamp",
}


# BigQuery's: one integer, one float and one numeric type under several names; the API
# reports the legacy names (INTEGER, FLOAT), contracts use the portable ones (bigint, float64).
_BIGQUERY_TYPE_ALIASES = {
    **{name: "int64" for name in ("int", "integer", "bigint", "smallint", "tinyint", "byteint")},
    "float": "float64",
    "double": "float64",
    "decimal": "numeric",
    "bool": "boolean",
    "text": "string",
}


def normalise_type(data_type: str, dialect: str = "duckdb") -> str:
    t = data_type.strip().lower().replace(" ", "")
    base, _, rest = t.partition("(")
    if dialect == "bigquery":
        # NUMERIC's precision and scale are not part of the type a table reports
        return _BIGQUERY_TYPE_ALIASES.get(base, base)
    base = _TYPE_ALIASES.get(base, base)
    return f"{base}({rest}" if rest else base


@dataclass(frozen=True)
class ResolvedSource:
    relation: Relation
    contract: dict[str, str] = field(default_factory=dict)  # column -> declared type
    node_id: str | None = None


@dataclass(frozen=True)
class DbtManifest:
    path: Path

    @cached_property
    def data(self) -> dict:
        if not self.path.exists():
            raise WarehouseError(
                f"no dbt manifest at {self.path}: run `make run` (or `dbt build`) first"
            )
        return json.loads(self.path.read_text())

    # Lineage: None for a relation dbt never built (a user's CSV in a new warehouse file)
    @property
    def invocation_id(self) -> str | None:
        if not self.path.exists():
            return None
        return self.data.get("metadata", {}).get("invocation_id")

    @cached_property
    def sha256(self) -> str | None:
        return hashlib.sha256(self.path.read_bytes()).hexdigest() if self.path.exists() else None

    def resolve(self, source: str) -> ResolvedSource:
        """A dbt model name (looked up in the manifest) or an explicit schema.table."""
        if "." in source:
            schema, _, name = source.partition(".")
            return ResolvedSource(Relation(schema, name))
        for node_id, node in self.data["nodes"].items():
            if node["resource_type"] == "model" and node["name"] == source:
                contract = {
                    name: col["data_type"]
                    for name, col in node["columns"].items()
                    if col.get("data_type")
                }
                relation = Relation(
                    node["schema"], node.get("alias") or node["name"], node["database"]
                )
                return ResolvedSource(relation, contract, node_id)
        raise SpecError(
            f"source {source!r} is not a model in {self.path} (and not schema.table): "
            "check the spec, or run `dbt build` if the model is new"
        )


def check_columns(
    source: ResolvedSource, actual: dict[str, str], needed: list[str], dialect: str = "duckdb"
) -> None:
    """Fail before training, naming every column the spec needs that is missing, and every
    contract column whose type in the warehouse differs from the contract."""
    lower = {c.lower(): t for c, t in actual.items()}
    missing = [c for c in needed if c.lower() not in lower]
    if missing:
        raise DataError(f"relation {source.relation} lacks columns: {', '.join(missing)}")
    mismatches = []
    for column, declared in source.contract.items():
        found = lower.get(column.lower())
        if found is None:
            mismatches.append(f"{column} (in the contract, not in the relation)")
        elif normalise_type(found, dialect) != normalise_type(declared, dialect):
            mismatches.append(f"{column} is {found.lower()}, contract says {declared}")
    if mismatches:
        raise DataError(
            f"relation {source.relation} does not match its dbt contract: {'; '.join(mismatches)}"
        )
