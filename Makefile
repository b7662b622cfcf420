# The two commands a newcomer needs: `make run` (build everything) and `make test`.
# Each creates .venv with pip on first use and installs the project into it.

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

export DBT_PROFILES_DIR := $(CURDIR)
export DBT_PROJECT_DIR  := $(CURDIR)
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export MLFLOW_DISABLE_TELEMETRY := true
# `mlflow server` starts a job runner by default (seven huey consumers, each importing MLflow:
# about 35 s of CPU) for features the project does not use (GenAI evaluation, scorers)
export MLFLOW_SERVER_ENABLE_JOB_EXECUTION := false
# astronomer-cosmos calls home (scarf.sh) after every task it runs: over a hundred a day, each
# one a TLS handshake and, without network, a warning in the task's log
export AIRFLOW__COSMOS__ENABLE_TELEMETRY := False
# The embedded warehouse; DuckDB creates the file but not its folder.
export LOYALTY_DUCKDB_PATH ?= .warehouse/loyalty.duckdb
DBT := $(BIN)/dbt
# Every venv installs without byte-compiling what it installs: Python compiles a module when it
# is first imported and keeps the .pyc, and the tests import a fraction of what is installed.
# The project's venv took 130 s of CPU to install with compiling, 40 s without (docs/bench.md).
# That needs Python to keep what it compiles: these machines set PYTHONDONTWRITEBYTECODE, and
# with it every process compiled every module it imported again (ml commands 4x the CPU).
PIP_INSTALL := pip install --quiet --no-compile
unexport PYTHONDONTWRITEBYTECODE
# The test suites run beside each other on two cores: each one's fits and predictions take one
# BLAS/OpenMP thread (LOYALTY_ML_THREADS, ml/config.py), its dbt one model at a time and its
# DuckDB one thread, instead of all fighting over both cores. Threads bought no time beside
# three other jobs and cost CPU: a dbt build of the seeds took 38-41 s of CPU with 1 + 1 threads,
# 44-52 s with 4 + 2 (docs/bench.md).
SIDE_BY_SIDE := LOYALTY_ML_THREADS=1 LOYALTY_DBT_THREADS=1 LOYALTY_DUCKDB_THREADS=1

.PHONY: install run test lint unit integration seeds seeds-check docs docs-serve clean warehouse-dir browser bench \
	install-bigquery-emulator test-bigquery judges install-judges mlflow-ui integration-shared \
	install-airflow airflow airflow-test notebook \
	integration-own bigquery-after-lint airflow-after-lint own-after-lint

# The warehouse holds the raw extracts' clear PII: the project's own folder for it is
# owner-only (a folder given as an absolute path, /tmp say, is left as it is).
warehouse-dir:
	@mkdir -p $(dir $(LOYALTY_DUCKDB_PATH))
	@case "$(dir $(LOYALTY_DUCKDB_PATH))" in /*) ;; *) chmod 700 $(dir $(LOYALTY_DUCKDB_PATH)) ;; esac

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m $(PIP_INSTALL) --upgrade pip
	$(BIN)/python -m $(PIP_INSTALL) -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# The local BigQuery emulator lives in its own venv: it pins its own duckdb and sqlglot.
# pandas is there for DuckDB 1.5's sake, not crucible's: its executemany (the emulator's CSV load)
# imports pandas twice per value, and when pandas is missing each failed import searches every
# folder on sys.path: the load's inserts took twice as long (docs/bench.md).
BQ_VENV  := .venv-bq
BQ_STAMP := $(BQ_VENV)/.installed
CRUCIBLE_VERSION := 0.1.0a2

$(BQ_STAMP): Makefile
	@test -x $(BQ_VENV)/bin/python || $(PYTHON) -m venv $(BQ_VENV) || python3 -m venv $(BQ_VENV)
	$(BQ_VENV)/bin/python -m $(PIP_INSTALL) --upgrade pip
	$(BQ_VENV)/bin/python -m $(PIP_INSTALL) 'crucible-emulator[server]==$(CRUCIBLE_VERSION)' \
		'pandas>=2,<4'
	@touch $(BQ_STAMP)

install-bigquery-emulator: $(BQ_STAMP)

# Airflow and astronomer-cosmos (orchestration/, docs/orchestration.md) in their own venv: Airflow
# pins its own dependency tree. dbt and ml still run from .venv (cosmos calls $(DBT)).
AIRFLOW_VENV  := .venv-airflow
AIRFLOW_BIN   := $(AIRFLOW_VENV)/bin
AIRFLOW_STAMP := $(AIRFLOW_VENV)/.installed
AIRFLOW_PORT  ?= 8080
AIRFLOW_ENV   := AIRFLOW_HOME=$(CURDIR)/.airflow AIRFLOW__CORE__DAGS_FOLDER=$(CURDIR)/orchestration/dags \
	AIRFLOW__CORE__LOAD_EXAMPLES=False AIRFLOW__API__HOST=127.0.0.1 AIRFLOW__API__PORT=$(AIRFLOW_PORT) \
	AIRFLOW__API__BASE_URL=http://127.0.0.1:$(AIRFLOW_PORT) \
	AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=sqlite:///$(CURDIR)/.airflow/airflow.db

$(AIRFLOW_STAMP): requirements/airflow.txt
	@test -x $(AIRFLOW_BIN)/python || $(PYTHON) -m venv $(AIRFLOW_VENV) || python3 -m venv $(AIRFLOW_VENV)
	$(AIRFLOW_BIN)/python -m $(PIP_INSTALL) --upgrade pip
	$(AIRFLOW_BIN)/python -m $(PIP_INSTALL) -r requirements/airflow.txt
	@touch $(AIRFLOW_STAMP)

install-airflow: $(AIRFLOW_STAMP)

## airflow: a local Airflow (standalone: scheduler, API server and UI) on 127.0.0.1:AIRFLOW_PORT
## with the loyalty DAGs, metadata in .airflow/ (SQLite, git-ignored); prints how to log in
airflow: $(STAMP) $(AIRFLOW_STAMP) warehouse-dir
	$(DBT) --quiet parse
	@mkdir -p .airflow && chmod 700 .airflow
	@$(AIRFLOW_ENV) $(AIRFLOW_BIN)/airflow db migrate > .airflow/migrate.log
	@$(AIRFLOW_ENV) $(AIRFLOW_BIN)/airflow pools set loyalty_warehouse 1 \
		"one writer per DuckDB file" > /dev/null
	@echo "Airflow UI: http://127.0.0.1:$(AIRFLOW_PORT) - user admin, password in" \
		".airflow/simple_auth_manager_passwords.json.generated (written on first start)"
	$(AIRFLOW_ENV) $(AIRFLOW_BIN)/airflow standalone

## airflow-test: the DAGs load, render one task per dbt model and honour the pool and sensor
## rules (orchestration/tests, in the Airflow venv); then Airflow runs loyalty_daily day after
## day over a lake of its own (tests/integration/test_airflow_daily.py)
airflow-test: $(STAMP) $(AIRFLOW_STAMP) warehouse-dir
	$(DBT) --quiet parse
	$(AIRFLOW_BIN)/pytest orchestration/tests -q -p no:cacheprovider
	$(SIDE_BY_SIDE) $(BIN)/pytest -m airflow -q --durations=5

# The dbt project judges (dbt-score, dbt-bouncer, dbt-coverage) live in their own venv too:
# dbt-bouncer pins duckdb<2, the project duckdb>=2. They read the artifacts that the project's
# own dbt writes, so no dbt is installed there. Exact pins: requirements/judges.txt.
JUDGES_VENV  := .venv-judges
JUDGES_BIN   := $(JUDGES_VENV)/bin
JUDGES_STAMP := $(JUDGES_VENV)/.installed

$(JUDGES_STAMP): requirements/judges.txt
	@test -x $(JUDGES_BIN)/python || $(PYTHON) -m venv $(JUDGES_VENV) || python3 -m venv $(JUDGES_VENV)
	$(JUDGES_BIN)/python -m $(PIP_INSTALL) --upgrade pip
	$(JUDGES_BIN)/python -m $(PIP_INSTALL) -r requirements/judges.txt
	@touch $(JUDGES_STAMP)

install-judges: $(JUDGES_STAMP)

ML := $(BIN)/ml
MODELS := churn points_next_90d

## run: dbt build -> train both models -> score -> build the scored marts -> docs -> summary
run: $(STAMP) warehouse-dir seeds-check
	$(DBT) build
	@for m in $(MODELS); do $(ML) train $$m || exit $$?; done
	@for m in $(MODELS); do $(ML) score $$m || exit $$?; done
	$(DBT) build --select source:ml_scores+
	$(DBT) docs generate --static
	@$(ML) models list
	@echo "Warehouse: $(LOYALTY_DUCKDB_PATH). Docs: target/static_index.html or make docs"

## notebook: the course's CRISP-DM notebook (notebooks/crisp_dm.py, a jupytext script) run top
## to bottom on the warehouse and models `make run` built, into target/notebooks/crisp_dm.ipynb
notebook: $(STAMP)
	@mkdir -p target/notebooks
	$(BIN)/jupytext --to ipynb --output target/notebooks/crisp_dm.ipynb notebooks/crisp_dm.py
	$(BIN)/jupyter-execute --inplace target/notebooks/crisp_dm.ipynb
	@echo "Open target/notebooks/crisp_dm.ipynb (jupyter lab, VS Code), or notebooks/crisp_dm.py with jupytext"

## mlflow-ui: MLflow's UI on loopback over the tracking store (the embedded .mlflow/ unless
## MLFLOW_TRACKING_URI says otherwise): runs, their metrics and plots, versions and champions;
## one worker process (one user on loopback; MLflow's default of four each import MLflow)
MLFLOW_PORT ?= 5000
mlflow-ui: $(STAMP)
	$(BIN)/mlflow server --host 127.0.0.1 --port $(MLFLOW_PORT) --workers 1 \
		--backend-store-uri "$${MLFLOW_TRACKING_URI:-sqlite:///$(CURDIR)/.mlflow/mlflow.db}" \
		--default-artifact-root "$(CURDIR)/.mlflow/artifacts"

## test: after the installs, four jobs side by side: the integration tests on one real dbt
## build they share, from the start; after lint (with the dbt judges): the same project and
## ML CLI on the local BigQuery emulator; Airflow running the daily DAG (make airflow-test);
## the unit tests, then the integration tests that build a warehouse of their own (marker
## own_build). Each one's output is printed whole when it finishes (--output-sync).
## Times: docs/bench.md (make test).
test:
	@# the four venvs and the browser install side by side: each pip is mostly one core, and
	@# installed later, inside its job, each took a core from the tests already running
	@$(MAKE) --no-print-directory -j4 --output-sync=target $(STAMP) $(BQ_STAMP) \
		$(AIRFLOW_STAMP) $(JUDGES_STAMP) browser
	@$(MAKE) --no-print-directory seeds-check
	@echo "four jobs side by side (three after the linters); each prints when it finishes"
	@$(MAKE) --no-print-directory -j4 --output-sync=target integration-shared \
		bigquery-after-lint airflow-after-lint own-after-lint

# After the linters (about a minute and a half beside the shared suite): the emulator suite,
# Airflow's, and the unit tests with the integration tests that build a warehouse of their own.
# Four jobs on two cores end closer together than three: with the emulator and the own-build
# tests one after the other (the old second job) the last three minutes ran on one core.
# The shared suite is one process doing one thing at a time and the longest job: the other
# three yield to it a little (nice 2), or it ran its last minutes alone with a core idle.
AFTER_LINT := nice -n 2 $(MAKE) --no-print-directory
bigquery-after-lint: lint
	@$(AFTER_LINT) test-bigquery

airflow-after-lint: lint
	@$(AFTER_LINT) airflow-test

own-after-lint: lint
	@$(AFTER_LINT) unit
	@$(AFTER_LINT) integration-own

# Every seed CSV is UTF-8 with the header's number of fields, named by file and line if not
# (dbt itself stops every command with a traceback on a byte that is not UTF-8).
seeds-check: $(STAMP)
	$(BIN)/python -m loyalty_dbt.check_seeds seeds

# Headless Chromium for the docs-site test (Debian packages; skipped when already there).
browser:
	@scripts/install_chromium.sh

lint: $(STAMP) warehouse-dir
	$(BIN)/ruff check ml loyalty_dbt loyalty_datagen loyalty_bench tests scripts orchestration notebooks
	$(BIN)/ruff format --check ml loyalty_dbt loyalty_datagen loyalty_bench tests scripts orchestration notebooks
	@# against an empty warehouse, so every model lints as a full refresh whatever the dev
	@# warehouse holds (the dbt templater renders is_incremental() from the real database)
	rm -f $(dir $(LOYALTY_DUCKDB_PATH))lint.duckdb
	LOYALTY_DUCKDB_PATH=$(dir $(LOYALTY_DUCKDB_PATH))lint.duckdb $(BIN)/sqlfluff lint models tests/dbt
	@$(MAKE) --no-print-directory judges

## judges: the dbt project judges on an empty build of the project (docs/judges.md): dbt-score
## (thresholds in pyproject.toml) and dbt-bouncer (dbt-bouncer.yml) fail it; dbt-coverage's doc
## and column-test coverage are printed (reports in target/judges/coverage-*.json). The
## catalog needs the relations: seeds are loaded and every model built with zero rows
## (--empty), into a warehouse file of its own.
JUDGES_TARGET := target/judges
JUDGES_DUCKDB := $(dir $(LOYALTY_DUCKDB_PATH))judges.duckdb
judges: $(STAMP) $(JUDGES_STAMP) warehouse-dir
	rm -f $(JUDGES_DUCKDB)
	LOYALTY_DUCKDB_PATH=$(JUDGES_DUCKDB) $(DBT) --quiet build --empty --resource-type seed \
		--resource-type model --target-path $(JUDGES_TARGET)
	LOYALTY_DUCKDB_PATH=$(JUDGES_DUCKDB) $(DBT) --quiet docs generate --no-compile \
		--target-path $(JUDGES_TARGET)
	@rc=0; \
	echo "dbt-score (fails under: project 9.5, any item 9.0)"; \
	$(JUDGES_BIN)/dbt-score lint --manifest $(JUDGES_TARGET)/manifest.json --show failing-items \
		|| rc=1; \
	echo "dbt-bouncer (dbt-bouncer.yml)"; \
	COLUMNS=200 DBT_BOUNCER_DISABLE_CONF_CACHE=1 $(JUDGES_BIN)/dbt-bouncer run \
		--config-file dbt-bouncer.yml \
		--show-all-failures --output-file $(JUDGES_TARGET)/bouncer.json --output-only-failures \
		|| rc=1; \
	for cov in doc test; do \
		$(JUDGES_BIN)/dbt-coverage compute $$cov --run-artifacts-dir $(JUDGES_TARGET) \
			--cov-report $(JUDGES_TARGET)/coverage-$$cov.json > $(JUDGES_TARGET)/coverage-$$cov.txt \
			|| rc=1; \
		grep -E '^Total' $(JUDGES_TARGET)/coverage-$$cov.txt | sed "s/^Total/dbt-coverage $$cov:/"; \
	done; \
	echo "per model: $(JUDGES_TARGET)/coverage-doc.txt, $(JUDGES_TARGET)/coverage-test.txt"; \
	exit $$rc

unit: $(STAMP)
	$(BIN)/pytest -m "not integration and not bigquery and not airflow" -q

## integration: every integration test (both groups below, one after the other)
integration: $(STAMP) browser
	$(SIDE_BY_SIDE) $(BIN)/pytest -m integration -q --durations=12

integration-shared: $(STAMP) browser
	$(SIDE_BY_SIDE) $(BIN)/pytest -m "integration and not own_build" -q --durations=12

integration-own: $(STAMP) browser
	$(SIDE_BY_SIDE) $(BIN)/pytest -m "integration and own_build" -q --durations=5

## test-bigquery: seeds, build, the models again (merges), docs, ML train and score on the emulator,
## and its marts compared with DuckDB's (scripts/with_bigquery_emulator.sh starts and stops it)
test-bigquery: $(STAMP) $(BQ_STAMP) warehouse-dir
	PYTHON=$(BIN)/python $(SIDE_BY_SIDE) scripts/with_bigquery_emulator.sh \
		$(BIN)/pytest -m bigquery -q

## seeds: regenerate the committed raw extracts (deterministic: same seed, same bytes)
seeds: $(STAMP)
	$(BIN)/python -m loyalty_datagen --out-seeds seeds --out-meta data/datagen

## docs: write the docs site (target/static_index.html is self-contained) and serve it
docs: $(STAMP) warehouse-dir
	$(DBT) docs generate --static
	$(DBT) docs serve --port $${PORT:-8080}

docs-serve: docs

## bench: the warehouse at BENCH_SIZES members (generator, full refresh vs raw DuckDB,
## one incremental day and equivalence, raw loads, pandas baseline), then the ML models
## (training time and RSS, scoring vs bare predict) and the churn model's attainable ceiling
## (loyalty_bench.churn_ceiling, docs/ml.md). BENCH_ARGS="--workdir DIR --reuse" keeps
## the generated lakes and reuses them on the next run.
BENCH_SIZES ?= 10000 100000 1000000
BENCH_ARGS ?=
bench: run
	$(BIN)/python -m loyalty_bench.scale --sizes $(BENCH_SIZES) $(BENCH_ARGS)
	$(BIN)/python -m loyalty_bench.ml
	$(BIN)/python -m loyalty_bench.churn_ceiling

clean:
	rm -rf target logs .warehouse dbt_packages
