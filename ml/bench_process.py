"""What every scale benchmark shares: running a child process for its wall time and peak RSS,
and the environment that points dbt at one work folder with the DuckDB resources under test."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from ml.config import PROJECT_ROOT


def run_process(
    cmd: list[str], env: dict | None = None, cwd: Path = PROJECT_ROOT
) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one child process (reaped with wait4 for its rusage)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{output[-3000:]}")
    return seconds, usage.ru_maxrss / 1024


def memory_limit() -> str:
    """DuckDB's memory limit for every dbt and raw run of a benchmark (env overrides)."""
    return os.environ.get("LOYALTY_DUCKDB_MEMORY_LIMIT", "4GB")


def dbt_env(db: Path, target: Path, lake: Path, threads: int) -> dict:
    return {
        **os.environ,
        "DBT_PROFILES_DIR": str(PROJECT_ROOT),
        "LOYALTY_DUCKDB_PATH": str(db),
        "DBT_TARGET_PATH": str(target),
        "DBT_LOG_PATH": str(target / "logs"),
        "LOYALTY_LAKE": str(lake),
        "LOYALTY_DUCKDB_THREADS": str(threads),
        "LOYALTY_DUCKDB_MEMORY_LIMIT": memory_limit(),
        # one model at a time: models running side by side share DuckDB's threads and memory
        # limit, and at a million members two big facts together ran 4x slower than in turn
        "LOYALTY_DBT_THREADS": os.environ.get("LOYALTY_DBT_THREADS", "1"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
