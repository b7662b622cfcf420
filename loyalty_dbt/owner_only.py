"""Files holding raw PII or derived secrets stay with their owner (LGPD).

The DuckDB warehouse holds the raw extracts (clear CPFs, e-mails, names), and dbt's target/
and logs/ hold compiled SQL and samples of it; created under the usual umask (022) they are
readable by every account on the machine. This dbt-duckdb plugin sets the dbt process's umask
to 077 when dbt connects (new files 0600, folders 0700), and makes the target and log folders
(dbt wrote some files in them before: the folders' mode is what guards those) and an existing
warehouse file owner-only. The `ml` CLI sets the same umask for the registry,
reports and scores it writes.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

try:
    from dbt.adapters.duckdb.plugins import BasePlugin
except ImportError:  # pragma: no cover
    BasePlugin = object  # type: ignore[assignment,misc]

OWNER_ONLY_UMASK = 0o077


def make_owner_only(path: Path) -> None:
    """The warehouse file and DuckDB's write-ahead log beside it, if they exist."""
    for candidate in (path, path.with_name(path.name + ".wal")):
        if candidate.is_file():
            candidate.chmod(0o600)


def _dbt_folders() -> list[Path]:
    """This invocation's target and log folders (flags, else dbt's defaults)."""
    try:
        from dbt.flags import get_flags

        flags = get_flags()
    except ImportError:  # pragma: no cover
        flags = None
    project = Path(os.environ.get("DBT_PROJECT_DIR", "."))
    folders = []
    for flag, env, default in (
        ("TARGET_PATH", "DBT_TARGET_PATH", "target"),
        ("LOG_PATH", "DBT_LOG_PATH", "logs"),
    ):
        value = getattr(flags, flag, None) or os.environ.get(env) or default
        path = Path(value)
        folders.append(path if path.is_absolute() else project / path)
    return folders


class Plugin(BasePlugin):  # type: ignore[misc,valid-type]
    def initialize(self, plugin_config: dict[str, Any]) -> None:
        os.umask(OWNER_ONLY_UMASK)
        for folder in _dbt_folders():
            if folder.is_dir():
                folder.chmod(0o700)

    def configure_connection(self, conn: Any) -> None:
        path = getattr(self.creds, "path", None)
        if path and path != ":memory:":
            make_owner_only(Path(path))
