"""Recovery: whatever was rebuilt alone or interrupted, the next ordinary run converges to
the state of a clean build. Every relation of staging, the marts and the ML marts is compared
with the session's clean build (`except all` both ways, the loaded_at bookkeeping aside)."""

from __future__ import annotations

import shutil

import pytest

from ml.bench_scale import compare_warehouses
from tests.conftest import ROOT
from tests.integration.conftest import dbt_env, run_dbt

pytestmark = pytest.mark.integration

BASE_MODELS = sorted(p.stem for p in (ROOT / "models/staging/loyalty/base").glob("base_*.sql"))


def _differences(clean, other) -> dict[str, int]:
    compared = compare_warehouses(clean, other)
    assert len(compared) > 20  # every staging, mart and ML table, not an empty comparison
    return {table: rows for table, rows in compared.items() if rows}


def test_a_full_refresh_of_any_base_model_alone_converges(warehouse, tmp_path):
    """Each base model rebuilt on its own gives all its rows a new loaded_at; every
    incremental model downstream takes them again and must replace, never append."""
    assert len(BASE_MODELS) == 9
    db = tmp_path / "refreshed.duckdb"
    shutil.copy(warehouse.clean, db)
    env = dbt_env(db, tmp_path / "target")
    for model in BASE_MODELS:
        run_dbt(["run", "--full-refresh", "-s", model], env)
        # what `dbt build` would run with new rows: the rest has nothing new (a no-op)
        run_dbt(["run", "-s", f"{model}+"], env)
        assert _differences(warehouse.clean, db) == {}, model
    run_dbt(["build", "--exclude", "resource_type:unit_test"], env)  # every data test passes
