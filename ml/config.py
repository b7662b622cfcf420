"""One settings object for the whole package, read from the environment with the same
variables the Makefile and profiles.yml use, so CLI and dbt always look at the same files."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _path(var: str, default: Path) -> Path:
    value = os.environ.get(var)
    return Path(value) if value else default


@dataclass(frozen=True)
class Settings:
    project_dir: Path = field(default_factory=lambda: _path("DBT_PROJECT_DIR", PROJECT_ROOT))
    duckdb_path: Path = field(
        default_factory=lambda: _path(
            "LOYALTY_DUCKDB_PATH", PROJECT_ROOT / ".warehouse" / "loyalty.duckdb"
        )
    )
    target_dir: Path = field(
        default_factory=lambda: _path("DBT_TARGET_PATH", PROJECT_ROOT / "target")
    )
    # MLflow's tracking store and model registry: a team's server, or the embedded SQLite
    # store with its artifact folder beside it (.mlflow/, git-ignored)
    mlflow_tracking_uri: str = field(
        default_factory=lambda: (
            os.environ.get("MLFLOW_TRACKING_URI")
            or f"sqlite:///{PROJECT_ROOT / '.mlflow' / 'mlflow.db'}"
        )
    )
    specs_dir: Path = field(
        default_factory=lambda: _path("LOYALTY_SPECS", PROJECT_ROOT / "ml" / "specs")
    )
    reports_dir: Path = field(
        default_factory=lambda: _path("LOYALTY_REPORTS", PROJECT_ROOT / "reports")
    )
    datagen_dir: Path = field(
        default_factory=lambda: _path("LOYALTY_DATAGEN", PROJECT_ROOT / "data" / "datagen")
    )
    target: str = field(default_factory=lambda: os.environ.get("DBT_TARGET", "dev"))
    # BLAS/OpenMP threads of a fit or a prediction: processes that run side by side (tests,
    # scheduler tasks) set it to share the cores instead of oversubscribing them
    ml_threads: int | None = field(
        default_factory=lambda: int(n) if (n := os.environ.get("LOYALTY_ML_THREADS")) else None
    )
    # Must match dbt's var ml_scores_schema: the scored marts read this table as a source.
    scores_schema: str = field(
        default_factory=lambda: os.environ.get("LOYALTY_SCORES_SCHEMA", "ml_scores")
    )
    # The only schema `ml load-csv` writes into.
    scratch_schema: str = field(
        default_factory=lambda: os.environ.get("LOYALTY_SCRATCH_SCHEMA", "scratch")
    )
    # Must match dbt's var pii_key_schema: BigQuery's dataset of the PII key table.
    pii_key_schema: str = field(
        default_factory=lambda: os.environ.get("LOYALTY_PII_KEY_SCHEMA", "secrets")
    )
    # BigQuery targets (`bigquery`, `bigquery_emulator`): the variables profiles.yml reads.
    bq_project: str = field(default_factory=lambda: os.environ.get("LOYALTY_BQ_PROJECT", ""))
    bq_location: str = field(default_factory=lambda: os.environ.get("LOYALTY_BQ_LOCATION", "US"))
    bq_keyfile: Path | None = field(
        default_factory=lambda: Path(k) if (k := os.environ.get("LOYALTY_BQ_KEYFILE")) else None
    )
    bq_emulator_port: int = field(
        default_factory=lambda: int(os.environ.get("LOYALTY_BQ_EMULATOR_PORT", "9050"))
    )

    @property
    def manifest_path(self) -> Path:
        return self.target_dir / "manifest.json"
