"""The Airflow tests run in .venv-airflow (make airflow-test): Airflow reads its configuration
when first imported, so its home, DAG folder and metadata DB are set here, before that."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

DAGS = Path(__file__).resolve().parents[1] / "dags"
HOME = Path(tempfile.mkdtemp(prefix="airflow-test-"))
SECRET = "airflow-test-salt-" + os.urandom(8).hex()
os.environ.update(
    {
        "AIRFLOW_HOME": str(HOME),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{HOME}/airflow.db",
        # the worker's secret: test_dags proves no DAG carries it
        "LOYALTY_PII_SALT": SECRET,
    }
)
sys.path.insert(0, str(DAGS))  # as Airflow itself puts the DAG folder on the path
