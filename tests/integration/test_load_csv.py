"""`ml load-csv` against the real warehouse, as a hostile but fair user would try it: it writes
only into the scratch schema, never over anything dbt manages, and refuses what it cannot load
with one line and its exit code."""

from __future__ import annotations

import pytest

from tests.integration.test_cli import invoke

pytestmark = pytest.mark.integration


@pytest.fixture
def specs(tmp_path):
    """load-csv reads no spec; the CLI helper still points LOYALTY_SPECS somewhere."""
    folder = tmp_path / "specs"
    folder.mkdir()
    return folder


@pytest.fixture
def csv(tmp_path):
    path = tmp_path / "two.csv"
    path.write_text("member_id;city\n1;Recife\n2;Natal\n")
    return path


def _count(warehouse, relation: str) -> int:
    with warehouse.connect() as con:
        return con.execute(f"select count(*) from {relation}").fetchall()[0][0]


@pytest.mark.parametrize(
    "table",
    ["main_marts.dim_member", "ml_scores.model_scores", "main_staging.stg_loyalty__members"],
)
def test_never_writes_outside_the_scratch_schema(warehouse, tmp_path, specs, csv, table):
    before = _count(warehouse, table)
    result = invoke(["load-csv", str(csv), "--table", table], warehouse, tmp_path, specs)
    assert result.exit_code == 2
    assert "only into the scratch schema" in result.output
    assert _count(warehouse, table) == before


def test_never_writes_a_dbt_relation_even_as_the_scratch_schema(
    warehouse, tmp_path, specs, csv, monkeypatch
):
    monkeypatch.setenv("LOYALTY_SCRATCH_SCHEMA", "main_marts")
    before = _count(warehouse, "main_marts.dim_member")
    for extra in ([], ["--replace"]):
        result = invoke(
            ["load-csv", str(csv), "--table", "dim_member", *extra], warehouse, tmp_path, specs
        )
        assert result.exit_code == 2
        assert "managed by dbt" in result.output
    assert _count(warehouse, "main_marts.dim_member") == before


@pytest.mark.parametrize("table", ['scratch.x";drop', "scratch.a;b", "scratch.'q'", "1abc", ""])
def test_names_must_be_identifiers(warehouse, tmp_path, specs, csv, table):
    result = invoke(["load-csv", str(csv), "--table", table], warehouse, tmp_path, specs)
    assert result.exit_code == 2
    assert "not a plain identifier" in result.output


@pytest.mark.parametrize(
    ("content", "message"),
    [("", "is empty"), ("\n  \n", "is empty"), ("a;b\n", "header but no rows")],
)
def test_refuses_empty_and_header_only_files(warehouse, tmp_path, specs, content, message):
    path = tmp_path / "nothing.csv"
    path.write_text(content)
    result = invoke(["load-csv", str(path), "--table", "nothing"], warehouse, tmp_path, specs)
    assert result.exit_code == 4
    assert message in result.output


def test_replaces_an_existing_scratch_table_only_when_asked(warehouse, tmp_path, specs, csv):
    args = ["load-csv", str(csv), "--table", "twice"]
    assert invoke(args, warehouse, tmp_path, specs).exit_code == 0
    again = invoke(args, warehouse, tmp_path, specs)
    assert again.exit_code == 2 and "add --replace" in again.output
    csv.write_text("member_id;city\n1;Recife\n2;Natal\n3;Belém\n")
    replaced = invoke([*args, "--replace"], warehouse, tmp_path, specs)
    assert replaced.exit_code == 0 and "Loaded 3 rows into scratch.twice" in replaced.output
    assert _count(warehouse, "scratch.twice") == 3
