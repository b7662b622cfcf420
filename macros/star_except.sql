{#- Every column of the relation in scope but the listed ones, in their order: DuckDB says
    `* exclude (...)`, BigQuery `* except (...)`. For CTEs, whose columns dbt cannot list. -#}
{% macro star_except(columns) -%}
    {{ return(adapter.dispatch('star_except', 'loyalty')(columns)) }}
{%- endmacro %}

{% macro default__star_except(columns) -%}
    * exclude ({{ columns | join(', ') }})
{%- endmacro %}

{% macro bigquery__star_except(columns) -%}
    * except ({{ columns | join(', ') }})
{%- endmacro %}
