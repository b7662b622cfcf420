"""loyalty_daily run by Airflow itself (`airflow dags test`, the scheduler's own task runner,
against a SQLite metadata DB) over a small lake, day after day: three days equal a full
refresh; a day whose export never lands fails at the sensor and touches nothing; a day with a
conflicting member version fails that model's test task, stops the models after it (they keep
the previous day's state) and lets the rest of the project build. `make airflow-test`."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import closing
from datetime import date
from pathlib import Path

import duckdb
import pytest

from loyalty_bench.scale import differing_rows
from loyalty_datagen import GeneratorConfig, append_days, generate
from tests.conftest import ROOT
from tests.integration.conftest import (
    DBT,
    SCREENSHOTS,
    InProcessDbt,
    copy_warehouse,
    dbt_env,
    free_port,
    light_specs,
    serving,
    wait_for,
)

pytestmark = pytest.mark.airflow

AIRFLOW = ROOT / ".venv-airflow" / "bin" / "airflow"
COMMANDS = [str(AIRFLOW.with_name("python")), str(Path(__file__).with_name("airflow_commands.py"))]
ML = str(Path(DBT).with_name("ml"))
# the default seeds' two years: enough labelled cutoffs to train both shipped specs
CONFIG = GeneratorConfig(members=400, months=24, start=date(2024, 1, 1))
BUILT_THROUGH = "2025-12-20"
DAYS = ["2025-12-21", "2025-12-22", "2025-12-23"]
LATE = "2025-12-24"  # not in the lake when its run starts
SCHEMAS = ("main_staging", "main_marts", "main_ml")
SPECS = ("churn", "points_next_90d")
DAILY_DONE = ("--mark-success-pattern", "^daily_build_done$")
# The days before the last load and build, model by model; scoring, the scored marts and the
# docs (a minute a day of CLI and dbt start-ups) run on the last day, and the runs of the
# later tests show them stopped by a missing export or a failing test.
BUILD_ONLY = ("--mark-success-pattern", "^(ml_score|scored_marts|docs)$")


def _through(day: str) -> list[str]:
    return ["--vars", json.dumps({"raw_layer": "lake", "raw_extracted_through": f"{day} 02:00:00"})]


class Replay:
    """The world one Airflow deployment sees: a lake, a warehouse, an MLflow store, a home."""

    def __init__(self, tmp: Path):
        self.tmp, self.lake, self.meta = tmp, tmp / "lake", tmp / "meta"
        self.warehouse = tmp / "warehouse.duckdb"
        self.monthly: tuple[int, dict[str, str]] = (-1, {})
        self.dbt: InProcessDbt | None = None  # the test's own dbt calls, on one parse
        self.commands: subprocess.Popen | None = None  # Airflow's CLI, one process (below)
        self.env = {
            **dbt_env(self.warehouse, tmp / "target"),
            "LOYALTY_LAKE": str(self.lake),
            "MLFLOW_TRACKING_URI": f"sqlite:///{tmp}/mlflow.db",
            "LOYALTY_REPORTS": str(tmp / "reports"),
            "LOYALTY_SPECS": str(light_specs(tmp / "specs", SPECS)),
            "AIRFLOW_HOME": str(tmp / "airflow"),
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "orchestration" / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{tmp}/airflow/airflow.db",
            "LOYALTY_EXPORT_TIMEOUT_SECONDS": "3",
            "LOYALTY_EXPORT_POKE_SECONDS": "1",
            "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",  # as the Makefile sets it
        }

    def airflow(self, log: Path, *args: str) -> int:
        """`airflow ARGS`, its output in `log`: the CLI's own command, run by one process of
        the Airflow venv for the whole module (airflow_commands.py: a start of Airflow and of
        its execution API is about 17 s, and the module runs seven commands)."""
        if self.commands is None:
            self.commands = subprocess.Popen(
                COMMANDS, env=self.env, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                text=True,
            )  # fmt: skip
        assert self.commands.stdin and self.commands.stdout
        self.commands.stdin.write(json.dumps({"args": args, "log": str(log)}) + "\n")
        self.commands.stdin.flush()
        answer = self.commands.stdout.readline()
        assert answer, f"the Airflow process ended: {log.read_text()[-3000:]}"
        return json.loads(answer)["code"]

    def close(self) -> None:
        if self.commands is not None:
            self.commands.communicate(timeout=60)  # stdin closed: it ends

    def run_day(self, day: str, dag: str = "loyalty_daily", *flags: str):
        """One DAG run for the day; its exit code and every task's final state."""
        code = self.airflow(self.tmp / f"{dag}-{day}.log", "dags", "test", dag, day, *flags)
        return code, self.states(dag, day)

    def states(self, dag: str, day: str) -> dict[str, str]:
        """Every task's state in the run of `day`, a mapped task's instances as task[0],
        task[1]...: read from the metadata DB (the CLI's states-for-dag-run takes 8 s to start)."""
        db = self.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].removeprefix("sqlite:///")
        with closing(sqlite3.connect(db)) as con:
            rows = con.execute(
                "select ti.task_id, ti.map_index, ti.state from task_instance ti join dag_run dr "
                "on dr.dag_id = ti.dag_id and dr.run_id = ti.run_id "
                "where dr.dag_id = ? and date(dr.logical_date) = ?",
                (dag, day),
            ).fetchall()
        assert rows, f"no run of {dag} for {day}"
        return {task + ("" if index < 0 else f"[{index}]"): state for task, index, state in rows}


@pytest.fixture(scope="module")
def replay(tmp_path_factory) -> Iterator[Replay]:
    if not AIRFLOW.exists():
        pytest.fail("no Airflow venv: run `make airflow-test` (it installs .venv-airflow)", False)
    world = Replay(tmp_path_factory.mktemp("airflow_replay"))
    last = date.fromisoformat(DAYS[-1])
    generate(CONFIG, None, world.meta, out_lake=world.lake, lake_through=last)
    with pytest.MonkeyPatch.context() as env:
        world.dbt = InProcessDbt(world.env, env, parse_vars="{raw_layer: lake}")
        world.dbt(["seed", "-s", "ref_br_national_holidays"])
        # the models up to the first replayed day (its data tests run in every day's build)
        world.dbt(["run", *_through(BUILT_THROUGH)])
        migrated = world.tmp / "migrate.log"
        assert world.airflow(migrated, "db", "migrate") == 0, migrated.read_text()[-2000:]
        # the champions the daily runs score with come from loyalty_monthly itself; the build
        # it waits for was the one above, by hand (the sensor is marked done)
        world.monthly = world.run_day(BUILT_THROUGH, "loyalty_monthly", *DAILY_DONE)
        try:
            yield world
        finally:
            world.close()


def _tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    return con.execute(
        "select table_schema, table_name from information_schema.tables "
        f"where table_type = 'BASE TABLE' and table_schema in {SCHEMAS} order by all"
    ).fetchall()


def _dbt_models() -> set[str]:
    manifest = json.loads((ROOT / "target" / "manifest.json").read_text())
    return {n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "model"}


def test_three_days_equal_a_full_refresh_and_every_model_task_succeeds(replay, tmp_path):
    for day in DAYS:
        code, states = replay.run_day(
            day, "loyalty_daily", *([] if day == DAYS[-1] else BUILD_ONLY)
        )
        failed = {t: s for t, s in states.items() if s != "success"}
        assert code == 0 and not failed, (day, failed)
        for model in _dbt_models():  # a task per model, each one ran
            assert states.get(f"dbt.{model}.run", states.get(f"dbt.{model}_run")) == "success"
        assert states["ml_score[0]"] == states["ml_score[1]"] == "success"
    log = (replay.tmp / f"loyalty_daily-{DAYS[-1]}.log").read_text()
    assert "Marking success" not in log and log.count("ml score ") >= len(SPECS)  # ran, not marked

    full = copy_warehouse(replay.warehouse, tmp_path / "full")
    # the models only: the days ran the data tests
    replay.dbt.at(full, tmp_path / "target", ["run", "--full-refresh", *_through(DAYS[-1])])
    with duckdb.connect(str(full), read_only=True) as con:
        con.execute(f"attach '{replay.warehouse}' as daily (read_only)")
        tables = _tables(con)
        assert len(tables) > 20
        for schema, table in tables:  # doubles to 9 digits: sums follow the threads' order
            same = differing_rows(con, "daily", schema, table, float_digits=9) == (0, 0)
            assert same, (schema, table)


def test_monthly_trains_promotes_and_reports_every_spec(replay):
    code, states = replay.monthly
    assert code == 0 and set(states.values()) == {"success"}, states
    mapped = {f"{task}[{i}]" for task in ("train", "promote", "report") for i in range(2)}
    assert mapped <= set(states)
    log = (replay.tmp / f"loyalty_monthly-{BUILT_THROUGH}.log").read_text()
    # a first version is its model's champion at once: the promotion has nothing to beat
    assert log.count("] no promotion (exit 6, reason above)") == len(SPECS)
    env = {**replay.env, "COLUMNS": "200"}  # one table row per model
    listed = subprocess.run([ML, "models", "list"], env=env, capture_output=True, text=True)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    for spec in SPECS:  # registered, champion, and the report task lists its PNGs in the log
        assert re.search(rf"{spec}\s+│\s+v1\s+│\s+champion", listed.stdout), listed.stdout
        pngs = sorted((replay.tmp / "reports" / spec).glob("*/*.png"))
        assert pngs and all(png.name in log for png in pngs), spec


def test_a_missing_export_fails_at_the_sensor_and_leaves_the_warehouse(replay):
    before = hashlib.sha256(replay.warehouse.read_bytes()).hexdigest()
    code, states = replay.run_day(LATE)
    assert code != 0
    assert states["wait_for_export"] == "failed"
    reports = {t for t in states if t.startswith("dbt.") and "producer_watcher" not in t}
    assert {states[t] for t in reports} == {"skipped"}  # nothing was built to report on
    others = set(states) - reports - {"wait_for_export", "model_specs"}  # it reads no data
    assert {states[t] for t in others} == {"upstream_failed"}
    log = (replay.tmp / f"loyalty_daily-{LATE}.log").read_text()
    assert f"export of {LATE} not complete yet" in log
    assert hashlib.sha256(replay.warehouse.read_bytes()).hexdigest() == before


def test_a_conflicting_version_stops_the_models_after_it_and_only_them(replay, tmp_path):
    append_days(replay.lake, replay.meta, 1)  # the export lands after all, with a bad row
    # a second file in the day's members partition: a member's old version re-sent, same
    # updated_at, another tier (the day may have no other member rows: the marker alone)
    members = replay.lake / "members" / f"extract_date={LATE}" / "part-9.parquet"
    earlier = sorted((replay.lake / "members").glob("extract_date=2024-03-*/*.parquet"))[0]
    with duckdb.connect() as con:
        con.execute(
            "copy (select * replace ('platinum' as tier, "
            f"'{LATE} 02:00:00' as extracted_at) from read_parquet('{earlier}', "
            "hive_partitioning = false) where tier <> 'platinum' limit 1) "
            f"to '{tmp_path / 'members.parquet'}' (format parquet)"
        )
    shutil.move(tmp_path / "members.parquet", members)
    before = tmp_path / "before.duckdb"
    shutil.copy(replay.warehouse, before)

    code, states = replay.run_day(LATE)
    assert code != 0
    assert states["dbt.stg_loyalty__member_versions.test"] == "failed"
    manifest = json.loads((ROOT / "target" / "manifest.json").read_text())
    downstream, frontier = set(), ["model.loyalty.stg_loyalty__member_versions"]
    while frontier:
        for child in manifest["child_map"][frontier.pop()]:
            if child.startswith("model.") and child not in downstream:
                downstream.add(child)
                frontier.append(child)
    names = {manifest["nodes"][c]["name"] for c in downstream}
    assert {"dim_member", "ml_member_features"} <= names
    for name in names:
        task = f"dbt.{name}.run" if f"dbt.{name}.run" in states else f"dbt.{name}_run"
        assert states[task] == "upstream_failed", name
    assert states["ml_score"] == "upstream_failed"
    assert states["dbt.base_loyalty__transactions.run"] == "success"  # the rest still built

    with duckdb.connect(str(replay.warehouse), read_only=True) as con:
        con.execute(f"attach '{before}' as before (read_only)")
        located = {table: schema for schema, table in _tables(con)}
        kept = [name for name in names if name in located]  # views read the tables checked
        assert len(kept) >= 5
        for name in kept:
            assert differing_rows(con, "before", located[name], name) == (0, 0), name
        day_rows = con.execute(
            "select count(*) from main_staging.base_loyalty__transactions "
            f"where extracted_at >= timestamp '{LATE} 00:00:00'"
        ).fetchall()[0][0]
        assert day_rows > 0


@pytest.fixture(scope="module")
def airflow_ui(replay) -> Iterator[str]:
    """Airflow's API server and UI over the replay's metadata DB, on loopback, as `make
    airflow` serves it (without the scheduler: the runs are already there)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **replay.env,
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": url,
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",  # a test: no login page
    }
    assert replay.airflow(replay.tmp / "reserialize.log", "dags", "reserialize") == 0
    command = [str(AIRFLOW), "api-server", "--port", str(port)]
    log = replay.tmp / "api-server.log"
    with serving(command, f"{url}/api/v2/monitor/health", log, env=env, cwd=ROOT):
        yield url


def test_the_ui_shows_the_daily_dag_with_a_task_per_model(airflow_ui, browser):
    from selenium.webdriver.common.by import By

    browser.get(f"{airflow_ui}/dags/loyalty_daily")
    body = "the DAG's page with its tasks"
    wait_for(browser, lambda d: "wait_for_export" in d.find_element(By.TAG_NAME, "body").text, body)
    browser.find_element(By.CSS_SELECTOR, "[aria-label^='Show Graph']").click()
    nodes = (By.CSS_SELECTOR, ".react-flow__node")
    # the top level: sensor, freshness, the dbt group, specs, scoring, scored marts, docs
    wait_for(browser, lambda d: len(d.find_elements(*nodes)) >= 7, "the graph's nodes")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    time.sleep(1)  # the graph fits itself to the window once laid out
    assert browser.save_screenshot(str(SCREENSHOTS / "airflow_loyalty_daily_graph.png"))
    browser.find_element(By.CSS_SELECTOR, "[aria-label='Expand all task groups']").click()
    models = len(_dbt_models())
    wait_for(browser, lambda d: len(d.find_elements(*nodes)) > models, "a node per dbt model")
    time.sleep(1)
    assert browser.save_screenshot(str(SCREENSHOTS / "airflow_loyalty_daily_graph_models.png"))
    # what the page lists, through the UI's own API: a run and a test task for every model
    tasks = browser.execute_async_script(
        "const done = arguments[0];"
        "fetch('/api/v2/dags/loyalty_daily/tasks').then(r => r.json())"
        ".then(j => done(j.tasks.map(t => t.task_id)));"
    )
    for model in _dbt_models():
        assert f"dbt.{model}.run" in tasks or f"dbt.{model}_run" in tasks, model
    assert {"wait_for_export", "source_freshness", "ml_score", "docs"} <= set(tasks)
