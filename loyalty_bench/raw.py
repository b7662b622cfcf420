"""The engine's own time: every model's compiled SQL (from dbt's manifest), in dependency
order, as plain DuckDB `create table/view ... as` statements from Python, with the resources
dbt's profile gives DuckDB. Runs as its own process (`python -m loyalty_bench.raw MANIFEST
SOURCE_DB DB THREADS OUT.json`) on a new database holding only what the models read besides
each other (the reference seeds), and opens a connection per model as each dbt model gets a
fresh query.

It also measures the write floor: every table the build left in dbt's warehouse written again
into a new database with no computation at all (`create table ... as select *`). Any SQL that
produces these tables pays at least that, so it bounds the raw rows/s a build of this project
can reach on the machine, whatever is done to the models' logic.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import duckdb

from loyalty_bench.process import memory_limit
from loyalty_dbt.pii_key import ENV_VAR, resolve_salt, set_session_key

SKIPPED = {"mart_member_churn_risk"}  # reads the ML scores table, which no bench warehouse has


def model_order(manifest: dict) -> list[dict]:
    nodes = {uid: n for uid, n in manifest["nodes"].items() if n["resource_type"] == "model"}
    order, seen = [], set()

    def visit(uid: str) -> None:
        if uid in seen or uid not in nodes:
            return
        seen.add(uid)
        for parent in nodes[uid]["depends_on"]["nodes"]:
            visit(parent)
        order.append(nodes[uid])

    for uid in sorted(nodes):
        visit(uid)
    return [n for n in order if n["name"] not in SKIPPED]


def _engine_config(threads: int) -> dict:
    """What dbt's profile gives DuckDB in the bench, for both measurements."""
    return {"threads": threads, "memory_limit": memory_limit(), "preserve_insertion_order": False}


def run_models(manifest: dict, source_db: Path, db: Path, threads: int) -> float:
    db.unlink(missing_ok=True)
    config = _engine_config(threads)
    models = model_order(manifest)
    model_schemas = {n["schema"] for n in models}
    with duckdb.connect(str(db), config=config) as con:
        con.execute(f"attach '{source_db}' as source_db (read_only)")
        for schema, table in con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = 'source_db' and table_type = 'BASE TABLE'"
        ).fetchall():
            if schema not in model_schemas:
                con.execute(f'create schema if not exists "{schema}"')
                con.execute(f'create table "{schema}"."{table}" as '
                            f'select * from source_db."{schema}"."{table}"')  # fmt: skip
        for schema in model_schemas:
            con.execute(f'create schema if not exists "{schema}"')
    seconds = 0.0
    for node in models:
        kind = "view" if node["config"]["materialized"] == "view" else "table"
        relation = f'"{node["schema"]}"."{node["alias"]}"'
        sql = node["compiled_code"].replace(f'"{node["database"]}".', "")
        with duckdb.connect(str(db), config=config) as con:
            # the compiled SQL reads the PII salt from the session, as under dbt's plugin
            set_session_key(con, resolve_salt(os.environ.get(ENV_VAR), allow_dev_salt=True))
            start = time.perf_counter()
            con.execute(f"create or replace {kind} {relation} as {sql}")
            seconds += time.perf_counter() - start
    return seconds


def write_floor(manifest: dict, built: Path, db: Path, threads: int) -> float:
    """Seconds to write every table model of `built` again, copied as it is."""
    db.unlink(missing_ok=True)
    config = _engine_config(threads)
    tables = [n for n in model_order(manifest) if n["config"]["materialized"] != "view"]
    seconds = 0.0
    with duckdb.connect(str(db), config=config) as con:
        con.execute(f"attach '{built}' as built (read_only)")
        for node in tables:
            start = time.perf_counter()
            con.execute(f'create table "{node["schema"]}__{node["alias"]}" as '
                        f'select * from built."{node["schema"]}"."{node["alias"]}"')  # fmt: skip
            seconds += time.perf_counter() - start
    db.unlink()
    return seconds


def main() -> None:
    manifest_path, source_db, db, threads, out = sys.argv[1:6]
    manifest = json.loads(Path(manifest_path).read_text())
    seconds = run_models(manifest, Path(source_db), Path(db), int(threads))
    Path(db).unlink()
    floor = write_floor(manifest, Path(source_db), Path(db), int(threads))
    Path(out).write_text(json.dumps({"seconds": seconds, "write_floor_seconds": floor}))


if __name__ == "__main__":
    main()
