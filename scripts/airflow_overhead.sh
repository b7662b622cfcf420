#!/usr/bin/env bash
# The orchestration overhead of docs/orchestration.md: one export day of the default seeds' lake
# (2025-12-21) as a plain `dbt build`, as the same work by hand, and as `loyalty_daily` through
# `airflow dags test`, in a scratch folder (/tmp/ov). Needs make install and make install-airflow.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf /tmp/ov && mkdir -p /tmp/ov
export LOYALTY_DUCKDB_PATH=/tmp/ov/wh.duckdb LOYALTY_LAKE=/tmp/ov/lake DBT_TARGET_PATH=/tmp/ov/t \
       MLFLOW_TRACKING_URI=sqlite:////tmp/ov/mlflow.db LOYALTY_REPORTS=/tmp/ov/reports LOYALTY_ML_THREADS=1
.venv/bin/python -c "from datetime import date; from pathlib import Path; \
  from loyalty_datagen import GeneratorConfig, generate; generate(GeneratorConfig(), None, \
  Path('/tmp/ov/meta'), out_lake=Path('/tmp/ov/lake'), lake_through=date(2025, 12, 21))"
.venv/bin/dbt --quiet seed -s ref_br_national_holidays
.venv/bin/dbt --quiet build --exclude test_type:unit --vars '{raw_layer: lake, raw_extracted_through: "2025-12-20 02:00:00"}'
.venv/bin/ml train churn > /dev/null && .venv/bin/ml train points_next_90d > /dev/null
cp /tmp/ov/wh.duckdb /tmp/ov/before.duckdb
s=$(date +%s.%N)
.venv/bin/dbt --quiet build --exclude test_type:unit --vars '{raw_layer: lake, raw_extracted_through: "2025-12-21 02:00:00"}'
e=$(date +%s.%N); echo "plain dbt build of the day: $(echo "$e - $s" | bc) s"
.venv/bin/dbt --quiet source freshness -s source:loyalty --vars '{raw_layer: lake, raw_extracted_through: "2025-12-21 02:00:00"}' > /dev/null || true
.venv/bin/ml score churn > /dev/null && .venv/bin/ml score points_next_90d > /dev/null
.venv/bin/dbt --quiet build -s source:ml_scores+ --exclude test_type:unit --vars '{raw_layer: lake, raw_extracted_through: "2025-12-21 02:00:00"}'
.venv/bin/dbt --quiet docs generate --static --vars '{raw_layer: lake, raw_extracted_through: "2025-12-21 02:00:00"}'
e=$(date +%s.%N); echo "the same work by hand (freshness, build, scores, scored marts, docs): $(echo "$e - $s" | bc) s"
cp /tmp/ov/before.duckdb /tmp/ov/wh.duckdb
export AIRFLOW_HOME=/tmp/ov/airflow AIRFLOW__CORE__DAGS_FOLDER=$PWD/orchestration/dags \
  AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=sqlite:////tmp/ov/airflow/airflow.db AIRFLOW__CORE__LOAD_EXAMPLES=False \
  AIRFLOW__COSMOS__ENABLE_TELEMETRY=False
mkdir -p /tmp/ov/airflow && .venv-airflow/bin/airflow db migrate > /dev/null 2>&1
s=$(date +%s.%N)
.venv-airflow/bin/airflow dags test loyalty_daily 2025-12-21 > /tmp/ov/dag.log 2>&1 || echo "DAG FAILED"
e=$(date +%s.%N); echo "loyalty_daily: $(echo "$e - $s" | bc) s"
python3 - <<'PY'
import sqlite3
c = sqlite3.connect("/tmp/ov/airflow/airflow.db")
print(c.execute("select state, count(*) from task_instance group by state").fetchall())
PY
