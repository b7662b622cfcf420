"""loyalty_monthly: on the first export of a month, retrain every spec as a challenger, let
the champion/challenger rule decide (`ml promote`: only strictly better on today's test
period), and report. Runs after that day's loyalty_daily has built the warehouse.

docs/orchestration.md; the rule itself: docs/ml.md (champion and challenger).
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.providers.standard.sensors.external_task import ExternalTaskSensor
from airflow.sdk import CronTriggerTimetable, dag, task

import loyalty_settings as s

ML_TASK = {
    # reads (and for promote, writes) the warehouse: one process at a time on DuckDB
    "pool": s.WAREHOUSE_POOL,
    "env": s.ml_env(),
    "append_env": True,
    "retries": 1,
    "retry_delay": timedelta(minutes=5),
}


@dag(
    dag_id="loyalty_monthly",
    description="First export of the month -> retrain every spec -> promote on evidence -> report",
    schedule=CronTriggerTimetable("0 6 1 * *", timezone="UTC"),
    start_date=pendulum.datetime(2024, 2, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "data-science"},
    tags=["loyalty", "ml"],
    doc_md=__doc__,
)
def loyalty_monthly():
    daily_done = ExternalTaskSensor(
        task_id="daily_build_done",
        external_dag_id="loyalty_daily",
        external_task_id=None,  # the whole run: the day's marts and scores are in place
        execution_delta=timedelta(hours=3),  # loyalty_daily runs at 03:00, this at 06:00
        mode="reschedule",
        poke_interval=600,
        timeout=12 * 3600,
    )

    @task
    def model_specs() -> list[str]:
        return sorted(p.stem for p in s.SPECS_DIR.glob("*.yml"))

    @task.bash(**ML_TASK)
    def train(spec: str) -> str:
        """A new version: a challenger (the first version of a model becomes its champion)."""
        return f"{s.ML} train {spec}"

    @task.bash(**ML_TASK)
    def promote(spec: str) -> str:
        """The challenger replaces the champion only if strictly better on today's test period;
        a refusal (exit 6) is an answer, not a failure."""
        kept = "echo 'no promotion (exit 6, reason above): the champion stays'"
        return f"{s.ML} promote {spec} || {{ [ $? -eq 6 ] && {kept}; }}"

    @task.bash(**ML_TASK)
    def report(spec: str) -> str:
        """The champion's report PNGs, listed in this task's log (the training run in MLflow
        holds the challenger's under report/)."""
        return f"{s.ML} report {spec} && ls -1 {s.REPORTS_DIR}/{spec}/*/*.png"

    specs = model_specs()
    trained = train.expand(spec=specs)
    promoted = promote.expand(spec=specs)
    reported = report.expand(spec=specs)
    daily_done >> specs
    trained >> promoted >> reported


loyalty_monthly()
