{#- Written `name as <this macro> (`: inline this CTE wherever it is read.
    DuckDB materializes every CTE read more than once: for an import CTE over a 40M-row fact
    that copies the table into memory (what ran the 1M-member build out of its 4 GB). Mark the
    big import CTEs read twice; leave the default where a CTE is expensive to recompute and
    small. BigQuery has no such hint and inlines anyway. -#}
{% macro inline_cte() -%}
    {{ return(adapter.dispatch('inline_cte', 'loyalty')()) }}
{%- endmacro %}

{% macro default__inline_cte() %}{% endmacro %}

{% macro duckdb__inline_cte() %}not materialized{% endmacro %}

{#- Written `name as <this macro> (`: compute this CTE once, before what reads it. DuckDB's join
    order follows its cardinality estimates, which a filter on a load time or a join to the
    rows loaded since the last run overestimate by orders of magnitude: a small CTE (a run's
    touched rows) marked so is joined as what it is, instead of the planner joining the
    whole history to a dimension first. Nothing on BigQuery. -#}
{% macro materialized_cte() -%}
    {{ return(adapter.dispatch('materialized_cte', 'loyalty')()) }}
{%- endmacro %}

{% macro default__materialized_cte() %}{% endmacro %}

{% macro duckdb__materialized_cte() %}materialized{% endmacro %}
