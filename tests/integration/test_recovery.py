"""Recovery: whatever was rebuilt alone or interrupted, the next ordinary run converges to
the state of a clean build. Every relation of staging, the marts and the ML marts is compared
with the session's clean build (`except all` both ways, the loaded_at bookkeeping aside)."""

from __future__ import annotations

import pytest

from loyalty_bench import scale
from tests.conftest import ROOT
from tests.integration.conftest import copy_warehouse

pytestmark = pytest.mark.integration

BASE_MODELS = sorted(p.stem for p in (ROOT / "models/staging/loyalty/base").glob("base_*.sql"))


def _differences(clean, other, monkeypatch) -> dict[str, int]:
    """Tables whose row multisets differ (count and sum of row hashes: at these sizes as sure
    as `except all` and seven times faster)."""
    monkeypatch.setattr(scale, "EXCEPT_ALL_MAX_ROWS", 0)
    compared = scale.compare_warehouses(clean, other)
    assert len(compared) > 20  # every staging, mart and ML table, not an empty comparison
    return {table: rows for table, rows in compared.items() if rows}


def test_a_full_refresh_of_any_base_model_alone_converges(
    warehouse, session_dbt, tmp_path, monkeypatch
):
    """Each base model rebuilt on its own gives all its rows a new loaded_at; every
    incremental model downstream takes them again and must replace, never append."""
    assert len(BASE_MODELS) == 9
    db = copy_warehouse(warehouse.clean, tmp_path / "refreshed", warehouse.path.name)
    dbt = session_dbt
    for model in BASE_MODELS:
        dbt.at(db, tmp_path / "target", ["run", "--full-refresh", "-s", model])
        # what `dbt build` would run with new rows: the rest has nothing new (a no-op)
        dbt(["run", "-s", f"{model}+"])
        assert _differences(warehouse.clean, db, monkeypatch) == {}, model
    # no data test run here: every table equals the clean build's, whose tests all passed
