"""One real `dbt build` (seeds, models, data tests, unit tests) into a temporary DuckDB file,
shared by every integration test of the session, then `dbt docs generate` on top."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import pytest
import yaml

from ml.config import Settings
from ml.lifecycle import Context, train
from ml.registry import ModelVersion
from tests.conftest import ROOT

DBT = str(Path(sys.executable).with_name("dbt"))
# Every test build pseudonymises with this secret, not the public development salt, so
# test_secrets.py can prove the secret reaches no artifact, log or stored SQL.
PII_SALT = "integration-secret-" + secrets.token_hex(12)


@dataclass(frozen=True)
class Warehouse:
    path: Path
    target: Path
    # a copy taken right after the build, before any test wrote scores or scratch tables:
    # the clean build that recovery tests compare with
    clean: Path

    def connect(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.path), read_only=True)

    def artifact(self, name: str) -> dict:
        return json.loads((self.target / name).read_text())


def dbt_env(database: Path, target: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DBT_PROFILES_DIR": str(ROOT),
        "DBT_TARGET": "dev",
        "LOYALTY_DUCKDB_PATH": str(database),
        "DBT_TARGET_PATH": str(target),
        "DBT_LOG_PATH": str(target / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "LOYALTY_PII_SALT": PII_SALT,
    }


def dbt(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """dbt in a process of its own, its output kept (for tests that expect it to fail)."""
    return subprocess.run([DBT, *args], cwd=ROOT, env=env, capture_output=True, text=True)


def run_dbt(args: list[str], env: dict[str, str]) -> None:
    proc = dbt(args, env)
    if proc.returncode != 0:
        tail = "\n".join(proc.stdout.splitlines()[-60:])
        pytest.fail(f"dbt {' '.join(args)} failed (exit {proc.returncode}):\n{tail}", False)


class InProcessDbt:
    """dbt called in the test's own process on one parsed manifest: about a second a call
    instead of five (a process start, imports and a parse), for tests that call dbt many times
    in a row, or for many tests on one parse (`session_dbt`)."""

    def __init__(
        self, env: dict[str, str], monkeypatch: pytest.MonkeyPatch, parse_vars: str | None = None
    ):
        """`parse_vars`: the vars the sources' YAML reads when it is parsed (raw_layer: the
        lake's external locations are rendered then); later calls may give others."""
        from dbt.cli.main import dbtRunner

        self._values = dict(env)
        monkeypatch.chdir(ROOT)
        with self._environment():
            parsed = dbtRunner().invoke(
                ["parse", "--quiet", *(["--vars", parse_vars] * bool(parse_vars))]
            )
        assert parsed.success, parsed.exception
        self._runner = dbtRunner(manifest=parsed.result)
        self._database = Path(env["LOYALTY_DUCKDB_PATH"]).name

    @contextmanager
    def _environment(self) -> Iterator[None]:
        """The call's environment, as a subprocess would get it, for the call only: one
        instance serves many tests (and another adapter's may run in between)."""
        saved = {key: os.environ.get(key) for key in self._values}
        os.environ.update(self._values)
        try:
            yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    def _invoke(self, args: list[str]):
        with self._environment():
            result = self._runner.invoke(args)
        self._release_the_file()
        return result

    def at(self, database: Path, target: Path, args: list[str], check: bool = True):
        """A call on another warehouse file, into another target folder: dbt reads both from
        the environment at every call (vars too are rendered per call, with the SQL). The file
        keeps its name: dbt-duckdb names the database after it, and the manifest holds that.
        Later calls keep the new file and folder."""
        assert database.name == self._database, f"{database} is not named {self._database}"
        self._values["LOYALTY_DUCKDB_PATH"] = str(database)
        self._values["DBT_TARGET_PATH"] = str(target)
        self._values["DBT_LOG_PATH"] = str(target / "logs")
        return self(args, check)

    def __call__(self, args: list[str], check: bool = True):
        """dbt's result; a failing node or error fails the test unless `check` is off (for
        commands expected to report failures, such as a stale source's freshness)."""
        result = self._invoke([*args, "--quiet"])
        if check and not result.success:
            failed = [
                f"{r.node.name}: {r.message}"
                for r in (result.result or [])
                if str(r.status) in ("error", "fail")
            ]
            pytest.fail(f"dbt {' '.join(args)} failed: {failed or result.exception}", False)
        return result

    @staticmethod
    def said(result) -> str:
        """What dbt reported of a failed call: each failing node's message, or its error."""
        messages = [str(r.message) for r in (result.result or []) if r.message]
        return "\n".join([*messages, str(result.exception or "")])

    def show(self, sql: str) -> list[dict]:
        """Every row of an inline query compiled with the project's macros (`dbt show`)."""
        result = self._invoke(["show", "--inline", sql, "--limit", "-1", "--quiet"])
        assert result.success, result.exception
        table = result.result.results[0].agate_table
        return [dict(zip(table.column_names, row, strict=True)) for row in table.rows]

    @staticmethod
    def _release_the_file() -> None:
        """dbt-duckdb keeps its DuckDB connection for the process's next invocation; a
        process holds one configuration per file, so the test could not open it to compare."""
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager as manager

        with manager._LOCK:
            if manager._ENV is not None:
                manager._ENV.close()
                manager._ENV = None


def light_specs(folder: Path, specs: tuple[str, ...]) -> Path:
    """The shipped specs with their first candidate and its first grid point only, two CV folds:
    for tests about what runs where (Airflow's tasks, the emulator's reads and writes), where
    each spec still trains, registers, scores and reports through the same commands and a
    full model selection would only add minutes of fits. LOYALTY_SPECS points at the folder."""
    folder.mkdir()
    for spec in specs:
        raw = yaml.safe_load((ROOT / "ml" / "specs" / f"{spec}.yml").read_text())
        first = raw["candidates"][0]
        first["grid"] = {key: values[:1] for key, values in first.get("grid", {}).items()}
        raw["candidates"] = [first]
        raw["split"]["cv_folds"] = 2
        (folder / f"{spec}.yml").write_text(yaml.safe_dump(raw, sort_keys=False))
    return folder


def copy_warehouse(database: Path, folder: Path, name: str | None = None) -> Path:
    """A copy of a warehouse under the same file name (or `name`), for InProcessDbt.at:
    dbt-duckdb names the database after the file, and the parsed manifest holds that name."""
    folder.mkdir()
    return Path(shutil.copy(database, folder / (name or database.name)))


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory) -> Iterator[Warehouse]:
    tmp = tmp_path_factory.mktemp("warehouse")
    env = dbt_env(tmp / "loyalty.duckdb", tmp / "target")
    run_dbt(["build"], env)
    run_dbt(["docs", "generate", "--static"], env)
    shutil.copy(tmp / "loyalty.duckdb", tmp / "clean.duckdb")
    yield Warehouse(tmp / "loyalty.duckdb", tmp / "target", tmp / "clean.duckdb")


@pytest.fixture(scope="session")
def session_dbt(warehouse, tmp_path_factory) -> Iterator[InProcessDbt]:
    """dbt in the session's process, on one parse, for the tests that run dbt on a copy of the
    build (`.at`: a copy keeps the build's file name). The parse starts from the build's own
    (its partial-parse file: same profile, no vars), about 6 s instead of 16; a test that
    parsed the project anew in a subprocess of its own paid those 16 s each time."""
    target = tmp_path_factory.mktemp("session_parse")
    shutil.copy(warehouse.target / "partial_parse.msgpack", target)
    with pytest.MonkeyPatch.context() as monkeypatch:
        yield InProcessDbt(dbt_env(warehouse.path, target), monkeypatch)


@pytest.fixture
def con(warehouse) -> Iterator[duckdb.DuckDBPyConnection]:
    """Per test: a read-only connection held for the session would block the ML tests that
    write scores (DuckDB allows one configuration per file per process)."""
    c = warehouse.connect()
    yield c
    c.close()


@pytest.fixture(scope="session")
def ml_settings(warehouse, tmp_path_factory) -> Settings:
    tmp = tmp_path_factory.mktemp("ml")
    return replace(
        Settings(),
        duckdb_path=warehouse.path,
        target_dir=warehouse.target,
        mlflow_tracking_uri=f"sqlite:///{tmp / 'mlflow' / 'mlflow.db'}",
        reports_dir=tmp / "reports",
        target="dev",
    )


@pytest.fixture(scope="session")
def trained(ml_settings) -> dict[str, ModelVersion]:
    """Both shipped models, trained once for the session on the real marts."""
    ctx = Context.from_settings(ml_settings)
    return {name: train(ctx, name) for name in ("churn", "points_next_90d")}


# Headless Chromium for the browser tests (the docs site, MLflow's UI): Debian's chromium and
# chromedriver (`scripts/install_chromium.sh`). Screenshots land in reports/docs_site/.
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOTS = ROOT / "reports" / "docs_site"
TIMEOUT = 60
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1920,1080",
]


def _missing_browser_message() -> str:
    return (
        f"headless Chromium is missing ({CHROMIUM} and {CHROMEDRIVER} are needed). "
        "Install it with `scripts/install_chromium.sh` (as root: apt-get install chromium "
        "chromium-driver); `make test` runs it first."
    )


@pytest.fixture(scope="session")
def chromium(tmp_path_factory) -> Iterator[object]:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.fail(_missing_browser_message(), False)
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:  # pragma: no cover - dev extra not installed
        pytest.fail("selenium is missing: pip install -e '.[dev]' (make install)", False)

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.set_page_load_timeout(TIMEOUT)
    driver.set_script_timeout(TIMEOUT)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def browser(chromium) -> Iterator[object]:
    """The session's Chromium, left on a blank page after each test: a page left open kept
    rendering for the rest of the session (the docs site or MLflow's UI): about two CPU minutes
    of an idle renderer and GPU process in `make test`."""
    yield chromium
    chromium.get("about:blank")


def wait_for(driver, condition, what: str):
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, TIMEOUT, poll_frequency=0.2).until(condition)
    except TimeoutException:
        pytest.fail(f"timed out after {TIMEOUT}s waiting for {what} ({driver.current_url})", False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(command: list[str], health: str, log: Path, **popen) -> Iterator[None]:
    """A local server (MLflow's, Airflow's) started for a test: returns once `health` answers,
    names its log's tail if it exits or stays silent for 120 s, and stops it afterwards."""
    with log.open("w") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, **popen)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(health, timeout=2):
                    break
            except OSError:
                if server.poll() is not None:
                    pytest.fail(f"{command[0]} exited:\n{log.read_text()[-2000:]}", False)
                time.sleep(0.5)
        else:
            pytest.fail(f"{command[0]} did not answer in 120 s:\n{log.read_text()[-2000:]}", False)
        yield
    finally:
        server.terminate()
        server.wait(timeout=30)
