{#- Brazilian dates arrive as 'dd/mm/yyyy' text. Returns a date, or null when the text
    is not d/m/yyyy or names an impossible day (31/02/2020). The shape check makes
    both warehouses agree on odd input such as 2-digit years ('15/03/85' -> null). -#}
{% macro parse_date_ptbr(expr) -%}
    {%- set text = "trim(cast(" ~ expr ~ " as " ~ dbt.type_string() ~ "))" -%}
    case
        when {{ loyalty.regex_full_match(text, '[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}') }}
            then {{ adapter.dispatch('parse_date_ptbr', 'loyalty')(text) }}
    end
{%- endmacro %}

{% macro default__parse_date_ptbr(text) -%}
    cast(try_strptime({{ text }}, '%d/%m/%Y') as date)
{%- endmacro %}

{% macro bigquery__parse_date_ptbr(text) -%}
    safe.parse_date('%d/%m/%Y', {{ text }})
{%- endmacro %}
