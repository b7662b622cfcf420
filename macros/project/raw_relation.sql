{#
    The raw layer behind staging. One switch for the whole project: staging models never
    name a seed or a source directly, so moving the raw layer (seeds today, a lake later)
    changes this macro only.

    var raw_as_of (an ISO timestamp) rebuilds the warehouse as it was at that moment: only
    the CDC versions written before it are read. The point-in-time test of the ML features
    uses it to prove that no feature depends on anything at or after its cutoff.
#}
{% macro raw_relation(table_name) %}
    {%- if var('raw_layer', 'seeds') == 'seeds' -%}
        {%- set relation = ref('raw_' ~ table_name) -%}
    {%- else -%}
        {{ exceptions.raise_compiler_error("Unknown raw_layer var: " ~ var('raw_layer')) }}
    {%- endif -%}
    {%- set as_of = var('raw_as_of', none) -%}
    {%- if as_of -%}
        (select * from {{ relation }} where updated_at < '{{ as_of }}') as raw_as_of
    {%- else -%}
        {{ relation }}
    {%- endif -%}
{% endmacro %}
