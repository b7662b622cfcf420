{#- The DDL of a contract's columns and constraints (dbt's get_table_columns_and_constraints),
    with the declared primary keys left out where they cost more than they give. DuckDB
    enforces a primary key with an index: loading five million md5 keys behind one took 47.8 s
    against 3.5 s without (DuckDB 2.0.1, this machine), so the history-sized models (config
    meta primary_key_enforced: false) declare theirs and leave it to the unique and not_null
    tests every build runs; the dimensions and the scored mart enforce theirs. BigQuery gets
    every primary key as NOT ENFORCED (for its planner), except on the local emulator, which
    cannot parse NOT ENFORCED. -#}
{% macro duckdb__get_table_columns_and_constraints() -%}
    {%- set enforced = (config.get('meta') or {}).get('primary_key_enforced', true) %}
    {{- return(loyalty.columns_and_constraints(keep_primary_key=enforced)) }}
{%- endmacro %}

{% macro bigquery__get_table_columns_and_constraints() -%}
    {{- return(loyalty.columns_and_constraints(keep_primary_key=target.name != 'bigquery_emulator')) }}
{%- endmacro %}

{#- dbt's table_columns_and_constraints, without primary key constraints unless kept. -#}
{% macro columns_and_constraints(keep_primary_key) %}
    {%- if keep_primary_key %}
        {{- return(table_columns_and_constraints()) }}
    {%- endif %}
    {%- set columns = {} %}
    {%- for name, column in model['columns'].items() %}
        {%- set kept = dict(column) %}
        {%- do kept.update({'constraints': column['constraints']
            | rejectattr('type', 'equalto', 'primary_key') | list}) %}
        {%- do columns.update({name: kept}) %}
    {%- endfor %}
    {%- set column_ddl = adapter.render_raw_columns_constraints(raw_columns=columns) %}
    {%- set model_ddl = adapter.render_raw_model_constraints(
        raw_constraints=model['constraints'] | rejectattr('type', 'equalto', 'primary_key') | list) %}
    {{- return('(' ~ (column_ddl + model_ddl) | join(', ') ~ ')') }}
{% endmacro %}
