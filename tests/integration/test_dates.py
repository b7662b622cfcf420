"""Dates as people write them, read the same way by dbt (the macro parse_date_ptbr) and by the
ML CLI (ml/dates.py): one set of rules in dbt_project.yml, checked here text by text and format
by format; and a user who has nothing but a Brazilian spreadsheet gets from it to a trained
model, or one line saying why not. Marked own_build: nothing here reads the shared build."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from ml.dates import rules
from tests.conftest import ROOT
from tests.integration.conftest import InProcessDbt, dbt_env
from tests.integration.test_cli import invoke, write_spec

pytestmark = [pytest.mark.integration, pytest.mark.own_build]

RULES = rules(ROOT)
MONTHS = ["janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto"]
MONTHS += ["setembro", "outubro", "novembro", "dezembro"]


def _texts() -> list[str]:
    """Every shape each format reads, the edges of each (leap days, month 13, the century
    pivot, case, a missing cedilla) and texts of one format offered to all the others."""
    texts = [f"{m[:3]}/{y}" for m in MONTHS for y in ("00", "04", "69", "70", "99")]
    texts += [f"{m[:3].upper()}/2014" for m in MONTHS] + ["xyz/04", "jan/4"]
    texts += [f"{m} de 2004" for m in MONTHS] + ["Março de 2010", "marco de 2010"]
    texts += [f"{m:02d}/2004" for m in range(0, 14)] + ["1/2004"]
    texts += [
        f"{d}/{m}/{y}"
        for d in (1, 12, 13, 28, 29, 30, 31)
        for m in (1, 2, 12, 13)
        for y in (2023, 2024)
    ]
    texts += ["2024-02-29", "2023-02-29", "2024-1-5", "2024-13-01", " 15/03/1985 ", "15/03/85"]
    return sorted(set(texts))


def test_dbt_and_the_cli_read_every_text_as_the_same_day(tmp_path, monkeypatch):
    texts, formats = _texts(), list(RULES.formats)
    cases = " union all ".join(f"select '{t}' as txt" for t in texts)
    parsed = ", ".join(
        f"{{{{ loyalty.parse_date_ptbr('txt', ['{name}']) }}}} as f{i}"
        for i, name in enumerate(formats)
    )
    dbt = InProcessDbt(dbt_env(tmp_path / "dates.duckdb", tmp_path / "target"), monkeypatch)
    shown = dbt.show(f"select txt, {parsed} from ({cases}) as cases")
    assert len(shown) == len(texts) > 150
    read = 0
    for row in shown:
        for i, name in enumerate(formats):
            expected = RULES.parse(row["txt"], RULES.formats[name])
            assert row[f"f{i}"] == expected, (row["txt"], name)
            read += expected is not None
    assert read > 100  # most texts are a day in some format, not all None on both sides


def _series(months: int = 132) -> str:
    """A monthly series as the course's spreadsheets export it: jan/04 .. dez/14, ';' and
    decimal commas, digits grouped with '.'."""
    rows = ["mes;vendas;trafego"]
    for i in range(months):
        label = f"{MONTHS[i % 12][:3]}/{(4 + i // 12) % 100:02d}"
        traffic = 50 + 3 * i + 10 * math.sin(i)
        sales = 1000 + 20 * traffic + 150 * (i % 12 == 11)
        rows.append(
            f"{label};{sales:,.2f};{traffic:.3f}".replace(",", "_")
            .replace(".", ",")
            .replace("_", ".")
        )
    return "\n".join(rows) + "\n"


def test_a_user_with_only_a_spreadsheet_starts_here(tmp_path):
    csv = tmp_path / "serie.csv"
    csv.write_text(_series(), encoding="utf-8")
    specs = tmp_path / "specs"
    specs.mkdir()
    # a warehouse file that does not exist yet, and no dbt project built into it
    fresh = SimpleNamespace(path=tmp_path / "new" / "mine.duckdb", target=tmp_path / "target")
    loaded = invoke(["load-csv", str(csv), "--table", "serie"], fresh, tmp_path, specs)
    assert loaded.exit_code == 0, loaded.output
    assert fresh.path.exists() and "Loaded 132 rows into scratch.serie" in loaded.output
    said = " ".join(loaded.output.split())
    assert "mes │ DATE │ date, read as mon/yy" in said
    assert "vendas │ DOUBLE │ number, digits grouped ('.')" in said

    spec = {
        "name": "vendas",
        "task": "regression",
        "source": "scratch.serie",
        "id_columns": [],
        "time_column": "mes",
        "target": "vendas",
        "features": {"numeric": ["trafego"]},
        "split": {"test_periods": 12, "gap_periods": 0, "cv_folds": 3},
        "candidates": [{"name": "ols", "estimator": "sklearn.linear_model.LinearRegression"}],
        "selection_metric": "neg_mean_absolute_error",
    }
    write_spec(specs, **spec)
    trained = invoke(["train", "vendas"], fresh, tmp_path, specs)
    assert trained.exit_code == 0, trained.output
    # the same command in a pipe (a log, CI, a scheduler): a timestamped line per step
    piped = subprocess.run(
        [str(Path(sys.executable).with_name("ml")), "train", "vendas"],
        env={
            **os.environ,
            "LOYALTY_DUCKDB_PATH": str(fresh.path),
            "DBT_TARGET_PATH": str(fresh.target),
            "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow' / 'mlflow.db'}",
            "LOYALTY_SPECS": str(specs),
            "LOYALTY_REPORTS": str(tmp_path / "reports"),
        },
        capture_output=True,
        text=True,
    )
    assert piped.returncode == 0, piped.stdout + piped.stderr
    stamped = [line[9:] for line in piped.stdout.splitlines() if re.match(r"\d\d:\d\d:\d\d ", line)]
    assert stamped[0] == "training vendas" and "vendas: model selection" in stamped
    shown = invoke(["models", "show", "vendas", "--json"], fresh, tmp_path, specs)
    split = json.loads(shown.output)["split"]  # jan/04 is January 2004, month by month
    assert split["test_periods"] == [f"2014-{m:02d}-01" for m in range(1, 13)]
    assert split["train_periods"][0] == "2004-01-01"

    # the same file with the month kept as text: one line and the data-error code, where
    # pandas once printed a traceback for 'fev/04' and read 'jan/04' as January 4th
    as_text = ["load-csv", str(csv), "--table", "serie_texto", "--text", "mes"]
    assert invoke(as_text, fresh, tmp_path, specs).exit_code == 0
    write_spec(specs, **{**spec, "name": "texto", "source": "scratch.serie_texto"})
    refused = invoke(["train", "texto"], fresh, tmp_path, specs)
    assert refused.exit_code == 4 and "error" not in refused.stdout
    assert refused.stderr.startswith("error: time column 'mes' of scratch.serie_texto is varchar")
    assert len(refused.stderr.splitlines()) == 1  # one line, wherever the terminal wraps
