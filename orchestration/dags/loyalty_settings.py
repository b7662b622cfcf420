"""Where the DAGs find the project, read once from the environment (docs/orchestration.md).

Airflow runs in its own venv (.venv-airflow); dbt and the `ml` CLI run from the project's
(.venv) as subprocesses, so the two dependency trees never meet. Every path has a default
that works in a clone of the repository; a deployment (Cloud Composer, any Airflow) sets the
variables instead.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path

PROJECT_DIR = Path(os.environ.get("LOYALTY_PROJECT_DIR", Path(__file__).resolve().parents[2]))
PROJECT_BIN = Path(os.environ.get("LOYALTY_PROJECT_BIN", PROJECT_DIR / ".venv" / "bin"))
DBT = str(PROJECT_BIN / "dbt")
ML = str(PROJECT_BIN / "ml")
LAKE = Path(os.environ.get("LOYALTY_LAKE", PROJECT_DIR / "lake"))
DBT_TARGET = os.environ.get("DBT_TARGET", "dev")
MANIFEST = PROJECT_DIR / "target" / "manifest.json"
SPECS_DIR = Path(os.environ.get("LOYALTY_SPECS", PROJECT_DIR / "ml" / "specs"))
REPORTS_DIR = Path(os.environ.get("LOYALTY_REPORTS", PROJECT_DIR / "reports"))
# Fits that may run side by side (two trainings, a training beside a scoring) take this many
# OpenMP/BLAS threads each (ml/config.py reads it): two unbounded HistGradientBoosting fits on
# two cores spin against each other for minutes instead of seconds.
ML_THREADS = os.environ.get("LOYALTY_ML_THREADS", "1")
# One writer per DuckDB file: every task that writes the warehouse takes this pool's one slot
# (make airflow creates it; on BigQuery give it as many slots as the project has dbt threads).
WAREHOUSE_POOL = os.environ.get("LOYALTY_WAREHOUSE_POOL", "loyalty_warehouse")
# The day's export lands by 02:00; the sensor waits this long before failing the run.
EXPORT_TIMEOUT = float(os.environ.get("LOYALTY_EXPORT_TIMEOUT_SECONDS", 6 * 3600))
EXPORT_POKE = float(os.environ.get("LOYALTY_EXPORT_POKE_SECONDS", 600))
# A run whose extract day is older than this replays history (a backfill): freshness against
# the wall clock is reported but does not stop it.
REPLAY_AFTER_DAYS = 2
EXPORT_MARKER = "_SUCCESS"  # loyalty_datagen.lake.EXPORT_MARKER
# How cosmos runs dbt: "watcher" (one dbt build a day, a task per model reporting on it) or
# "local" (a dbt process per task). docs/orchestration.md compares them.
COSMOS_MODE = os.environ.get("LOYALTY_COSMOS_MODE", "watcher")


@cache
def raw_tables() -> list[str]:
    """The lake's tables: the dbt source `loyalty` in the manifest `make airflow` parses."""
    nodes = json.loads(MANIFEST.read_text())["sources"].values()
    return sorted(n["name"] for n in nodes if n["source_name"] == "loyalty")


def missing_exports(day: str) -> list[str]:
    """The tables whose export of `day` (YYYY-MM-DD) has not landed whole yet."""
    return [
        t for t in raw_tables() if not (LAKE / t / f"extract_date={day}" / EXPORT_MARKER).exists()
    ]


def dbt_env() -> dict[str, str]:
    """What a dbt or ml subprocess needs on top of the worker's environment. Only these go into
    the DAG (its serialised form is stored and shown by the UI): the PII salt and credentials
    stay in the worker's environment, which each task inherits when it runs."""
    return {
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
        "LOYALTY_LAKE": str(LAKE),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def ml_env() -> dict[str, str]:
    """dbt_env() and the thread cap every `ml` task runs with."""
    return {**dbt_env(), "LOYALTY_ML_THREADS": ML_THREADS}
