"""The static docs site works in a real browser: headless Chromium opens the one-file site,
goes to the churn exposure and opens its lineage graph, which must reach the staging models.

Chromium and chromedriver come from Debian (`scripts/install_chromium.sh`); the lineage is read
from the graph the page itself drew (its cytoscape instance), since the graph is a canvas.
Screenshots land in reports/docs_site/ (git-ignored)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.conftest import SCREENSHOTS, wait_for

pytestmark = pytest.mark.integration

EXPOSURE = "exposure.loyalty.churn"
EXPOSURE_LABEL = "Churn in the next 90 days"

# The page's graph service (angular) holds the cytoscape instance it renders; a node or edge
# is part of the lineage on screen when cytoscape renders it visible.
JS_GRAPH = """
const svc = angular.element(document.body).injector().get('graph');
const cy = svc.graph_element;
if (!cy) { return null; }
const shown = cy.elements().filter(e => e.visible());
return {
  orientation: svc.orientation,
  select: (document.querySelector(
    'input[ng-model="selectorService.selection.dirty.include"]') || {}).value,
  nodes: shown.nodes().map(n => ({id: n.id(), label: String(n.data('label') || n.data('name')),
                                   x: Math.round(n.position('x')),
                                   y: Math.round(n.position('y'))})),
  edges: shown.edges().map(e => [e.data('source'), e.data('target')]),
};
"""


@pytest.fixture(scope="module")
def static_site(warehouse) -> Path:
    """static_index.html of the session's docs (the fixture runs `dbt docs generate --static`)."""
    page = warehouse.target / "static_index.html"
    assert page.stat().st_size > 0
    return page


def _settled_graph(driver, ready) -> dict:
    """The graph once `ready(graph)` holds and the layout stopped moving (two equal polls)."""
    last: list[str] = []

    def settled(d):
        graph = d.execute_script(JS_GRAPH)
        if not graph or not ready(graph):
            return False
        key = json.dumps(sorted((n["id"], n["x"], n["y"]) for n in graph["nodes"]))
        if last and last[-1] == key:
            return graph
        last.append(key)
        return False

    return wait_for(driver, settled, "the lineage graph")


def _screenshot(driver, name: str) -> None:
    # Bootstrap tooltips of the hovered buttons would cover the graph's corner.
    driver.execute_script("document.querySelectorAll('.tooltip').forEach(t => t.remove())")
    assert driver.save_screenshot(str(SCREENSHOTS / name)), name


def _upstream(graph: dict, node: str) -> set[str]:
    parents: dict[str, set[str]] = {}
    for source, target in graph["edges"]:
        parents.setdefault(target, set()).add(source)
    seen: set[str] = set()
    todo = [node]
    while todo:
        for parent in parents.get(todo.pop(), ()):
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def test_churn_exposure_lineage_reaches_staging_models(browser, static_site):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.get(f"{static_site.as_uri()}#!/exposure/{EXPOSURE}")

    # The exposure page: its title, what it depends on, the lineage launcher.
    wait_for(
        browser,
        ec.text_to_be_present_in_element((By.TAG_NAME, "h1"), EXPOSURE_LABEL),
        "the churn exposure page",
    )
    wait_for(
        browser,
        ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "ml_member_features"),
        "the exposure's Depends On section",
    )
    launcher = wait_for(
        browser,
        ec.element_to_be_clickable((By.CSS_SELECTOR, "a[title='View Lineage Graph']")),
        "the View Lineage Graph button",
    )
    _screenshot(browser, "churn_exposure.png")

    # The lineage side panel: the exposure and its direct parent.
    launcher.click()
    side = _settled_graph(browser, lambda g: g["orientation"] == "sidebar" and g["nodes"])
    assert {n["id"] for n in side["nodes"]} >= {EXPOSURE, "model.loyalty.ml_member_features"}
    _screenshot(browser, "churn_lineage_panel.png")

    # Full screen: dbt docs selects `+exposure:churn`, every ancestor of the exposure.
    expand = wait_for(
        browser,
        ec.element_to_be_clickable((By.CSS_SELECTOR, "a[title='View Fullscreen']")),
        "the View Fullscreen button of the lineage panel",
    )
    expand.click()
    full = _settled_graph(
        browser, lambda g: g["orientation"] == "fullscreen" and len(g["nodes"]) > len(side["nodes"])
    )
    _screenshot(browser, "churn_lineage.png")

    assert full["select"] == "+exposure:churn"
    labels = {n["id"]: n["label"] for n in full["nodes"]}
    upstream = {labels[u] for u in _upstream(full, EXPOSURE) if u in labels}
    staging = {name for name in upstream if name.startswith("stg_loyalty__")}
    base = {name for name in upstream if name.startswith("base_loyalty__")}
    assert {"ml_member_features", "member_monthly", "fct_transactions", "dim_member"} <= upstream
    assert {"stg_loyalty__transactions", "stg_loyalty__member_versions"} <= staging, upstream
    assert {"base_loyalty__transactions", "base_loyalty__members"} <= base, upstream
    assert "raw_transactions" in upstream
    # Nothing downstream of the exposure or unrelated is drawn: all shown nodes lead to it.
    assert set(labels) - {EXPOSURE} == set(_upstream(full, EXPOSURE))
