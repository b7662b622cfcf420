{#- True when part of the string matches the pattern (RE2 on both engines; `pattern` is plain
    regex text, quoted by the macro). Null in, null out. -#}
{% macro regex_contains(expr, pattern) -%}
    {{ return(adapter.dispatch('regex_contains', 'loyalty')(expr, pattern)) }}
{%- endmacro %}

{% macro default__regex_contains(expr, pattern) -%}
    regexp_matches({{ expr }}, '{{ pattern | replace("'", "''") }}')
{%- endmacro %}

{% macro bigquery__regex_contains(expr, pattern) -%}
    regexp_contains({{ expr }}, r'{{ pattern | replace("'", "\\'") }}')
{%- endmacro %}
