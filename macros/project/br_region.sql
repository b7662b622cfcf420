{#- Brazil's five macro-regions (IBGE) from a state's two-letter code: a coarser, safer
    geography for analysis and ML than city. -#}
{% macro br_region(uf) -%}
    case
        when {{ uf }} in ('AC', 'AM', 'AP', 'PA', 'RO', 'RR', 'TO') then 'Norte'
        when {{ uf }} in ('AL', 'BA', 'CE', 'MA', 'PB', 'PE', 'PI', 'RN', 'SE') then 'Nordeste'
        when {{ uf }} in ('DF', 'GO', 'MS', 'MT') then 'Centro-Oeste'
        when {{ uf }} in ('ES', 'MG', 'RJ', 'SP') then 'Sudeste'
        when {{ uf }} in ('PR', 'RS', 'SC') then 'Sul'
        else 'Desconhecida'
    end
{%- endmacro %}

{#- Age band from a birth year at a point in time (year precision: we never keep the day). -#}
{% macro age_band(birth_year_expr, at_expr) -%}
    case
        when {{ birth_year_expr }} is null then 'unknown'
        when {{ year_of(at_expr) }} - {{ birth_year_expr }} < 25 then '18-24'
        when {{ year_of(at_expr) }} - {{ birth_year_expr }} < 35 then '25-34'
        when {{ year_of(at_expr) }} - {{ birth_year_expr }} < 45 then '35-44'
        when {{ year_of(at_expr) }} - {{ birth_year_expr }} < 55 then '45-54'
        when {{ year_of(at_expr) }} - {{ birth_year_expr }} < 65 then '55-64'
        else '65+'
    end
{%- endmacro %}

{#- Open-ended validity windows (valid_to null = still current) compared to an event time. -#}
{% macro is_valid_at(event_at, valid_from='valid_from', valid_to='valid_to') -%}
    ({{ event_at }} >= {{ valid_from }} and ({{ valid_to }} is null or {{ event_at }} < {{ valid_to }}))
{%- endmacro %}
