"""The pseudonymisation secret never leaves the process (LGPD: with about 10^9 CPFs and one
known salt, every cpf_hash could be reversed). The session build ran with a known secret;
nothing it wrote may hold it: target/ (manifest, run results, partial parse, compiled and run
SQL, the static docs site), dbt's logs, the warehouse's stored SQL and the warehouse file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.conftest import PII_SALT

pytestmark = pytest.mark.integration


def _files_holding(folder: Path, secret: bytes) -> list[str]:
    return [str(p) for p in folder.rglob("*") if p.is_file() and secret in p.read_bytes()]


def test_the_build_hashed_with_the_secret(con):
    """Guard against a scan that can never fail: the salt in force was the secret."""
    matched = con.execute(
        "select count(*) from main_staging.stg_loyalty__members m "
        "join main_raw.raw_members r on r.member_id = cast(m.member_id as varchar) "
        "where m.cpf_hash = sha256(? || regexp_replace(r.cpf, '[^0-9]', '', 'g'))",
        [PII_SALT],
    ).fetchall()[0][0]
    assert matched > 0


def test_no_artifact_or_log_holds_the_secret(warehouse):
    target = warehouse.target
    assert (target / "static_index.html").exists() and (target / "logs" / "dbt.log").exists()
    assert (target / "partial_parse.msgpack").exists()
    assert _files_holding(target, PII_SALT.encode()) == []


def test_the_warehouse_stores_no_secret(con, warehouse):
    views = [
        row[0]
        for row in con.execute("select sql from duckdb_views() where not internal").fetchall()
    ]
    assert len(views) > 5
    assert [sql for sql in views if PII_SALT in sql] == []
    assert PII_SALT.encode() not in warehouse.path.read_bytes()


def _private(path: Path) -> bool:
    return path.stat().st_mode & 0o077 == 0


def test_files_holding_raw_pii_are_owner_only(warehouse, trained):
    """The warehouse holds clear CPFs and names; target/ and the logs hold SQL over them; the
    registry holds models and data fingerprints."""
    assert _private(warehouse.path)
    assert _private(warehouse.target) and _private(warehouse.target / "logs")
    version = Path(trained["churn"].source.removeprefix("file://"))
    store = version.parents[4]  # the embedded store: mlflow.db and artifacts/<model>/<run>/
    assert _private(store) and _private(store / "mlflow.db") and _private(store / "artifacts")
    assert all(_private(f) for f in version.iterdir())
