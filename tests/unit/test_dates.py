"""Dates as people write them (ml/dates.py) and a spreadsheet's CSV read with them
(ml/scratch.py's read_csv, on an in-memory DuckDB): every value of a column read one way, or
the column refused with one line naming it and a value."""

from __future__ import annotations

from datetime import date

import pytest

from ml.dates import column_format, rules
from ml.errors import DataError, SpecError
from ml.scratch import read_csv
from tests.conftest import ROOT

RULES = rules(ROOT)


@pytest.mark.parametrize(
    ("text", "fmt", "expected"),
    [
        ("jan/04", "mon/yy", date(2004, 1, 1)),
        ("DEZ/14", "mon/yy", date(2014, 12, 1)),
        ("set/69", "mon/yy", date(2069, 9, 1)),
        ("set/70", "mon/yy", date(1970, 9, 1)),
        ("fev/2004", "mon/yyyy", date(2004, 2, 1)),
        ("janeiro de 2004", "month de yyyy", date(2004, 1, 1)),
        (" Março de 2010 ", "month de yyyy", date(2010, 3, 1)),
        ("01/2004", "mm/yyyy", date(2004, 1, 1)),
        ("1/10/2024", "dd/mm/yyyy", date(2024, 10, 1)),
        ("1/10/2024", "mm/dd/yyyy", date(2024, 1, 10)),
        ("2024-02-29", "yyyy-mm-dd", date(2024, 2, 29)),
        ("2023-02-29", "yyyy-mm-dd", None),
        ("31/04/2024", "dd/mm/yyyy", None),
        ("13/2004", "mm/yyyy", None),
        ("xyz/04", "mon/yy", None),
        ("jan/04", "dd/mm/yyyy", None),
    ],
)
def test_a_text_in_a_format_is_one_day_or_none(text, fmt, expected):
    assert RULES.parse(text, RULES.format(fmt)) == expected


@pytest.mark.parametrize(
    ("values", "fmt"),
    [
        (["jan/04", "fev/04", None, "dez/14"], "mon/yy"),
        (["janeiro de 2004", "fevereiro de 2004"], "month de yyyy"),
        (["01/2004", "12/2004"], "mm/yyyy"),
        (["01/10/2024", "25/10/2024"], "dd/mm/yyyy"),  # the 25th settles the order
        (["05/05/2024"], "dd/mm/yyyy"),  # the same day both ways
        (["2024-01-31", ""], "yyyy-mm-dd"),
    ],
)
def test_a_column_is_read_in_the_one_format_all_its_values_fit(values, fmt):
    assert column_format("c", values, RULES).name == fmt


def test_text_that_is_no_date_stays_text():
    assert column_format("city", ["Recife", "Natal", None], RULES) is None
    assert column_format("empty", [None, " "], RULES) is None


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (["jan/04", "foo"], "column 'c' is partly dates ('jan/04') and partly not ('foo')"),
        (["jan/04", "2004-01-01"], "column 'c' mixes date formats"),
        (["01/10/2024", "02/10/2024"], "every value reads both as dd/mm/yyyy and as mm/dd/yyyy"),
        (["31/02/2024", "01/03/2024"], "partly not ('31/02/2024')"),
        (["03/25/2024", "01/10/2024"], "declare it: --date-format c=mm/dd/yyyy"),
    ],
)
def test_a_column_that_reads_two_ways_or_partly_is_refused(values, message):
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        column_format("c", values, RULES)


def test_a_declared_format_settles_the_order_and_is_held_to():
    assert column_format("c", ["01/10/2024"], RULES, "dd/mm/yyyy").name == "dd/mm/yyyy"
    with pytest.raises(DataError, match="'25/10/2024' is not a date as mm/dd/yyyy"):
        column_format("c", ["01/10/2024", "25/10/2024"], RULES, "mm/dd/yyyy")
    with pytest.raises(SpecError, match="unknown date format 'dd-mm-yy'"):
        column_format("c", ["01/10/2024"], RULES, "dd-mm-yy")


def test_a_brazilian_spreadsheet_reads_as_its_author_meant(tmp_path):
    path = tmp_path / "vendas.csv"
    path.write_text(
        "mes;vendas;indice;cep;dia\n"
        "jan/04;1.234,5;10,5;01001000;01/10/2024\n"
        "fev/04;987,25;11,2;02002000;02/10/2024\n",
        encoding="utf-8",
    )
    loaded = read_csv(path, ";", ",", RULES, text=["cep"], date_formats={"dia": "dd/mm/yyyy"})
    rows = loaded.rows.to_pylist()
    assert rows[0] == {
        "mes": date(2004, 1, 1),
        "vendas": 1234.5,
        "indice": 10.5,
        "cep": "01001000",
        "dia": date(2024, 10, 1),
    }
    assert rows[1]["mes"] == date(2004, 2, 1) and rows[1]["vendas"] == 987.25
    assert loaded.read_as == {
        "mes": "date, read as mon/yy",
        "vendas": "number, digits grouped ('.')",
        "cep": "text, as written (--text)",
        "dia": "date, read as dd/mm/yyyy (declared)",
    }


def test_a_spreadsheet_column_that_reads_two_ways_is_refused_whole(tmp_path):
    path = tmp_path / "dias.csv"
    path.write_text("dia;y\n01/10/2024;1\n02/10/2024;2\n", encoding="utf-8")
    with pytest.raises(DataError, match="column 'dia': every value reads both"):
        read_csv(path, ";", ",", RULES)
    with pytest.raises(SpecError, match="has no column 'dias'"):
        read_csv(path, ";", ",", RULES, text=["dias"])
