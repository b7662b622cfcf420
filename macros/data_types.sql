{#- Types the two adapters spell differently, for casts and for contracts' data_type.
    BigQuery's NUMERIC has a fixed scale of 9 and no double: money is numeric there (rounded
    to its scale where it is computed), a ratio is float64. -#}
{% macro type_decimal(precision, scale) -%}
    {{ return(adapter.dispatch('type_decimal', 'loyalty')(precision, scale)) }}
{%- endmacro %}

{% macro default__type_decimal(precision, scale) -%}
    {{ return(api.Column.numeric_type('decimal', precision, scale)) }}
{%- endmacro %}

{% macro bigquery__type_decimal(precision, scale) -%}
    {{ return('numeric') }}
{%- endmacro %}

{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'loyalty')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    {{ return('double') }}
{%- endmacro %}

{% macro bigquery__type_double() -%}
    {{ return('float64') }}
{%- endmacro %}

{#- The calendar year of a timestamp. BigQuery's timestamps are UTC instants and the
    emulator refuses EXTRACT on them (time zones); the year of the date is the same on both. -#}
{% macro year_of(timestamp_expr) -%}
    extract(year from cast({{ timestamp_expr }} as date))
{%- endmacro %}

{#- A model's BigQuery partitioning (a date column), none elsewhere: dbt-duckdb reads
    `partition_by` too (DuckLake partitions) and rejects BigQuery's form. -#}
{% macro bigquery_partition(field, granularity='day') -%}
    {%- if target.type == 'bigquery' %}
        {{ return({'field': field, 'data_type': 'date', 'granularity': granularity}) }}
    {%- endif %}
    {{ return(none) }}
{%- endmacro %}
