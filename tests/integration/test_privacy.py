"""LGPD: no clear-text CPF, e-mail, phone or name anywhere past the raw layer.

Every text column of every staging, intermediate and mart relation is scanned: for PII shapes
(formatted CPFs and phones, e-mails) and for the digits of every raw CPF and phone as a digit
run. A shape rule for bare digits (any 10-14 in a row) cannot tell them from record ids, which
the OLTP hands out as 9-14 digit numbers."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration

PATTERNS = {
    "cpf": r"(^|[^0-9a-f])\d{3}\.\d{3}\.\d{3}-\d{2}([^0-9a-f]|$)",
    "email": r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+",
    "phone": r"\(\d{2}\) ?\d{4,5}-\d{4}|\+55",
}
CHECKED_SCHEMAS = ("main_staging", "main_intermediate", "main_marts")
# Every raw CPF's digits and every raw phone's digits, with and without +55: bare, they are
# what a leak looks like.
PII_DIGITS = """
    select distinct digits from (
        select regexp_replace(cpf, '[^0-9]', '', 'g') as digits from main_raw.raw_members
        union all
        select regexp_replace(regexp_replace(phone, '^[+]55', ''), '[^0-9]', '', 'g')
        from main_raw.raw_members
        union all
        select regexp_replace(phone, '[^0-9]', '', 'g') from main_raw.raw_members
    )
    where length(digits) >= 10
"""


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


def _digit_hits(con, schema: str, table: str, column: str) -> int:
    return con.execute(
        f"select count(*) from (select unnest(regexp_extract_all("
        f'"{column}", \'[0-9]+\')) as run from "{schema}"."{table}") '
        f"where run in ({PII_DIGITS})"
    ).fetchall()[0][0]


def test_the_scanner_finds_pii_in_the_raw_layer(con):
    """Guard against a scan that can never fail."""
    for kind, column in [("cpf", "cpf"), ("email", "email"), ("phone", "phone")]:
        assert _hits(con, "main_raw", "raw_members", column, PATTERNS[kind]) > 0, kind
    for column in ("cpf", "phone"):  # bare digits too, not only formatted ones
        assert _digit_hits(con, "main_raw", "raw_members", column) > 0, column


def test_no_pii_shaped_values_past_staging_inputs(con):
    columns = _text_columns(con, CHECKED_SCHEMAS)
    assert len(columns) > 50
    found = [
        f"{schema}.{table}.{column} ({kind})"
        for schema, table, column in columns
        for kind, pattern in PATTERNS.items()
        if _hits(con, schema, table, column, pattern)
    ]
    found += [
        f"{schema}.{table}.{column} (cpf or phone digits)"
        for schema, table, column in columns
        if _digit_hits(con, schema, table, column)
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
