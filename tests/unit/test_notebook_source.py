"""The course's notebook as committed: a jupytext script (reviewable, no outputs) that walks
the six CRISP-DM phases under Portuguese and English headings. Running it is an integration
test (tests/integration/test_notebook.py)."""

from __future__ import annotations

from tests.conftest import ROOT

NOTEBOOK = ROOT / "notebooks" / "crisp_dm.py"
PHASES = [
    ("Entendimento do negócio", "Business understanding"),
    ("Entendimento dos dados", "Data understanding"),
    ("Preparação dos dados", "Data preparation"),
    ("Modelagem", "Modelling"),
    ("Avaliação", "Evaluation"),
    ("Implantação", "Deployment"),
]


def test_the_notebook_walks_crisp_dm_in_both_languages_in_order():
    import jupytext

    notebook = jupytext.read(NOTEBOOK)
    headings = [
        line.removeprefix("## ")
        for cell in notebook.cells
        if cell.cell_type == "markdown"
        for line in cell.source.splitlines()
        if line.startswith("## ")
    ]
    expected = [f"{n}. {pt} · {en}" for n, (pt, en) in enumerate(PHASES, start=1)]
    assert headings == expected
    assert all(not cell.get("outputs") for cell in notebook.cells)  # nothing executed is kept
    code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    for api in ("select_and_fit", "load_test_period", "score(ctx"):  # the ml package's API
        assert api in code
