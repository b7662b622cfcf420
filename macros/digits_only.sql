{#- Strip every non-digit character, e.g. '529.982.247-25' -> '52998224725'.
    DuckDB's regexp_replace replaces only the first match unless given the 'g'
    option; BigQuery's always replaces all. Null in, null out. -#}
{% macro digits_only(expr) -%}
    {{ return(adapter.dispatch('digits_only', 'loyalty')(expr)) }}
{%- endmacro %}

{% macro default__digits_only(expr) -%}
    regexp_replace(cast({{ expr }} as {{ dbt.type_string() }}), '[^0-9]', '', 'g')
{%- endmacro %}

{% macro bigquery__digits_only(expr) -%}
    regexp_replace(cast({{ expr }} as {{ dbt.type_string() }}), r'[^0-9]', '')
{%- endmacro %}
