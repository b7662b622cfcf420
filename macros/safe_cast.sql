{#- Casts that return null instead of failing the run, for raw text columns.
    dbt.safe_cast is a plain cast on DuckDB (it errors on bad values), so
    safe_cast_to dispatches to try_cast there and to dbt.safe_cast (safe_cast) on
    BigQuery. The typed wrappers trim the text first, so both warehouses see the same
    input whatever their whitespace rules. Pass them the raw column, not clean_text() of it
    (an empty string casts to null either way): the second trim cost 4.5 s over the 39M raw
    purchases at 1M members. -#}
{% macro safe_cast_to(expr, type) -%}
    {{ return(adapter.dispatch('safe_cast_to', 'loyalty')(expr, type)) }}
{%- endmacro %}

{% macro default__safe_cast_to(expr, type) -%}
    try_cast({{ expr }} as {{ type }})
{%- endmacro %}

{% macro bigquery__safe_cast_to(expr, type) -%}
    {{ dbt.safe_cast(expr, type) }}
{%- endmacro %}

{% macro _trimmed_text(expr) -%}
    trim(cast({{ expr }} as {{ dbt.type_string() }}))
{%- endmacro %}

{#- Impossible instants ('2024-02-30 10:00:00') give null. -#}
{% macro safe_cast_timestamp(expr) -%}
    {{ loyalty.safe_cast_to(loyalty._trimmed_text(expr), dbt.type_timestamp()) }}
{%- endmacro %}

{#- 'yyyy-mm-dd' only; impossible dates give null. -#}
{% macro safe_cast_date(expr) -%}
    {{ loyalty.safe_cast_to(loyalty._trimmed_text(expr), 'date') }}
{%- endmacro %}

{#- Decimal point only: '12,50' and 'R$ 10' give null. decimal(p, s) on DuckDB;
    BigQuery takes no parameters here, so its numeric is rounded to `scale`. -#}
{% macro safe_cast_numeric(expr, precision=18, scale=2) -%}
    {{ return(adapter.dispatch('safe_cast_numeric', 'loyalty')(expr, precision, scale)) }}
{%- endmacro %}

{% macro default__safe_cast_numeric(expr, precision, scale) -%}
    {{ loyalty.safe_cast_to(loyalty._trimmed_text(expr), loyalty.type_decimal(precision, scale)) }}
{%- endmacro %}

{#- BigQuery's numeric holds 29 integer digits: what does not fit decimal(p, s) is null, as on
    DuckDB, so an overflow is the same quarantine reason on both engines. -#}
{% macro bigquery__safe_cast_numeric(expr, precision, scale) -%}
    {%- set value = 'round(' ~ loyalty.safe_cast_to(loyalty._trimmed_text(expr), 'numeric')
        ~ ', ' ~ scale ~ ')' -%}
    case when abs({{ value }}) < {{ 10 ** (precision - scale) }} then {{ value }} end
{%- endmacro %}

{#- Whole numbers only. DuckDB's try_cast rounds '42.7' to 43 while BigQuery's
    safe_cast gives null, so anything but an optionally signed digit string is null. -#}
{% macro safe_cast_integer(expr) -%}
    {%- set text = loyalty._trimmed_text(expr) -%}
    case
        when {{ loyalty.regex_full_match(text, '[+-]?[0-9]+') }}
            then {{ loyalty.safe_cast_to(text, dbt.type_bigint()) }}
    end
{%- endmacro %}
