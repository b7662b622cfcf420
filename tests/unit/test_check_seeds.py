"""Seed CSV problems are named by file and line before dbt reads them."""

from __future__ import annotations

from loyalty_dbt.check_seeds import check_seeds, main
from tests.conftest import ROOT


def test_the_committed_seeds_are_clean():
    assert check_seeds(ROOT / "seeds") == []


def _seeds(tmp_path, name: str, content: bytes):
    folder = tmp_path / "seeds"
    folder.mkdir()
    (folder / "_raw__seeds.yml").write_text(
        "seeds:\n  - name: raw_stores\n    columns:\n      - name: store_id\n      - name: city\n"
    )
    (folder / name).write_bytes(content)
    return folder


def test_a_byte_that_is_not_utf8_is_named_with_its_line(tmp_path, capsys):
    folder = _seeds(tmp_path, "raw_stores.csv", b"store_id,city\n1,Recife\n2,S\xe3o Paulo\n")
    assert main([str(folder)]) == 1
    err = capsys.readouterr().err
    assert "raw_stores.csv:3: byte 0xe3 is not UTF-8" in err


def test_a_short_row_and_a_wrong_header_are_named(tmp_path):
    folder = _seeds(tmp_path, "raw_stores.csv", b"store_id,town\n1,Recife\n2\n")
    problems = check_seeds(folder)
    assert any("raw_stores.csv:1: header store_id,town differs" in p for p in problems)
    assert any("raw_stores.csv:3: 1 fields, the header has 2" in p for p in problems)
