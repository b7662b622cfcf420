"""What `make bench` runs besides dbt, on the session's build: a small size of the benchmark's
raw-DuckDB path in every `make test`, so the bench cannot die unnoticed (issue 21)."""

from __future__ import annotations

import json

import pytest

from loyalty_bench.raw import run_models
from tests.integration.conftest import PII_SALT
from tests.integration.test_recovery import _differences

pytestmark = pytest.mark.integration


def test_the_compiled_sql_run_straight_on_duckdb_builds_dbts_tables(
    warehouse, session_dbt, tmp_path, monkeypatch
):
    """The dbt/raw ratio's denominator: every model's compiled SQL in dependency order, no
    dbt. It reads the PII salt from the session as dbt's plugin gives it, and must give the
    same tables, or the ratio compares different work."""
    # the bench reads the manifest of its full refresh: the models' full-refresh SQL (the
    # data tests' is not read)
    compiled = tmp_path / "compiled"
    args = ["compile", "--full-refresh", "-s", "resource_type:model"]
    (tmp_path / "empty").mkdir()  # a warehouse of its own: compiling writes nothing there
    session_dbt.at(tmp_path / "empty" / warehouse.path.name, compiled, args)
    manifest = json.loads((compiled / "manifest.json").read_text())
    monkeypatch.setenv("LOYALTY_PII_SALT", PII_SALT)
    raw = tmp_path / "raw.duckdb"
    seconds = run_models(manifest, warehouse.clean, raw, 2)
    assert seconds > 0
    assert _differences(warehouse.clean, raw, monkeypatch) == {}
