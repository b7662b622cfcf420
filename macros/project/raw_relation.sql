{#
    The raw layer behind staging. One switch for the whole project: staging models never
    name a seed or a source directly, so moving the raw layer (seeds today, a lake later)
    changes this macro only.
#}
{% macro raw_relation(table_name) %}
    {%- if var('raw_layer', 'seeds') == 'seeds' -%}
        {{ ref('raw_' ~ table_name) }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("Unknown raw_layer var: " ~ var('raw_layer')) }}
    {%- endif -%}
{% endmacro %}
