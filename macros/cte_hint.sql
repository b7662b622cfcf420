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
