{#
    The raw layer behind staging. One switch for the whole project: staging models never
    name a seed or a source directly, so moving the raw layer (seeds today, a lake later)
    changes this macro only.

    Two vars replay history from the same raw data (both ISO timestamps, compared as text):
    - raw_as_of: only the CDC versions written (updated_at) before it: the source system as it
      was then. The point-in-time test of the ML features uses it.
    - raw_extracted_through: only the rows of the daily exports run up to it (extracted_at):
      the warehouse as the loads had left it. The incremental-equivalence test steps it a day
      at a time.
#}
{% macro raw_relation(table_name) %}
    {%- if var('raw_layer', 'seeds') == 'seeds' -%}
        {%- set relation = ref('raw_' ~ table_name) -%}
    {%- elif var('raw_layer') == 'lake' -%}
        {%- set relation = source('lake', table_name) -%}
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "var raw_layer must be 'seeds' or 'lake', got " ~ var('raw_layer')) }}
    {%- endif -%}
    {%- set conditions = [] -%}
    {%- if var('raw_as_of', none) -%}
        {%- do conditions.append("updated_at < '" ~ var('raw_as_of') ~ "'") -%}
    {%- endif -%}
    {%- if var('raw_extracted_through', none) -%}
        {%- do conditions.append("extracted_at <= '" ~ var('raw_extracted_through') ~ "'") -%}
    {%- endif -%}
    {%- if conditions -%}
        (select * from {{ relation }} where {{ conditions | join(' and ') }}) as raw_replayed
    {%- else -%}
        {{ relation }}
    {%- endif -%}
{% endmacro %}

{#- Rows an incremental run must (re)process: exported after the latest export already loaded,
    minus a lookback window (var incremental_lookback_days) for exports that land late. -#}
{% macro incremental_threshold(column='extracted_at') %}
    (
        select {{ dbt.dateadd('day', -1 * var('incremental_lookback_days'), 'max(' ~ column ~ ')') }}
        from {{ this }}
    )
{% endmacro %}
