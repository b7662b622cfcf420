"""MLflow's UI, as `make mlflow-ui` serves it, in headless Chromium: the session's store shows
the churn experiment, its run's metrics and the registered model with its champion.
Screenshots land beside the docs site's (reports/docs_site/, git-ignored)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import SCREENSHOTS, free_port, serving, wait_for

pytestmark = pytest.mark.integration

MLFLOW = str(Path(sys.executable).with_name("mlflow"))
JOBS = "MLFLOW_SERVER_ENABLE_JOB_EXECUTION"


@pytest.fixture(scope="module")
def mlflow_ui(ml_settings, trained, tmp_path_factory) -> Iterator[str]:
    """`mlflow server` on loopback over the session's store, as `make mlflow-ui` starts it."""
    port = free_port()
    log = tmp_path_factory.mktemp("mlflow-ui") / "server.log"
    # one worker, as make mlflow-ui: four (MLflow's default) each import MLflow at start
    command = [MLFLOW, "server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    command += ["--backend-store-uri", ml_settings.mlflow_tracking_uri]
    url = f"http://127.0.0.1:{port}"
    # as the Makefile exports it: no job runner (seven huey consumers, each importing MLflow)
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", JOBS: "false"}
    with serving(command, f"{url}/health", log, env=env):
        yield url


def _page_with(driver, url: str, words: list[str], screenshot: str) -> str:
    from selenium.webdriver.common.by import By

    driver.get(url)

    def shows_all(d):
        text = d.find_element(By.TAG_NAME, "body").text
        return text if all(w in text for w in words) else False

    text = wait_for(driver, shows_all, f"{words} on the page")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    assert driver.save_screenshot(str(SCREENSHOTS / screenshot)), screenshot
    return text


def test_the_ui_shows_the_experiment_the_runs_metrics_and_the_champion(
    mlflow_ui,
    browser,
    trained,
    ml_settings,
):
    from ml.lifecycle import Context

    churn = trained["churn"]
    client = Context.from_settings(ml_settings).registry.client
    experiment = client.get_experiment_by_name("churn").experiment_id
    run_name = client.get_run(churn.run_id).info.run_name

    # the UI opens a workspace on its GenAI views; the run table is the model-training one
    classic = "workflowType=machine_learning"
    runs = f"{mlflow_ui}/#/experiments/{experiment}/runs?{classic}"
    _page_with(browser, runs, [run_name[:16], "1 matching run"], "mlflow_experiment.png")
    auc = f"{churn.metrics['test']['roc_auc']:.4f}"[:5]  # the UI prints the full float
    text = _page_with(
        browser,
        f"{mlflow_ui}/#/experiments/{experiment}/runs/{churn.run_id}?{classic}",
        ["test.roc_auc", "gap_closed", "oracle.roc_auc", auc],
        "mlflow_run.png",
    )
    assert "is_eligible" in text  # the population tag
    _page_with(
        browser, f"{mlflow_ui}/#/models/churn", ["Version 1", "champion"], "mlflow_model.png"
    )
