"""The project on the local BigQuery emulator: one session loads a generated seed set (400
members over the default seeds' two years: the emulator loads a CSV row by row, 2.5 minutes
for the committed 2,000 members' 79k purchases), builds everything, runs the models again (the
second run merges two more exports into the incremental models), writes the docs catalog, and
builds the same seeds through the same export on DuckDB to compare with. `make test-bigquery`
starts the emulator (scripts/with_bigquery_emulator.sh) and sets LOYALTY_BQ_EMULATOR_PORT."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from loyalty_datagen import GeneratorConfig, generate
from tests.conftest import ROOT
from tests.integration.conftest import InProcessDbt, dbt_env

SEEDS = GeneratorConfig(members=400)  # the committed seeds' period and parameters, fewer members
PROJECT = "local-project"
# The emulator is not the local dev target, so it needs a real (non-development) PII key; the
# DuckDB build it is compared with uses the same one, or no hash would match.
PII_SALT = "emulator-test-salt-" + secrets.token_hex(8)
UNUSED = Path("unused.duckdb")  # the DuckDB path profiles.yml reads, for the BigQuery target
# dbt's built-in generic tests do not run here (docs/bigquery.md): their SQL is dbt's own, not the
# project's, every one runs on DuckDB in the shared build, and the tables built here are compared
# row for row with DuckDB's. They are 245 of the 313 data tests.
BUILTIN_TESTS = ("not_null", "unique", "accepted_values", "relationships")


@dataclass(frozen=True)
class EmulatorBuild:
    port: int
    first: Path  # target folder of the first build (the tables' DDL)
    second: Path  # of the incremental build, the docs and the ML commands
    duckdb: Path  # the same seeds built on DuckDB
    dbt: InProcessDbt  # dbt on the emulator, in the session's process (one parse, reused)
    # what each build ran (docs generate rewrites run_results.json, so kept here)
    results: dict[Path, list[dict]] = field(default_factory=dict)
    # max(loaded_at or loaded_through) of each incremental model after the first build
    loaded_after_first: dict[str, str] = field(default_factory=dict)

    def keep_results(self, target: Path) -> None:
        self.results[target] = json.loads((target / "run_results.json").read_text())["results"]

    def artifact(self, name: str) -> dict:
        return json.loads((self.second / name).read_text())

    def incremental_models(self) -> dict[str, tuple[str, str]]:
        """name -> (dataset, bookkeeping column: loaded_through or loaded_at) of every
        incremental model, from the first build's manifest."""
        nodes = json.loads((self.first / "manifest.json").read_text())["nodes"].values()
        return {
            n["name"]: (
                n["schema"],
                "loaded_through" if "loaded_through" in n["columns"] else "loaded_at",
            )
            for n in nodes
            if n["resource_type"] == "model" and n["config"]["materialized"] == "incremental"
        }

    def last_loads(self) -> dict[str, str]:
        """When each incremental model last took rows: its loaded_at / loaded_through."""
        client = self.client()
        loads = {}
        for name, (dataset, column) in self.incremental_models().items():
            query = f"select cast(max({column}) as string) as last_load from `{dataset}.{name}`"
            loads[name] = next(iter(client.query(query).result())).last_load
        return loads

    def client(self):
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import bigquery

        return bigquery.Client(
            project=PROJECT,
            credentials=AnonymousCredentials(),
            client_options={"api_endpoint": f"http://127.0.0.1:{self.port}"},
        )


def emulator_env(target: Path) -> dict[str, str]:
    return {
        **dbt_env(UNUSED, target),
        "DBT_TARGET": "bigquery_emulator",
        "LOYALTY_PII_SALT": PII_SALT,
    }


def install_pii_key(env: dict[str, str]) -> None:
    ml = str(Path(sys.executable).with_name("ml"))
    proc = subprocess.run(
        [ml, "pii-key", "install"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if proc.returncode != 0:
        pytest.fail(f"ml pii-key install failed: {proc.stdout}{proc.stderr}", False)


@pytest.fixture(scope="session")
def emulator(tmp_path_factory) -> Iterator[EmulatorBuild]:
    port = os.environ.get("LOYALTY_BQ_EMULATOR_PORT")
    if not port:
        pytest.fail("no emulator: run these tests with `make test-bigquery`", False)
    tmp = tmp_path_factory.mktemp("bigquery")
    # inside the project (git-ignored): dbt writes a seed's SQL to target/run/<its path>, which
    # for an absolute path is the CSV itself
    seeds = Path(".warehouse") / f"emulator-seeds-{os.getpid()}"
    manifest = generate(SEEDS, ROOT / seeds, tmp / "datagen")
    try:
        with pytest.MonkeyPatch.context() as env:  # every dbt of the session reads that set
            env.setenv("LOYALTY_SEED_PATH", str(seeds))
            yield from _build(tmp, int(port), datetime.fromisoformat(manifest["extract_at"]), env)
    finally:
        shutil.rmtree(ROOT / seeds)


def _build(
    tmp: Path, port: int, last: datetime, env: pytest.MonkeyPatch
) -> Iterator[EmulatorBuild]:
    first, second = tmp / "first", tmp / "second"
    install_pii_key(emulator_env(first))
    # dbt in the session's process on one parse per adapter: a parse of the project takes
    # about 16 s, and every change of vars or warehouse file would parse it again
    bq = InProcessDbt(emulator_env(first), env)
    bq(["seed"])
    # the first build stops three exports before the generator's last one; the second build
    # merges the rest into the incremental models, the month-start export included: the feature
    # mart relabels (October's label window closes with Dec 30's export) and adds everyone's
    # new cutoff in one aggregate
    through = json.dumps({"raw_extracted_through": str(last - timedelta(days=3))})
    second_through = ["--vars", json.dumps({"raw_extracted_through": str(last)})]
    # everything but the seeds (loaded once above) and dbt's own generic tests (BUILTIN_TESTS)
    everything = [
        *("--select", "resource_type:model resource_type:test resource_type:unit_test"),
        *("--exclude", *(f"test_name:{name}" for name in BUILTIN_TESTS)),
    ]
    bq(["build", *everything, "--vars", through])
    build = EmulatorBuild(port, first, second, tmp / "loyalty.duckdb", bq)
    build.keep_results(first)
    build.loaded_after_first.update(build.last_loads())
    # the models only: the first build ran the unit and data tests on the emulator, and the
    # merged tables are checked against DuckDB's, row by row (the tests took 2/3 of the run)
    bq.at(UNUSED, second, ["run", *second_through])
    build.keep_results(second)
    bq(["docs", "generate"])

    duck = InProcessDbt(
        {**dbt_env(build.duckdb, tmp / "duckdb"), "LOYALTY_PII_SALT": PII_SALT}, env
    )
    duck(["seed"])
    duck(["run", *second_through])
    yield build
