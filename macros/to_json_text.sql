{#- A quarantined row keeps its raw values as one JSON object string, so the
    quarantine table has a single schema whatever the source table.
    Every value is cast to text first, so output is the same on both warehouses:
    {"col_a":"1","col_b":null}.

    json_object_text takes (key, sql expression) pairs; to_json_text is the common case
    of plain column names. -#}
{% macro to_json_text(column_list, relation_alias=none) -%}
    {%- set prefix = relation_alias ~ '.' if relation_alias else '' -%}
    {%- set pairs = [] -%}
    {%- for column in column_list -%}
        {%- do pairs.append((column, prefix ~ adapter.quote(column))) -%}
    {%- endfor -%}
    {{ return(loyalty.json_object_text(pairs)) }}
{%- endmacro %}

{% macro json_object_text(pairs) -%}
    {{ return(adapter.dispatch('json_object_text', 'loyalty')(pairs)) }}
{%- endmacro %}

{% macro default__json_object_text(pairs) -%}
    cast(json_object(
        {%- for key, expr in pairs %}
        '{{ key }}', cast({{ expr }} as {{ dbt.type_string() }}){{ ',' if not loop.last }}
        {%- endfor %}
    ) as {{ dbt.type_string() }})
{%- endmacro %}

{% macro bigquery__json_object_text(pairs) -%}
    to_json_string(struct(
        {%- for key, expr in pairs %}
        cast({{ expr }} as {{ dbt.type_string() }}) as `{{ key }}`{{ ',' if not loop.last }}
        {%- endfor %}
    ))
{%- endmacro %}

{#- The raw values of a quarantined row, read from the raw_<column> passthrough columns of a
    base model, with PII columns pseudonymised so clear text never leaves staging, and the
    free-text columns too where the row was quarantined for holding PII in them. -#}
{% macro raw_record_json(raw_columns, pii=[], free_text=[]) -%}
    {%- set pairs = [] -%}
    {%- for column in raw_columns -%}
        {%- if column in pii -%}
            {%- do pairs.append((column, loyalty.pseudonymise('raw_' ~ column))) -%}
        {%- elif column in free_text -%}
            {%- do pairs.append((column, "case when check_reason = 'pii_in_free_text' then "
                ~ loyalty.pseudonymise('raw_' ~ column) ~ " else raw_" ~ column ~ " end")) -%}
        {%- else -%}
            {%- do pairs.append((column, 'raw_' ~ column)) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(loyalty.json_object_text(pairs)) }}
{%- endmacro %}
