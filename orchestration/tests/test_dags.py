"""The DAGs as the scheduler loads them: one task per dbt model with its tests after it, every
writer of the warehouse in its pool, and a sensor that waits for the whole day's export."""

from __future__ import annotations

import importlib
import json
import os
from datetime import timedelta

import pytest
from airflow.dag_processing.dagbag import DagBag

import loyalty_settings as settings

WRITERS = {"source_freshness", "ml_score", "scored_marts", "docs"}
PRODUCER = "dbt.dbt_producer_watcher"


def _load(mode: str) -> DagBag:
    """The DAG folder as the scheduler parses it, with the cosmos mode the workers set."""
    os.environ["LOYALTY_COSMOS_MODE"] = mode
    try:
        importlib.reload(settings)
        bag = DagBag(dag_folder=str(settings.PROJECT_DIR / "orchestration" / "dags"))
    finally:
        os.environ.pop("LOYALTY_COSMOS_MODE")
        importlib.reload(settings)
    assert bag.import_errors == {}
    return bag


@pytest.fixture(scope="module", params=["watcher", "local"])
def bag(request) -> DagBag:
    return _load(request.param)


@pytest.fixture(scope="module")
def daily(bag):
    return bag.dags["loyalty_daily"]  # get_dag would read the metadata DB


def _watcher(dag) -> bool:
    return PRODUCER in dag.task_dict


def _models_and_tested() -> tuple[set[str], set[str]]:
    manifest = json.loads(settings.MANIFEST.read_text())
    nodes = manifest["nodes"].values()
    models = {n["name"] for n in nodes if n["resource_type"] == "model"}
    tested = {
        manifest["nodes"][parent]["name"]
        for n in nodes
        if n["resource_type"] == "test"
        for parent in n["depends_on"]["nodes"]
        if parent.startswith("model.")
    }
    return models, tested


def test_every_model_is_a_task_and_its_tests_run_after_it(daily):
    models, tested = _models_and_tested()
    ids = {t.task_id for t in daily.tasks}
    for model in models:
        if model in tested:
            run, test = daily.get_task(f"dbt.{model}.run"), daily.get_task(f"dbt.{model}.test")
            assert test.task_id in run.downstream_task_ids, model
        else:
            assert f"dbt.{model}_run" in ids, model
    seeds = {"dbt.ref_br_national_holidays_seed"}
    dbt_tasks = {i for i in ids if i.startswith("dbt.")} - {PRODUCER, f"{PRODUCER}_done"} - seeds
    # tests over several models run in a task of their own, after all of them
    detached = dbt_tasks - {f"dbt.{m}.{k}" for m in tested for k in ("run", "test")}
    detached -= {f"dbt.{m}_run" for m in models}
    assert len(detached) > 20 and all(t.endswith("_test") for t in detached)
    for task_id in detached:
        assert len(daily.get_task(task_id).upstream_task_ids) >= 2
    # a model's downstream models wait for its tests: a failing test stops them
    manifest = json.loads(settings.MANIFEST.read_text())
    pairs = [
        (manifest["nodes"][parent]["name"], manifest["nodes"][child]["name"])
        for parent, children in manifest["child_map"].items()
        if parent.startswith("model.") and manifest["nodes"][parent]["name"] in tested
        for child in children
        if child.startswith("model.")
    ]
    assert len(pairs) > 30
    for parent, child in pairs:
        first = f"dbt.{child}.run" if child in tested else f"dbt.{child}_run"
        assert first in daily.get_task(f"dbt.{parent}.test").downstream_task_ids, (parent, child)


def test_each_test_task_reports_its_own_tests(daily):
    """The watcher's producer counts a model's own tests for its test task, and a detached
    test's result under its own name (else that task would wait forever)."""
    if not _watcher(daily):
        pytest.skip("local mode: each test task runs its own dbt test")
    per_model = daily.get_task(PRODUCER).tests_per_model
    counted = [t for tests in per_model.values() for t in tests]
    assert len(counted) == len(set(counted))  # no test counts against two tasks
    detached = [t for t in daily.task_ids if t.startswith("dbt.") and t.endswith("_test")]
    for task_id in detached:
        test = daily.get_task(task_id).model_unique_id
        assert per_model[test] == [test], task_id
    for task_id in (t for t in daily.task_ids if t.endswith(".test")):
        model = daily.get_task(task_id).model_unique_id
        assert per_model[model] and all(t not in per_model for t in per_model[model]), task_id


def test_the_day_bounds_the_build_and_unit_tests_stay_in_ci(daily):
    runs_dbt = PRODUCER if _watcher(daily) else "dbt.stg_loyalty__members.run"
    run = daily.get_task(runs_dbt)
    assert run.vars == {
        "raw_layer": "lake",
        "raw_extracted_through": "{{ ds }} 02:00:00",
    }
    assert "test_type:unit" in run.dbt_cmd_flags
    assert run.retries == 0  # a model or data test fails the same way on every try


def test_every_writer_of_the_warehouse_takes_the_pool(daily):
    watcher = _watcher(daily)
    for task in daily.tasks:
        dbt_writer = task.task_id == PRODUCER if watcher else task.task_id.startswith("dbt.")
        if dbt_writer or task.task_id in WRITERS:
            assert task.pool == settings.WAREHOUSE_POOL, task.task_id
        else:  # the sensor, and in watcher mode the tasks that report on the build
            assert task.pool != settings.WAREHOUSE_POOL, task.task_id
    assert daily.max_active_runs == 1


def test_the_model_tasks_report_on_the_build_whatever_its_result(daily):
    if not _watcher(daily):
        pytest.skip("local mode: each model task runs dbt itself")
    producer = daily.get_task(PRODUCER)
    first = [daily.get_task(t) for t in producer.downstream_task_ids if not t.endswith("_done")]
    assert first and all(t.trigger_rule == "one_done" for t in first)
    assert "dbt.base_loyalty__members.run" in producer.downstream_task_ids
    assert producer.upstream_task_ids == {"source_freshness"}


def test_of_the_seeds_only_the_reference_calendar_is_built(daily):
    """The lake is the raw layer: loading the raw extracts' seeds would mix two sources."""
    seeds = {t for t in daily.task_dict if t.startswith("dbt.") and t.endswith("_seed")}
    assert seeds == {"dbt.ref_br_national_holidays_seed"}
    if _watcher(daily):
        assert daily.get_task(PRODUCER).exclude == "config.schema:raw"


def test_the_export_sensor_reschedules_and_gives_up(daily):
    sensor = daily.get_task("wait_for_export")
    assert sensor.mode == "reschedule"
    assert sensor.timeout == settings.EXPORT_TIMEOUT and sensor.retries == 0
    assert daily.get_task("source_freshness").task_id in sensor.downstream_task_ids
    assert timedelta(seconds=sensor.poke_interval) <= timedelta(hours=1)


def test_a_day_is_complete_only_with_every_tables_marker(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "LAKE", tmp_path)
    tables = settings.raw_tables()
    assert "transactions" in tables and len(tables) >= 9
    assert settings.missing_exports("2024-06-28") == tables
    for table in tables[:-1]:
        folder = tmp_path / table / "extract_date=2024-06-28"
        folder.mkdir(parents=True)
        (folder / "part-0.parquet").touch()
        (folder / settings.EXPORT_MARKER).touch()
    # the last table's file is there, its marker not yet: still writing
    last = tmp_path / tables[-1] / "extract_date=2024-06-28"
    last.mkdir(parents=True)
    (last / "part-0.parquet").touch()
    assert settings.missing_exports("2024-06-28") == [tables[-1]]
    (last / settings.EXPORT_MARKER).touch()
    assert settings.missing_exports("2024-06-28") == []
    assert settings.missing_exports("2024-06-29") == tables


def test_scoring_is_mapped_over_the_specs(daily):
    score = daily.get_task("ml_score")
    assert "model_specs" in score.upstream_task_ids
    assert sorted(p.stem for p in settings.SPECS_DIR.glob("*.yml")) == ["churn", "points_next_90d"]


def test_no_secret_of_the_workers_environment_is_in_a_dag(bag):
    from airflow.serialization.serialized_objects import DagSerialization
    from conftest import SECRET

    for dag in bag.dags.values():
        assert SECRET not in json.dumps(DagSerialization.to_dict(dag), default=str), dag.dag_id
    run = bag.dags["loyalty_daily"].get_task("dbt.stg_loyalty__members.run")
    assert run.append_env and "LOYALTY_PII_SALT" not in run.env  # inherited at run time only


def test_the_monthly_dag_retrains_then_promotes_on_evidence(bag):
    monthly = bag.dags["loyalty_monthly"]
    train, promote, report = (monthly.get_task(t) for t in ("train", "promote", "report"))
    assert promote.task_id in train.downstream_task_ids
    assert report.task_id in promote.downstream_task_ids
    assert "model_specs" in train.upstream_task_ids
    sensor = monthly.get_task("daily_build_done")
    assert sensor.external_dag_id == "loyalty_daily" and sensor.mode == "reschedule"
    for task in (train, promote, report):
        assert task.pool == settings.WAREHOUSE_POOL
        assert task.partial_kwargs["env"]["LOYALTY_ML_THREADS"] == settings.ML_THREADS == "1"


@pytest.mark.parametrize(("exit_code", "succeeds"), [(0, True), (6, True), (3, False), (5, False)])
def test_a_refused_promotion_is_an_answer_not_a_failure(bag, tmp_path, exit_code, succeeds):
    import subprocess

    fake = tmp_path / "ml"
    fake.write_text(f"#!/bin/sh\nexit {exit_code}\n")
    fake.chmod(0o755)
    promote = bag.dags["loyalty_monthly"].get_task("promote")
    command = promote.python_callable("churn").replace(settings.ML, str(fake))
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True)
    assert (done.returncode == 0) is succeeds
    assert ("champion stays" in done.stdout) is (exit_code == 6)


def test_transient_failures_retry_with_a_growing_delay(daily):
    freshness = daily.get_task("source_freshness")
    assert freshness.retries == 2 and freshness.retry_exponential_backoff == 2.0
    assert daily.get_task("wait_for_export").retries == 0  # its timeout is the answer
