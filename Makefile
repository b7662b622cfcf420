# The two commands a newcomer needs: `make run` (build everything) and `make test`.
# Each creates .venv with pip on first use and installs the project into it.

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

export DBT_PROFILES_DIR := $(CURDIR)
export DBT_PROJECT_DIR  := $(CURDIR)
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
# The embedded warehouse; DuckDB creates the file but not its folder.
export LOYALTY_DUCKDB_PATH ?= .warehouse/loyalty.duckdb
DBT := $(BIN)/dbt

.PHONY: install run test lint unit integration seeds docs docs-serve clean warehouse-dir

warehouse-dir:
	@mkdir -p $(dir $(LOYALTY_DUCKDB_PATH))

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## run: dbt build (seeds, models, tests) into the DuckDB file, then the docs site
run: $(STAMP) warehouse-dir
	$(DBT) build
	$(DBT) docs generate
	@echo "Warehouse: $(LOYALTY_DUCKDB_PATH). Docs site: make docs-serve"

## test: lint, fast unit tests, then one real dbt build shared by the integration tests
test: $(STAMP) lint unit integration

lint: $(STAMP) warehouse-dir
	$(BIN)/ruff check ml tests
	$(BIN)/ruff format --check ml tests
	$(BIN)/sqlfluff lint models tests/dbt

unit: $(STAMP)
	$(BIN)/pytest -m "not integration" -q

integration: $(STAMP)
	$(BIN)/pytest -m integration -q

## seeds: regenerate the committed raw extracts (deterministic: same seed, same bytes)
seeds: $(STAMP)
	$(BIN)/python -m ml.datagen --out-seeds seeds --out-meta data/datagen

docs: $(STAMP) warehouse-dir
	$(DBT) docs generate

docs-serve: docs
	$(DBT) docs serve --port $${PORT:-8080}

clean:
	rm -rf target logs .warehouse dbt_packages
