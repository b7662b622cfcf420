"""`ml load-csv`: a user's file into the warehouse, typed as its author meant it (numbers with
their decimal mark, dates as people write them: ml.dates), without any way to overwrite what
dbt built or the ML CLI writes.

Files land only in one scratch schema (`LOYALTY_SCRATCH_SCHEMA`, default `scratch`), under a
plain identifier, never on a relation dbt manages (a model, seed, snapshot or source in the
manifest: `ml_scores.model_scores` is a source), and an existing scratch table is replaced
only when asked (`--replace`). An empty or header-only file is a data error, not "0 rows".
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from ml.dates import DateRules, column_format
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


@dataclass(frozen=True)
class LoadedCsv:
    rows: pa.Table
    read_as: dict[str, str]  # column -> how its text was read, for the columns that were

    def schema(self, types: Mapping[str, str]) -> list[tuple[str, str, str]]:
        """(column, its type in the warehouse, how it was read) in the file's order."""
        return [(c, types[c], self.read_as.get(c, "")) for c in self.rows.column_names]


# What DuckDB may guess from the text: numbers and booleans. Dates are ml.dates' to read (the
# sniffer would take 01/10/2024 as a month-first date without a word).
_GUESSED = "['BOOLEAN', 'BIGINT', 'DOUBLE', 'VARCHAR']"


def read_csv(
    path: Path,
    sep: str,
    decimal: str,
    rules: DateRules,
    text: Sequence[str] = (),
    date_formats: Mapping[str, str] | None = None,
) -> LoadedCsv:
    """A delimited file as typed columns: numbers with the given decimal mark, dates as people
    write them (ml.dates), the `text` columns left as written. Refused whole, with one line
    naming the column and a value, rather than half converted."""
    date_formats = dict(date_formats or {})
    options = f"delim = ?, decimal_separator = ?, header = true, auto_type_candidates = {_GUESSED}"
    with duckdb.connect() as con:
        try:
            header = [
                r[0]
                for r in con.execute(
                    f"describe select * from read_csv(?, {options})", [str(path), sep, decimal]
                ).fetchall()
            ]
            unknown = [c for c in [*text, *date_formats] if c not in header]
            if unknown:
                raise SpecError(
                    f"{path} has no column {unknown[0]!r} (its columns: {', '.join(header)})"
                )
            types = ", ".join(f"{_literal(c)}: 'VARCHAR'" for c in text)
            rows = con.sql(
                f"select * from read_csv(?, {options}, types = {{{types}}})",
                params=[str(path), sep, decimal],
            ).to_arrow_table()
        except duckdb.Error as exc:
            reason = str(exc).strip().splitlines()[0]
            raise DataError(f"cannot load {path} as CSV: {reason}") from None
    read_as = {c: "text, as written (--text)" for c in text}
    for i, field in enumerate(rows.schema):
        if field.name in text:
            continue
        declared = date_formats.get(field.name)
        if not pa.types.is_string(field.type) and not pa.types.is_large_string(field.type):
            if declared:
                raise SpecError(f"column {field.name!r} holds {field.type}, not dates as text")
            continue
        values = rows.column(i).to_pylist()
        fmt = column_format(field.name, values, rules, declared)
        if fmt is None:
            numbers = _grouped_numbers(values, decimal)
            if numbers is not None:
                rows = rows.set_column(i, field.name, pa.array(numbers, pa.float64()))
                read_as[field.name] = f"number, digits grouped ({_group_mark(decimal)!r})"
            continue
        dates = [rules.parse(v, fmt) if v and v.strip() else None for v in values]
        rows = rows.set_column(i, field.name, pa.array(dates, pa.date32()))
        read_as[field.name] = f"date, read as {fmt.name}" + (" (declared)" if declared else "")
    return LoadedCsv(rows, read_as)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _group_mark(decimal: str) -> str:
    return "." if decimal == "," else ","


def _grouped_numbers(values: Sequence[str | None], decimal: str) -> list[float | None] | None:
    """1.234,56 as a spreadsheet exports it (DuckDB reads the decimal mark, not the grouping):
    the numbers, if every value is one and at least one is grouped."""
    group = re.escape(_group_mark(decimal))
    number = re.compile(rf"-?\d{{1,3}}({group}\d{{3}})*({re.escape(decimal)}\d+)?|-?\d+")
    texts = [v.strip() for v in values if v is not None and v.strip()]
    if not texts or not all(number.fullmatch(t) for t in texts):
        return None
    if not any(_group_mark(decimal) in t for t in texts):
        return None
    table = str.maketrans({_group_mark(decimal): None, decimal: "."})
    return [float(v.strip().translate(table)) if v and v.strip() else None for v in values]
