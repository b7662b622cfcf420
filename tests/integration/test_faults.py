"""Fault injection: `kill -9` of `dbt run` inside a base model, an incremental fact and the
quarantine, one after the other on the same warehouse, then an ordinary rerun: every relation
equals a clean build (`run`, not `build`: data tests and seeds write nothing a kill could
break, and skipping them halves the test). And `kill -9` of `ml score` inside its write: the
scores table keeps the previous run whole, and the rerun leaves one run's scores per cutoff,
never duplicated."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from tests.conftest import ROOT
from tests.integration.conftest import DBT, copy_warehouse, dbt_env
from tests.integration.test_recovery import _differences

pytestmark = pytest.mark.integration

MANIFEST = ROOT / "data" / "datagen" / "manifest.json"
ML = str(Path(sys.executable).with_name("ml"))


def _kill_inside(args: list[str], env: dict, model: str, delay: float = 0.15) -> list[str]:
    """Start dbt, SIGKILL it `delay` seconds after `model` starts; what it printed."""
    proc = subprocess.Popen(
        [DBT, *args],
        cwd=ROOT,
        env={**env, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    printed = []
    assert proc.stdout is not None
    for line in proc.stdout:
        printed.append(line)
        if " START " in line and f".{model} " in line:
            time.sleep(delay)
            proc.kill()
            break
    proc.wait(timeout=60)
    printed += proc.stdout.read().splitlines()
    assert proc.returncode == -9, f"dbt ended before {model} started:\n{''.join(printed[-20:])}"
    return printed


def test_dbt_killed_at_three_points_then_rerun_equals_a_clean_build(
    warehouse, session_dbt, tmp_path, monkeypatch
):
    db = copy_warehouse(warehouse.clean, tmp_path / "killed", warehouse.path.name)
    env = dbt_env(db, tmp_path / "target")
    # three exports behind, so the killed builds have new rows to load at every point
    last = datetime.fromisoformat(json.loads(MANIFEST.read_text())["extract_at"])
    behind = json.dumps({"raw_extracted_through": str(last - timedelta(days=3))})
    dbt = session_dbt  # the runs that are not killed
    dbt.at(db, tmp_path / "target", ["run", "--full-refresh", "--vars", behind])
    landed = {}
    for model in ("base_loyalty__transactions", "fct_points_ledger", "stg_loyalty__quarantine"):
        printed = _kill_inside(["run"], env, model)
        finished = any(f".{model} " in line and " OK " in line for line in printed)
        landed[model] = "after it finished" if finished else "while it ran"
    # with seeds this small a model can finish within the delay; most land inside
    assert list(landed.values()).count("while it ran") >= 2, landed
    dbt(["run"])  # the rerun; the recovery test runs the data tests after its own
    assert _differences(warehouse.clean, db, monkeypatch) == {}


def _scores(db: Path) -> tuple[int, int, int]:
    """Rows, distinct (model, version, entity, cutoff) keys, and the most runs (scored_at)
    any (model, version, cutoff) holds."""
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            "select count(*), count(distinct (model_name, model_version, entity_id, cutoff_date)),"
            " (select max(n) from (select count(distinct scored_at) as n from "
            "ml_scores.model_scores group by model_name, model_version, cutoff_date)) "
            "from ml_scores.model_scores"
        ).fetchall()[0]


def test_ml_score_killed_inside_its_write_keeps_scores_whole(trained, ml_settings, tmp_path):
    db = tmp_path / "scores.duckdb"
    shutil.copy(ml_settings.duckdb_path, db)
    env = {
        **dbt_env(db, ml_settings.target_dir),
        "MLFLOW_TRACKING_URI": ml_settings.mlflow_tracking_uri,
        "LOYALTY_DBT_THREADS": "1",
    }
    score = [ML, "--warehouse", str(db), "--target-dir", str(ml_settings.target_dir)]
    first = subprocess.run([*score, "score", "churn"], env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stdout + first.stderr
    before = _scores(db)
    assert before[0] == before[1] > 0 and before[2] == 1

    marker = tmp_path / "inside_the_write"
    faulty = {**env, "LOYALTY_FAULT_POINT": f"model_scores_written:{marker}"}
    proc = subprocess.Popen([*score, "score", "churn"], env=faulty)
    deadline = time.monotonic() + 300
    while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists(), "ml score never reached its write"
    proc.kill()  # deleted and inserted, not committed
    proc.wait(timeout=60)
    assert _scores(db) == before  # the killed write left nothing behind

    rerun = subprocess.run([*score, "score", "churn"], env=env, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert _scores(db) == before  # replaced, not appended or mixed
