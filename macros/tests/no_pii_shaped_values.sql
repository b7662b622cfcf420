{#- LGPD guard on every relation past staging: a text column holding a value shaped like a
    formatted CPF, an e-mail or a phone fails the build (one failing row per value found).
    Bare digit runs are not judged here: record ids are digits too. Staging quarantines free
    text holding them (holds_pii), and the pytest privacy scan matches every raw CPF and phone.
    The text columns are read from the relation when the test runs, so a new column is
    covered without declaring it. -#}
{% test no_pii_shaped_values(model) %}
    {%- set text_columns = [] -%}
    {%- if execute -%}
        {%- for column in adapter.get_columns_in_relation(model) if column.is_string() -%}
            {%- do text_columns.append(column.name) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- for column in text_columns %}
    select '{{ column }}' as column_name
    from {{ model }}
    where {{ loyalty.pii_shaped(adapter.quote(column)) }}
    {{ 'union all' if not loop.last }}
    {%- else %}
    select cast(null as {{ dbt.type_string() }}) as column_name
    from (select 1 as one) as no_text_columns
    where 1 = 0
    {%- endfor %}
{% endtest %}

{#- Formatted CPF (123.456.789-09), e-mail, or phone ((81) 98765-4321, +55 ...). -#}
{% macro pii_shaped(expr) -%}
    {{ loyalty.regex_contains(expr,
        '[0-9]{3}[.][0-9]{3}[.][0-9]{3}-[0-9]{2}'
        ~ '|[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+[.][A-Za-z]{2,}'
        ~ '|[(][0-9]{2}[)] ?[0-9]{4,5}-?[0-9]{4}|[+]55 ?[0-9]') }}
{%- endmacro %}
