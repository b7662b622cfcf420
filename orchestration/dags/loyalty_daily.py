"""loyalty_daily: one run per export day (logical date = extract date), the way the data team
runs the platform every morning (docs/orchestration.md).

wait_for_export -> source_freshness -> dbt (one task per model, its tests after it, bounded to
the day through `raw_extracted_through`) -> ml_score (one mapped task per spec) -> scored_marts
-> docs. A failing test stops that model's downstream tasks, not the whole DAG. Every task that
writes the warehouse takes the warehouse pool (one slot on DuckDB: one writer per file).
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import CronTriggerTimetable, dag, task
from cosmos import (
    DbtTaskGroup,
    ExecutionConfig,
    LoadMode,
    ProfileConfig,
    ProjectConfig,
    RenderConfig,
    TestBehavior,
)
from cosmos.constants import PRODUCER_WATCHER_TASK_ID, ExecutionMode, InvocationMode

import loyalty_settings as s

DAY = "{{ ds }}"
# The export of day D is stamped D 02:00: the build reads every extract up to it, no later.
DBT_VARS = {"raw_layer": "lake", "raw_extracted_through": f"{DAY} 02:00:00"}
VARS_FLAG = f"--vars '{{raw_layer: lake, raw_extracted_through: \"{DAY} 02:00:00\"}}'"
# The profile and target as cosmos names them: dbt parses the project again in full when the
# vars, --profile or --target differ from the last parse (about 16 s), so the day's freshness
# check parses and the build, the scored marts and the docs reuse it
PROFILE_FLAGS = f"--profile loyalty --target {s.DBT_TARGET}"
# Transient trouble (a lock held a moment too long, a network blip) is retried with backoff;
# dbt tasks are not: a failing data test or model fails the same way on every try.
# (Airflow 3.3: the backoff is a multiplier of the delay, 2.0 doubles it at each try)
RETRIES = {"retries": 2, "retry_delay": timedelta(minutes=1), "retry_exponential_backoff": 2.0}


def dbt_step(task_id: str, args: str) -> BashOperator:
    """A dbt command of the project's own venv that writes the warehouse."""
    return BashOperator(
        task_id=task_id,
        bash_command=f"{s.DBT} {args} {PROFILE_FLAGS}",
        cwd=str(s.PROJECT_DIR),
        env=s.dbt_env(),
        append_env=True,
        pool=s.WAREHOUSE_POOL,
    )


def dbt_models() -> DbtTaskGroup:
    """The dbt project as one task group per model: `run`, then `test`, rendered by cosmos
    from the manifest (no dbt at parse time), bounded to the day by its vars.

    Watcher mode (default, `LOYALTY_COSMOS_MODE`): one `dbt build` of the day (the producer)
    does the work, and each model's tasks report what dbt did to it. Local mode: a dbt process
    per task, so about 4.5 s of start-up each (docs/orchestration.md has the figures)."""
    watcher = s.COSMOS_MODE == "watcher"
    group = DbtTaskGroup(
        group_id="dbt",
        project_config=ProjectConfig(
            dbt_project_path=s.PROJECT_DIR,
            manifest_path=s.MANIFEST,
            install_dbt_deps=False,  # no packages; dbt hub is not reachable anyway
            dbt_vars=DBT_VARS,
            env_vars=s.dbt_env(),
        ),
        profile_config=ProfileConfig(
            profile_name="loyalty",  # as PROFILE_FLAGS names it
            target_name=s.DBT_TARGET,
            profiles_yml_filepath=s.PROJECT_DIR / "profiles.yml",
        ),
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.WATCHER if watcher else ExecutionMode.LOCAL,
            invocation_mode=InvocationMode.SUBPROCESS,
            dbt_executable_path=s.DBT,
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            test_behavior=TestBehavior.AFTER_EACH,
            # a test over several models (reconciliation, relationships) gets a task of its
            # own after all of them, instead of counting against the first one built
            should_detach_multiple_parents_tests=True,
            # the lake is the raw layer: of the seeds only the reference one (the holiday
            # calendar, schema `reference`) is built, the raw extracts' are not; unit tests
            # mock the raw seeds and belong to CI (docs/lake.md)
            exclude=["config.schema:raw"],
            emit_datasets=False,
        ),
        operator_args={
            "pool": s.WAREHOUSE_POOL,
            "retries": 0,  # a model or data test fails the same way on every try
            "dbt_cmd_flags": ["--exclude", "test_type:unit"],
            # the model tasks poke for their result instead of holding a triggerer
            **({"deferrable": False, "mode": "reschedule", "poke_interval": 5} if watcher else {}),
        },
    )
    if watcher:
        _report_after_the_build(group)
    return group


def _report_after_the_build(group: DbtTaskGroup) -> None:
    """Only the producer writes the warehouse: it keeps the pool, the model tasks leave it.
    They start once it has run, whatever its result (dbt build exits 1 on any failing test,
    and each model's task must still say whether it was that model): trigger rule one_done.
    If it never ran (the export never came), they are skipped instead of waiting for it."""
    producer = group.get_child_by_label(PRODUCER_WATCHER_TASK_ID)
    _own_results_for_detached_tests(producer)
    for node in group.iter_tasks():
        if node is producer or node.task_id.endswith(f"{PRODUCER_WATCHER_TASK_ID}_done"):
            continue
        node.pool = "default_pool"
        if not any(up.startswith(f"{group.group_id}.") for up in node.upstream_task_ids):
            node.trigger_rule = "one_done"
            producer >> node


def _own_results_for_detached_tests(producer) -> None:
    """Cosmos 1.15's producer reports each test to every model it reads, and reports nothing
    under a detached test's own name: a test over several models that dbt skipped (one of its
    models was skipped after a failure upstream) then fails each of its other models' test
    tasks, and the detached task waits forever. So: a model's test task counts the tests over
    that model alone, and a detached test its own result (checked by orchestration/tests)."""
    per_model: dict[str, list[str]] = producer.tests_per_model
    parents = Counter(t for tests in per_model.values() for t in tests)
    shared = {t for t, n in parents.items() if n > 1}
    own = {m: [t for t in tests if t not in shared] for m, tests in per_model.items()}
    producer.tests_per_model = {m: t for m, t in own.items() if t} | {t: [t] for t in shared}


@dag(
    dag_id="loyalty_daily",
    description="Daily export -> dbt model by model -> ml score -> scored marts and docs",
    schedule=CronTriggerTimetable("0 3 * * *", timezone="UTC"),
    start_date=pendulum.datetime(2024, 1, 2, tz="UTC"),
    catchup=False,  # history is replayed on purpose: `airflow backfill create` (docs)
    max_active_runs=1,  # days load in order: an incremental day builds on the one before
    default_args={"owner": "data-platform", **RETRIES},
    tags=["loyalty", "dbt", "ml"],
    doc_md=__doc__,
)
def loyalty_daily():
    @task.sensor(
        mode="reschedule",
        poke_interval=s.EXPORT_POKE,
        timeout=s.EXPORT_TIMEOUT,
        retries=0,  # a timeout is the answer: the export did not come
    )
    def wait_for_export(ds: str | None = None) -> bool:
        """True once every raw table's partition of the day holds its export marker."""
        missing = s.missing_exports(ds)
        if missing:
            print(f"export of {ds} not complete yet; waiting for: {', '.join(missing)}")
        return not missing

    @task.bash(pool=s.WAREHOUSE_POOL, cwd=str(s.PROJECT_DIR), env=s.dbt_env(), append_env=True)
    def source_freshness(ds: str | None = None) -> str:
        """The raw layer's freshness; a replayed past day is old by definition: reported only."""
        command = f"{s.DBT} source freshness -s source:loyalty {VARS_FLAG} {PROFILE_FLAGS}"
        age = pendulum.now("UTC").date() - pendulum.parse(ds).date()
        if age.days > s.REPLAY_AFTER_DAYS:
            return f"{command} || echo 'replay of the export of {ds}: freshness not enforced'"
        return command

    dbt = dbt_models()

    @task
    def model_specs() -> list[str]:
        return sorted(p.stem for p in s.SPECS_DIR.glob("*.yml"))

    @task.bash(pool=s.WAREHOUSE_POOL, env=s.ml_env(), append_env=True)
    def ml_score(spec: str) -> str:
        return f"{s.ML} score {spec}"

    scored_marts = dbt_step(
        "scored_marts", f"build -s source:ml_scores+ --exclude test_type:unit {VARS_FLAG}"
    )
    docs = dbt_step("docs", f"docs generate --static {VARS_FLAG}")

    scores = ml_score.expand(spec=model_specs())
    wait_for_export() >> source_freshness() >> dbt >> scores >> scored_marts >> docs


loyalty_daily()
