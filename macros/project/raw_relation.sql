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
        {%- set relation = loyalty.lake_relation(table_name) -%}
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
    minus a lookback window (var incremental_lookback_days) for exports that land late; or,
    with lookback_days=0 on loaded_at, exactly the rows staging loaded since this model's last
    run. Read once when the run starts and written into the SQL as a literal: engines prune
    files, partitions and row groups by constants, not by a subquery on the table being built. -#}
{% macro incremental_threshold(column='extracted_at', lookback_days=none) %}
    {%- set days = var('incremental_lookback_days') if lookback_days is none else lookback_days -%}
    {%- set since = dbt.dateadd('day', -1 * days, 'max(' ~ column ~ ')') -%}
    {#- a unit test's `this` is a fixture CTE of the same query: nothing to read beforehand -#}
    {%- if not execute or '__dbt__cte__' in (this | string) -%}
        (select {{ since }} from {{ this }})
    {%- else -%}
        {%- set value = run_query(
            'select cast(' ~ since ~ ' as ' ~ dbt.type_string() ~ ') from ' ~ this
        ).columns[0].values()[0] -%}
        {%- if value is none -%}
            cast(null as {{ dbt.type_timestamp() }})
        {%- else -%}
            cast('{{ value }}' as {{ dbt.type_timestamp() }})
        {%- endif -%}
    {%- endif -%}
{% endmacro %}

{#- An incremental model's filter to the keys (e.g. members) with a row that staging loaded
    since the model's last run: their rows are rebuilt whole, everyone else's stay. -#}
{% macro touched_since_last_load(cte, key) %}
    where {{ cte }}.{{ key }} in (
        select changed.{{ key }}
        from {{ cte }} as changed
        where changed.loaded_at > {{ incremental_threshold('loaded_at', lookback_days=0) }}
    )
{%- endmacro %}

{#- On the lake, the daily partitions an incremental run still has to read (those of the
    threshold's day on): the engine skips every older file. Seeds have no partitions. -#}
{% macro raw_partitions_since(threshold) %}
    {%- if var('raw_layer', 'seeds') == 'lake' -%}
        and extract_date >= cast({{ threshold }} as date)
    {%- endif -%}
{% endmacro %}

{#- When this dbt invocation started, as a timestamp: the loaded_at staging stamps on the rows
    a run adds, so the marts downstream can pick up exactly those. -#}
{% macro run_loaded_at() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}
