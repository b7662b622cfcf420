{#- Text to a date by the project's rules for dates as people write them (vars date_formats,
    ptbr_months, date_century_pivot: the rules ml/dates.py applies to the files `ml load-csv`
    reads). `formats` are tried in order; the default is how the OLTP writes birth dates.
    Null when the text fits none of them or names no real day (31/02/2024). -#}
{% macro parse_date_ptbr(expr, formats=['dd/mm/yyyy']) -%}
    {%- set rules = var('date_formats') -%}
    {%- set text = 'lower(trim(cast(' ~ expr ~ ' as ' ~ dbt.type_string() ~ ')))' -%}
    case
    {%- for name in formats %}
        {%- set rule = rules[name] %}
        {%- set year = loyalty.regex_group(text, rule.regex, rule.year) %}
        {%- set month = loyalty.regex_group(text, rule.regex, rule.month) %}
        {%- set day = loyalty.regex_group(text, rule.regex, rule.day) if rule.day else "'1'" %}
        when {{ loyalty.regex_full_match(text, rule.regex) }}
            then {{ loyalty.safe_cast_date(dbt.concat([
                loyalty._year_of_text(year), "'-'",
                loyalty._month_of_text(month), "'-'",
                day
            ])) }}
    {%- endfor %}
    end
{%- endmacro %}

{#- A four-digit year as is; two digits are 20yy below date_century_pivot, else 19yy. -#}
{% macro _year_of_text(text) -%}
    cast(
        case
            when length({{ text }}) = 2
                then cast({{ text }} as {{ dbt.type_int() }})
                + case
                    when cast({{ text }} as {{ dbt.type_int() }}) < {{ var('date_century_pivot') }}
                        then 2000
                    else 1900
                end
            else cast({{ text }} as {{ dbt.type_int() }})
        end as {{ dbt.type_string() }}
    )
{%- endmacro %}

{#- Digits as they are; a pt-BR month name or its first three letters as its number. -#}
{% macro _month_of_text(text) -%}
    case
        {%- for name in var('ptbr_months') %}
        when {{ text }} in ('{{ name }}', '{{ name[:3] }}') then '{{ loop.index }}'
        {%- endfor %}
        else {{ text }}
    end
{%- endmacro %}

{#- The n-th capture group of `pattern` in `expr`, for text that matches it whole. -#}
{% macro regex_group(expr, pattern, n) -%}
    {{ return(adapter.dispatch('regex_group', 'loyalty')(expr, pattern, n)) }}
{%- endmacro %}

{% macro default__regex_group(expr, pattern, n) -%}
    regexp_extract({{ expr }}, '^(?:{{ pattern | replace("'", "''") }})$', {{ n }})
{%- endmacro %}

{#- BigQuery's regexp_extract has no group argument: replace the whole match with the group. -#}
{% macro bigquery__regex_group(expr, pattern, n) -%}
    regexp_replace({{ expr }}, r'^(?:{{ pattern | replace("'", "\\'") }})$', r'\{{ n }}')
{%- endmacro %}
