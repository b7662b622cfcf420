"""One real `dbt build` (seeds, models, data tests, unit tests) into a temporary DuckDB file,
shared by every integration test of the session, then `dbt docs generate` on top."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from tests.conftest import ROOT

DBT = str(Path(sys.executable).with_name("dbt"))


@dataclass(frozen=True)
class Warehouse:
    path: Path
    target: Path

    def connect(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.path), read_only=True)

    def artifact(self, name: str) -> dict:
        return json.loads((self.target / name).read_text())


def _dbt(args: list[str], env: dict[str, str]) -> None:
    proc = subprocess.run([DBT, *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join(proc.stdout.splitlines()[-60:])
        pytest.fail(f"dbt {' '.join(args)} failed (exit {proc.returncode}):\n{tail}", False)


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory) -> Iterator[Warehouse]:
    tmp = tmp_path_factory.mktemp("warehouse")
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(ROOT),
        "DBT_TARGET": "dev",
        "LOYALTY_DUCKDB_PATH": str(tmp / "loyalty.duckdb"),
        "DBT_TARGET_PATH": str(tmp / "target"),
        "DBT_LOG_PATH": str(tmp / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    _dbt(["build"], env)
    _dbt(["docs", "generate"], env)
    yield Warehouse(tmp / "loyalty.duckdb", tmp / "target")


@pytest.fixture(scope="session")
def con(warehouse) -> Iterator[duckdb.DuckDBPyConnection]:
    c = warehouse.connect()
    yield c
    c.close()
