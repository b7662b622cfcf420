"""`ml load-csv`: a user's file into the warehouse without any way to overwrite what dbt
built or the ML CLI writes.

Files land only in one scratch schema (`LOYALTY_SCRATCH_SCHEMA`, default `scratch`), under a
plain identifier, never on a relation dbt manages (a model, seed, snapshot or source in the
manifest: `ml_scores.model_scores` is a source), and an existing scratch table is replaced
only when asked (`--replace`). An empty or header-only file is a data error, not "0 rows".
"""

from __future__ import annotations

import re
from pathlib import Path

from ml.dbt_artifacts import DbtManifest
from ml.errors import DataError, SpecError
from ml.warehouse import Relation

# Unquoted SQL identifiers both engines accept: no quotes, dots, semicolons or spaces.
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")


def scratch_relation(table: str, scratch_schema: str) -> Relation:
    """`name` or `<scratch>.name`; anything else is refused before the warehouse is opened."""
    schema, dot, name = table.rpartition(".")
    schema = schema if dot else scratch_schema
    for part in (schema, name):
        if not IDENTIFIER.fullmatch(part):
            raise SpecError(
                f"--table {table!r}: {part!r} is not a plain identifier (letters, digits and "
                "_, not starting with a digit)"
            )
    if schema.lower() != scratch_schema.lower():
        raise SpecError(
            f"load-csv writes only into the scratch schema {scratch_schema!r} "
            f"(LOYALTY_SCRATCH_SCHEMA), not {schema!r}: use --table {scratch_schema}.{name}"
        )
    return Relation(scratch_schema, name)


def dbt_relations(manifest_path: Path) -> set[tuple[str, str]]:
    """(schema, name), lower-cased, of every relation dbt builds or reads as a source."""
    if not manifest_path.exists():
        return set()
    manifest = DbtManifest(manifest_path).data
    found = {
        (node["schema"].lower(), (node.get("alias") or node["name"]).lower())
        for node in manifest.get("nodes", {}).values()
        if node.get("resource_type") in ("model", "seed", "snapshot")
    }
    found |= {
        (source["schema"].lower(), (source.get("identifier") or source["name"]).lower())
        for source in manifest.get("sources", {}).values()
    }
    return found


def refuse_dbt_relation(relation: Relation, manifest_path: Path) -> None:
    if (relation.schema.lower(), relation.name.lower()) in dbt_relations(manifest_path):
        raise SpecError(
            f"{relation} is managed by dbt (it is in {manifest_path}): load-csv never writes "
            "there, --replace or not; pick another name"
        )


def check_has_rows(path: Path) -> None:
    """Reads at most two non-blank lines: the header and a first row."""
    lines = 0
    with path.open("rb") as handle:
        for line in handle:
            if line.strip():
                lines += 1
                if lines == 2:
                    return
    if lines == 0:
        raise DataError(f"{path} is empty: nothing to load")
    raise DataError(f"{path} has a header but no rows: nothing to load")
