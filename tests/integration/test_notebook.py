"""The course's notebook (notebooks/crisp_dm.py) run top to bottom by a Jupyter kernel on the
session's build and trained models, as `make notebook` runs it on `make run`'s warehouse."""

from __future__ import annotations

import re

import duckdb
import pytest

from tests.conftest import ROOT
from tests.integration.conftest import copy_warehouse

pytestmark = pytest.mark.integration

NOTEBOOK = ROOT / "notebooks" / "crisp_dm.py"


def _text(cell) -> str:
    parts = []
    for output in cell.get("outputs", []):
        parts.append(output.get("text", ""))
        parts.append(output.get("data", {}).get("text/plain", ""))
    return "".join(parts)


def test_the_course_notebook_runs_top_to_bottom(
    warehouse, ml_settings, trained, tmp_path, monkeypatch
):
    import jupytext
    from nbclient import NotebookClient

    # its scoring step writes: on a copy of the build before any test scored
    copy = copy_warehouse(warehouse.clean, tmp_path / "warehouse")
    for key, value in {
        "LOYALTY_DUCKDB_PATH": str(copy),
        "DBT_TARGET_PATH": str(warehouse.target),
        "MLFLOW_TRACKING_URI": ml_settings.mlflow_tracking_uri,
        "LOYALTY_REPORTS": str(tmp_path / "reports"),
        "LOYALTY_ML_THREADS": "1",
    }.items():
        monkeypatch.setenv(key, value)  # the kernel inherits the test's environment
    notebook = jupytext.read(NOTEBOOK)
    client = NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": ROOT}}
    )
    client.execute()  # raises CellExecutionError, with the cell and its traceback, on any error

    code = [c for c in notebook.cells if c.cell_type == "code"]
    printed = "\n".join(_text(c) for c in code)
    timing = re.search(r"raw extracts: ([\d.]+) ms; star schema: ([\d.]+) ms", printed)
    assert timing and float(timing[1]) > 0 and float(timing[2]) > 0, printed
    mse = re.search(r"MSE ([\d,]+) \(points²\)", printed)
    recorded = trained["points_next_90d"].metadata["metrics"]["test"]["mse"]
    assert mse and int(mse[1].replace(",", "")) == round(recorded), (mse, recorded)
    scored = re.search(r"([\d,]+) scores of churn (v\d+)", printed)
    assert scored and scored[2] == trained["churn"].label, printed
    with duckdb.connect(str(copy), read_only=True) as con:
        rows = con.sql(
            "select count(*) from ml_scores.model_scores where model_name = 'churn'"
        ).fetchall()[0][0]
    assert rows == int(scored[1].replace(",", "")) > 0
