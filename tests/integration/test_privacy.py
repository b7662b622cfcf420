"""LGPD: no clear-text CPF, e-mail, phone or name anywhere past the raw layer.

Every text column of every staging, intermediate and mart relation is scanned: for PII shapes
(formatted CPFs and phones, e-mails) and for the digits of every raw CPF and phone as a digit
run. A shape rule for bare digits (any 10-14 in a row) cannot tell them from record ids, which
the OLTP hands out as 9-14 digit numbers."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from tests.integration.conftest import dbt, dbt_env

pytestmark = pytest.mark.integration

PATTERNS = {
    "cpf": r"(^|[^0-9a-f])\d{3}\.\d{3}\.\d{3}-\d{2}([^0-9a-f]|$)",
    "email": r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+",
    "phone": r"\(\d{2}\) ?\d{4,5}-\d{4}|\+55",
}
CHECKED_SCHEMAS = ("main_staging", "main_intermediate", "main_marts", "main_ml", "ml_scores")
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


NAMES = "select distinct upper(trim(full_name)) as n from main_raw.raw_members"


def _name_hits(con, relation: str, column: str) -> int:
    """Values that are a member's name, or hold one in double quotes (a JSON document): the
    value's pieces between quotes (the whole value when it has none) joined to the names. A
    hash join: `contains` against every name was a nested loop, a minute per build."""
    return con.execute(
        f"select count(*) from (select unnest(string_split(upper({column}), '\"')) as piece "
        f"from {relation}) t join ({NAMES}) r on t.piece = r.n"
    ).fetchall()[0][0]


def test_no_member_name_appears_anywhere(con):
    # the scan can fail: the raw names, and one quoted inside a JSON document
    assert _name_hits(con, "main_raw.raw_members", "full_name") > 0
    json_doc = (
        "(select '{\"name\": \"' || trim(max(full_name)) || '\"}' as v from main_raw.raw_members)"
    )
    assert _name_hits(con, json_doc, "v") == 1
    found = [
        f"{schema}.{table}.{column}"
        for schema, table, column in _text_columns(con, CHECKED_SCHEMAS)
        if _name_hits(con, f'"{schema}"."{table}"', f'"{column}"')
    ]
    assert not found


def test_every_relation_past_staging_is_checked_in_every_build(warehouse):
    """The dbt test no_pii_shaped_values runs in `dbt build` on each of them, scores included."""
    manifest = warehouse.artifact("manifest.json")
    checked = {
        parent
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test"
        and (node.get("test_metadata") or {}).get("name") == "no_pii_shaped_values"
        for parent in node["depends_on"]["nodes"]
    }
    past_staging = {
        uid
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["fqn"][1] in ("intermediate", "marts", "ml")
    }
    assert len(past_staging) >= 14
    assert past_staging - checked == set()
    assert "source.loyalty.ml_scores.model_scores" in checked


def test_pii_in_a_mart_fails_the_build(warehouse, tmp_path):
    """The guard can fail: a CPF, an e-mail and a phone written into marts make it fail."""
    db = tmp_path / "leaky.duckdb"
    shutil.copy(warehouse.clean, db)
    with duckdb.connect(str(db)) as con:
        ids = con.execute("select store_id from main_marts.dim_store order by store_id desc")
        for store_id, pii in zip(
            [row[0] for row in ids.fetchall()],
            ["529.982.247-25", "ana@example.com", "(81) 98765-4321"],
            strict=False,
        ):
            con.execute(
                "update main_marts.dim_store set city = ? where store_id = ?", [pii, store_id]
            )
    proc = dbt(
        ["test", "-s", "dim_store,test_name:no_pii_shaped_values"],
        dbt_env(db, tmp_path / "target"),
    )
    assert proc.returncode == 1, proc.stdout[-2000:]
    assert "Got 3 results" in proc.stdout
