{#- Written after a model's last select: a full refresh stores the rows in this order.
    DuckDB keeps each row group's min and max per column and a scan skips the row groups a
    filter (or a join's key range) rules out. The records an OLTP creates have time-ordered ids
    (ml/datagen: OltpIds), and a day's lookups by key (the stored versions a new version
    re-ranks, the rows a delete+insert replaces) ask for recent ones: in key order they sit
    in the table's last row groups. An incremental run appends after history, so only the
    full refresh sorts. BigQuery clusters instead, and a sort there would cost a slot-heavy
    stage for nothing. -#}
{% macro storage_order(columns) -%}
    {{ return(adapter.dispatch('storage_order', 'loyalty')(columns)) }}
{%- endmacro %}

{% macro default__storage_order(columns) %}{% endmacro %}

{% macro duckdb__storage_order(columns) -%}
    {%- if not is_incremental() %}
order by {{ columns | join(', ') }}
    {%- endif %}
{%- endmacro %}
