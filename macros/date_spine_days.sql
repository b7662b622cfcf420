{#- One row per day, both ends included, column date_day of type date.
    dbt.date_spine is not used: it runs a query at compile time to size the series,
    excludes the end date and returns a timestamp on DuckDB. The warehouses' own
    series functions do it in one statement. Arguments are 'yyyy-mm-dd' strings. -#}
{% macro date_spine_days(start_date, end_date) -%}
    {{ return(adapter.dispatch('date_spine_days', 'loyalty')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__date_spine_days(start_date, end_date) -%}
    select cast(range as date) as date_day
    from range(date '{{ start_date }}', date '{{ end_date }}' + interval 1 day, interval 1 day)
{%- endmacro %}

{% macro bigquery__date_spine_days(start_date, end_date) -%}
    select d as date_day
    from unnest(generate_date_array(date '{{ start_date }}', date '{{ end_date }}')) as d
{%- endmacro %}
