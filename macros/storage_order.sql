{#- Written after a model's last select: a full refresh stores the rows in this order.
    DuckDB keeps each row group's min and max per column, and a scan skips the row groups a
    filter (or a join's key range) rules out. The base models store their rows by export
    (`extracted_at`), the order daily loads append in anyway: a day's lookups of the exports
    it re-reads, and of the stored versions of recent keys (the OLTP's ids follow time:
    loyalty_datagen OltpIds), then read the table's last row groups instead of all of it. An
    incremental run appends after history, so only the full refresh sorts. Nothing on
    BigQuery: a query's order does not set how it stores a table. Clustering would; the base
    tables are not clustered there, since nothing here can measure what it buys. -#}
{% macro storage_order(columns) -%}
    {{ return(adapter.dispatch('storage_order', 'loyalty')(columns)) }}
{%- endmacro %}

{% macro default__storage_order(columns) %}{% endmacro %}

{% macro duckdb__storage_order(columns) -%}
    {%- if not is_incremental() %}
order by {{ columns | join(', ') }}
    {%- endif %}
{%- endmacro %}
