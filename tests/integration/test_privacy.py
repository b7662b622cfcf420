"""LGPD: no clear-text CPF, e-mail, phone or name anywhere past the raw layer.

Every text column of every staging, intermediate and mart relation is scanned. Digit runs are
only flagged when not embedded in a hex string, so SHA-256 hashes don't trip the scan."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration

PATTERNS = {
    "cpf": r"(^|[^0-9a-f])\d{3}\.\d{3}\.\d{3}-\d{2}([^0-9a-f]|$)",
    "digits_10_plus": r"(^|[^0-9a-f])\d{10,14}([^0-9a-f]|$)",
    "email": r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+",
    "phone": r"\(\d{2}\) ?\d{4,5}-\d{4}|\+55",
}
CHECKED_SCHEMAS = ("main_staging", "main_intermediate", "main_marts")


def _text_columns(con, schemas) -> list[tuple[str, str, str]]:
    marks = ", ".join("?" for _ in schemas)
    return con.execute(
        f"select table_schema, table_name, column_name from information_schema.columns "
        f"where table_schema in ({marks}) and data_type = 'VARCHAR' order by 1, 2, 3",
        list(schemas),
    ).fetchall()


def _hits(con, schema: str, table: str, column: str, pattern: str) -> int:
    return con.execute(
        f'select count(*) from "{schema}"."{table}" where regexp_matches("{column}", ?)',
        [pattern],
    ).fetchall()[0][0]


def test_the_scanner_finds_pii_in_the_raw_layer(con):
    """Guard against a scan that can never fail."""
    for kind, column in [("cpf", "cpf"), ("email", "email"), ("phone", "phone")]:
        assert _hits(con, "main_raw", "raw_members", column, PATTERNS[kind]) > 0, kind


def test_no_pii_shaped_values_past_staging_inputs(con):
    columns = _text_columns(con, CHECKED_SCHEMAS)
    assert len(columns) > 50
    found = [
        f"{schema}.{table}.{column} ({kind})"
        for schema, table, column in columns
        for kind, pattern in PATTERNS.items()
        if _hits(con, schema, table, column, pattern)
    ]
    assert not found


def test_no_member_name_appears_anywhere(con):
    names = "select distinct upper(trim(full_name)) as n from main_raw.raw_members"
    found = []
    for schema, table, column in _text_columns(con, CHECKED_SCHEMAS):
        hits = con.execute(
            f'select count(*) from "{schema}"."{table}" t join ({names}) r '
            f'on upper(t."{column}") = r.n or contains(upper(t."{column}"), \'"\' || r.n || \'"\')'
        ).fetchall()[0][0]
        if hits:
            found.append(f"{schema}.{table}.{column}")
    assert not found
