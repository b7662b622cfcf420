"""What every scale benchmark shares: running a child process for its wall time and peak RSS,
and the environment that points dbt at one work folder with the DuckDB resources under test."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path

from ml.config import PROJECT_ROOT


def _high_water_mb(pid: int) -> float:
    """VmHWM of a live process: its own peak RSS since exec."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run_process(
    cmd: list[str], env: dict | None = None, cwd: Path = PROJECT_ROOT
) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one child process.

    The peak is the child's VmHWM, sampled while it runs: rusage's ru_maxrss of a child starts
    from the parent's RSS at fork, so after the benchmark itself has held a big DuckDB result
    every child would report at least that much.
    """
    start = time.perf_counter()
    peak = 0.0
    with tempfile.TemporaryFile("w+") as log:
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
        while proc.poll() is None:
            peak = max(peak, _high_water_mb(proc.pid))
            time.sleep(0.05)
        seconds = time.perf_counter() - start
        if proc.returncode != 0:
            log.seek(0)
            raise SystemExit(f"{' '.join(cmd)} failed:\n{log.read()[-3000:]}")
    return seconds, peak


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
