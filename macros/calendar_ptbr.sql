{#- Portuguese (pt-BR) calendar labels for dim_date. Warehouse locale settings
    differ (and BigQuery has none), so names come from plain case expressions.
    Lowercase, as written in Portuguese. Out-of-range or null input gives null. -#}
{% macro month_name_ptbr(month_number_expr) -%}
    {%- set names = ['janeiro', 'fevereiro', 'março', 'abril', 'maio', 'junho', 'julho',
                     'agosto', 'setembro', 'outubro', 'novembro', 'dezembro'] -%}
    case {{ month_number_expr }}
        {%- for name in names %}
        when {{ loop.index }} then '{{ name }}'
        {%- endfor %}
    end
{%- endmacro %}

{#- ISO day of week: 1 = segunda-feira (Monday) ... 7 = domingo (Sunday). -#}
{% macro day_name_ptbr(iso_dow_expr) -%}
    {%- set names = ['segunda-feira', 'terça-feira', 'quarta-feira', 'quinta-feira',
                     'sexta-feira', 'sábado', 'domingo'] -%}
    case {{ iso_dow_expr }}
        {%- for name in names %}
        when {{ loop.index }} then '{{ name }}'
        {%- endfor %}
    end
{%- endmacro %}

{#- ISO day of week of a date, 1 = Monday ... 7 = Sunday. BigQuery's dayofweek
    counts 1 = Sunday, so it is shifted. -#}
{% macro iso_day_of_week(date_expr) -%}
    {{ return(adapter.dispatch('iso_day_of_week', 'loyalty')(date_expr)) }}
{%- endmacro %}

{% macro default__iso_day_of_week(date_expr) -%}
    isodow({{ date_expr }})
{%- endmacro %}

{% macro bigquery__iso_day_of_week(date_expr) -%}
    (mod(extract(dayofweek from {{ date_expr }}) + 5, 7) + 1)
{%- endmacro %}
