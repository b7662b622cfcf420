"""Each trailing-window feature of ml_member_features is declared exactly once, a line of the
YAML in macros/features/member_features.sql, and documented once, a column of
_ml__models.yml. The model generates both ways of computing it from that list, so neither it
nor its macros may define one by hand."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DECLARATIONS = ROOT / "macros" / "features" / "member_features.sql"
MODELS_YML = ROOT / "models" / "ml" / "_ml__models.yml"
# where the feature mart's SQL lives: a declared feature defined here would be a second copy
FEATURE_SQL = [
    ROOT / "models" / "ml" / "ml_member_features.sql",
    *sorted((ROOT / "macros" / "features").glob("*.sql")),
    *sorted((ROOT / "macros" / "incremental").glob("feature_mart*.sql")),
]


def _declared() -> tuple[list[str], dict]:
    """The names in the order written (a YAML mapping would fold a repeated one) and the YAML."""
    text = DECLARATIONS.read_text()
    block = text[text.index("\n---\n") + 1 : text.index("\n...\n")]
    names = re.findall(r"^  (\w+):\s+\{", block, flags=re.MULTILINE)
    return names, yaml.safe_load(block)


def test_every_feature_is_declared_once_and_well_formed():
    names, declared = _declared()
    counts = Counter(names)
    assert len(declared["features"]) >= 18 and max(counts.values()) == 1, counts
    for group in ("features", "inputs"):
        for name, feature in declared[group].items():
            assert set(feature) <= {"measure", "agg", "months", "skip", "type"}, name
            assert feature["measure"] and feature["months"] >= 1, name
            if feature.get("agg", "sum") == "last":
                assert feature["months"] == 1 and not feature.get("skip"), name


def test_every_feature_is_documented_once_and_inputs_are_not_columns():
    _, declared = _declared()
    models = yaml.safe_load(MODELS_YML.read_text())["models"]
    (mart,) = [model for model in models if model["name"] == "ml_member_features"]
    columns = Counter(column["name"] for column in mart["columns"])
    for name in declared["features"]:
        assert columns[name] == 1, f"{name}: documented {columns[name]} times"
    for name in declared["inputs"]:
        assert columns[name] == 0 or name == "member_sk", f"{name} is an input, not a column"


def test_no_declared_feature_is_written_by_hand_in_the_sql():
    names, _ = _declared()
    text = DECLARATIONS.read_text()
    sql = "\n".join(path.read_text() for path in FEATURE_SQL).replace(
        text[text.index("\n---\n") : text.index("\n...\n")], ""
    )
    for name in names:
        if name != "member_sk":  # the key, carried by name through every CTE
            assert not re.search(rf"\bas\s+{name}\b", sql), f"{name} is defined in SQL too"
