"""dbt-bouncer checks that dbt-project-evaluator has and dbt-bouncer 4.3 does not.

Loaded by dbt-bouncer from `custom_checks_dir` (dbt-bouncer.yml) in .venv-judges, never
imported by the project's own code. Each check names the dbt-project-evaluator model whose
rule it carries over; docs/judges.md lists them with the built-in checks.
"""

from pathlib import PurePosixPath

from dbt_bouncer.check_framework.decorator import check, fail

# Tests that prove a primary key on their own: dbt-project-evaluator's
# primary_key_test_macros default ([unique + not_null] or unique_combination_of_columns),
# with the project's own `unique_combination` (macros/tests/unique_combination.sql), which
# stands in for dbt_utils.unique_combination_of_columns.
_COMBINATION_TESTS = frozenset({"unique_combination", "unique_combination_of_columns"})


def _name(unique_id: str) -> str:
    return unique_id.split(".")[-1]


def _test_name(test) -> str | None:
    metadata = getattr(test, "test_metadata", None)
    return getattr(metadata, "name", None) if metadata else None


@check(code="LOY001")
def check_model_primary_key_tested(model, ctx):
    """A model's primary key is tested: one column with both `unique` and `not_null`
    (a `not_null` constraint counts for the latter), or a `unique_combination` test.

    dbt-project-evaluator: fct_missing_primary_key_tests. dbt-bouncer's
    check_model_has_unique_test accepts `unique` alone, which lets a nullable key pass.
    """
    unique_cols: set[str] = set()
    not_null_cols: set[str] = set()
    for test in ctx.tests_by_attached_node.get(model.unique_id, []):
        name = _test_name(test)
        if name in _COMBINATION_TESTS:
            return
        column = getattr(test, "column_name", None)
        if column and name == "unique":
            unique_cols.add(column.lower())
        elif column and name == "not_null":
            not_null_cols.add(column.lower())
    for column in (getattr(model, "columns", None) or {}).values():
        constraints = getattr(column, "constraints", None) or []
        types = {
            str(getattr(getattr(c, "type", None), "value", getattr(c, "type", "")))
            for c in constraints
        }
        if types & {"not_null", "primary_key"}:
            not_null_cols.add(str(column.name).lower())
    if not unique_cols & not_null_cols:
        fail(
            f"`{_name(model.unique_id)}` has no primary-key test: no column with both `unique` "
            "and `not_null`, and no `unique_combination` test."
        )


@check(code="LOY002")
def check_model_has_group(model):
    """Every model belongs to a dbt group (its owner), so access levels mean something.

    dbt-project-evaluator's governance rules assume groups; dbt-bouncer has no group check.
    """
    group = getattr(model, "group", None) or getattr(getattr(model, "config", None), "group", None)
    if not group:
        fail(f"`{_name(model.unique_id)}` has no group.")


@check(code="LOY003")
def check_source_loaded_at_field_populated(source):
    """A source with freshness says which column (or query) the freshness is measured on.

    dbt-project-evaluator: fct_sources_without_freshness needs a freshness that can run;
    dbt-bouncer's check_source_freshness_populated looks at warn_after/error_after only,
    and without a loaded_at_field `dbt source freshness` cannot measure a table source.
    """
    config = getattr(source, "config", None)
    if not (
        getattr(source, "loaded_at_field", None)
        or getattr(source, "loaded_at_query", None)
        or getattr(config, "loaded_at_field", None)
        or getattr(config, "loaded_at_query", None)
    ):
        fail(f"`{source.source_name}.{source.name}` has no loaded_at_field (or loaded_at_query).")


@check(code="LOY004")
def check_source_in_staging_directory_of_its_name(source):
    """A source is declared in models/staging/<source_name>/, beside its staging models.

    dbt-project-evaluator: fct_source_directories.
    """
    path = PurePosixPath(str(source.original_file_path).replace("\\", "/"))
    expected = ("models", "staging", source.source_name)
    if path.parent.parts[:3] != expected:
        fail(
            f"`{source.source_name}.{source.name}` is declared in `{path}`, not under "
            f"`{'/'.join(expected)}/`."
        )


@check(code="LOY005")
def check_model_max_leaf_fanout(model, ctx, *, max_leaf_children: int = 3):
    """A model feeds at most `max_leaf_children` end-of-DAG models directly.

    dbt-project-evaluator: fct_model_fanout (models_fanout_threshold 3): only children with no
    children of their own count, so a conformed dimension read by several facts is fine, and
    many reports built straight on one model are not. dbt-bouncer's check_model_max_fanout
    counts every child.
    """
    children = ctx.children_by_unique_id.get(model.unique_id, [])
    leaves = sorted(
        _name(c.unique_id) for c in children if not ctx.children_by_unique_id.get(c.unique_id)
    )
    if len(leaves) > max_leaf_children:
        fail(
            f"`{_name(model.unique_id)}` feeds {len(leaves)} end-of-DAG models directly "
            f"({', '.join(leaves)}), more than {max_leaf_children}: add a shared model between."
        )
