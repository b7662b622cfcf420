{#- Every column of the relation in scope but the listed ones, in their order: DuckDB says
    `* exclude (...)`, BigQuery `* except (...)`. For CTEs, whose columns dbt cannot list.
    `replace` ({column: expression}) recomputes columns in place (`* replace (...)` on both). -#}
{% macro star_except(columns, replace={}) -%}
    {{ return(adapter.dispatch('star_except', 'loyalty')(columns, replace)) }}
{%- endmacro %}

{% macro default__star_except(columns, replace={}) -%}
    *{% if columns %} exclude ({{ columns | join(', ') }}){% endif %}
    {{- loyalty._star_replace(replace) }}
{%- endmacro %}

{% macro bigquery__star_except(columns, replace={}) -%}
    *{% if columns %} except ({{ columns | join(', ') }}){% endif %}
    {{- loyalty._star_replace(replace) }}
{%- endmacro %}

{% macro _star_replace(replace) -%}
    {%- if replace %} replace (
    {%- for column, expression in replace.items() %}
        {{ expression }} as {{ column }}{{ ',' if not loop.last }}
    {%- endfor %}
    ){% endif -%}
{%- endmacro %}
