"""The PII key's rules: only the local dev target may use the public development salt."""

from __future__ import annotations

import duckdb
import pytest
from typer.testing import CliRunner

from loyalty_dbt.pii_key import DEV_SALT, PiiKeyError, Plugin, resolve_salt
from ml.cli import app

SECRET = "a-real-secret-of-enough-length"


def test_dev_falls_back_to_the_development_salt():
    assert resolve_salt(None, allow_dev_salt=True) == DEV_SALT
    assert resolve_salt(SECRET, allow_dev_salt=True) == SECRET


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "is not set"),
        ("", "is not set"),
        (DEV_SALT, "public development salt"),
        ("tiny-key", "shorter than 16"),
    ],
)
def test_other_targets_refuse_a_missing_public_or_short_salt(value, message):
    with pytest.raises(PiiKeyError, match=message) as caught:
        resolve_salt(value, allow_dev_salt=False, target="prod")
    if value:
        assert value not in str(caught.value)  # the error never echoes what was set


def test_the_plugin_sets_the_key_on_connections_and_cursors(monkeypatch):
    monkeypatch.setenv("LOYALTY_PII_SALT", SECRET)
    plugin = Plugin(name="pii_key", plugin_config={"allow_dev_salt": "false"})
    con = duckdb.connect()
    plugin.configure_connection(con)
    cursor = con.cursor()  # a client context of its own: variables are not inherited
    plugin.configure_cursor(cursor)
    for c in (con, cursor):
        assert c.execute("select getvariable('loyalty_pii_salt')").fetchall() == [(SECRET,)]


def test_the_plugin_refuses_the_development_salt_off_dev(monkeypatch):
    monkeypatch.delenv("LOYALTY_PII_SALT", raising=False)
    with pytest.raises(PiiKeyError):
        Plugin(name="pii_key", plugin_config={"target_name": "prod"})


def test_pii_key_install_refuses_the_development_salt(monkeypatch):
    monkeypatch.setenv("LOYALTY_PII_SALT", DEV_SALT)
    result = CliRunner().invoke(app, ["--target", "bigquery_emulator", "pii-key", "install"])
    assert result.exit_code == 2
    assert "public development salt" in result.output
    assert "Traceback" not in result.output


def test_pii_key_install_on_duckdb_has_nothing_to_do():
    result = CliRunner().invoke(app, ["--target", "dev", "pii-key", "install"])
    assert result.exit_code == 0
    assert "nothing to install" in result.output
