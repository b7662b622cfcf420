{#- True when the whole string matches the pattern (not just a substring).
    DuckDB has regexp_full_match; BigQuery only has regexp_contains, so the
    pattern is anchored there. `pattern` is plain regex text (RE2 on both), not SQL:
    the macro quotes it. Null in, null out. -#}
{% macro regex_full_match(expr, pattern) -%}
    {{ return(adapter.dispatch('regex_full_match', 'loyalty')(expr, pattern)) }}
{%- endmacro %}

{% macro default__regex_full_match(expr, pattern) -%}
    regexp_full_match({{ expr }}, '{{ pattern | replace("'", "''") }}')
{%- endmacro %}

{% macro bigquery__regex_full_match(expr, pattern) -%}
    regexp_contains({{ expr }}, r'^(?:{{ pattern | replace("'", "\\'") }})$')
{%- endmacro %}
