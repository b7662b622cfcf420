"""The pseudonymisation key, read where it is used and never rendered.

dbt renders vars and `env_var()` into SQL text, `manifest.json`, `partial_parse.msgpack`, the
docs site and its logs; a salt that passes through any of them is published with the docs. So
the key never goes through Jinja: this dbt-duckdb plugin reads `LOYALTY_PII_SALT` from the
environment and sets it as a DuckDB session variable on every connection and cursor (with a
bound parameter, so not even DuckDB's own query text holds it); the `pseudonymise` macro reads
`getvariable('loyalty_pii_salt')` and fails the query when it is missing. BigQuery has no
session dbt keeps, so there the key is a one-row table the warehouse holds
(`ml pii-key install`, `macros/pseudonymise.sql`).

Only an output that says `allow_dev_salt: true` (the local `dev` target) may fall back to the
public development salt; any other refuses to connect without a real one.
"""

from __future__ import annotations

import os
from typing import Any

ENV_VAR = "LOYALTY_PII_SALT"
DEV_SALT = "dev-only-salt-not-secret"
VARIABLE = "loyalty_pii_salt"
MIN_LENGTH = 16


try:  # dbt prints its own runtime errors as one line; keep the module importable without it
    from dbt_common.exceptions import DbtRuntimeError as _Base
except ImportError:  # pragma: no cover
    _Base = ValueError  # type: ignore[assignment,misc]


class PiiKeyError(_Base):  # type: ignore[misc,valid-type]
    """The key is missing or not fit for a target that holds real members."""


def resolve_salt(value: str | None, *, allow_dev_salt: bool, target: str = "this target") -> str:
    """The salt to use, or a PiiKeyError saying what to set (never echoing the value)."""
    if not value:
        if allow_dev_salt:
            return DEV_SALT
        raise PiiKeyError(
            f"{ENV_VAR} is not set: {target} pseudonymises real PII and needs a secret salt "
            f"of at least {MIN_LENGTH} characters (only the local dev target may use the "
            "public development salt)"
        )
    if not allow_dev_salt and value == DEV_SALT:
        raise PiiKeyError(f"{ENV_VAR} is the public development salt: {target} needs a secret one")
    if not allow_dev_salt and len(value) < MIN_LENGTH:
        raise PiiKeyError(f"{ENV_VAR} is shorter than {MIN_LENGTH} characters on {target}")
    return value


def set_session_key(connection: Any, salt: str) -> None:
    """A bound parameter: the salt reaches DuckDB as a value, never as statement text."""
    connection.execute(f"set variable {VARIABLE} = ?", [salt]).fetchall()


try:  # dbt-duckdb is a dependency, but keep resolve_salt importable without it
    from dbt.adapters.duckdb.plugins import BasePlugin
except ImportError:  # pragma: no cover
    BasePlugin = object  # type: ignore[assignment,misc]


class Plugin(BasePlugin):  # type: ignore[misc,valid-type]
    """profiles.yml: `plugins: [{module: loyalty_dbt.pii_key, config: {allow_dev_salt: true}}]`.
    DuckDB variables belong to one client context and dbt-duckdb runs each model on a cursor
    (a context of its own), so both the connection and every cursor get the key."""

    def initialize(self, plugin_config: dict[str, Any]) -> None:
        allow = str(plugin_config.get("allow_dev_salt", False)).lower() in ("true", "1", "yes")
        target = str(plugin_config.get("target_name", "this DuckDB target"))
        self._salt = resolve_salt(os.environ.get(ENV_VAR), allow_dev_salt=allow, target=target)

    def configure_connection(self, conn: Any) -> None:
        set_session_key(conn, self._salt)

    def configure_cursor(self, cursor: Any) -> None:
        set_session_key(cursor, self._salt)
