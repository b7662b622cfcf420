"""dbt-score rule filters of the project (pyproject.toml [tool.dbt-score] loads this module).

Run by `make judges` from .venv-judges, never imported by the project's own code.
"""

from dbt_score import Model, rule_filter


@rule_filter
def is_public(model: Model) -> bool:
    """Public models: the marts and ML models read from outside the project."""
    return model.access == "public"
