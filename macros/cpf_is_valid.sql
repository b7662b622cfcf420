{#- Brazilian CPF validation in plain portable SQL (substr, cast, mod, replace), so
    staging can quarantine bad documents on any warehouse. `expr` must already be
    digits only (see digits_only). Check digit k uses the first 8+k digits with weights
    (9+k)..2: r = mod(sum * 10, 11), digit = 0 when r = 10, i.e. mod(r, 10).
    Never null: null, short, non-digit or all-equal input gives false. -#}
{% macro cpf_is_valid(expr) -%}
    {%- set cpf = "cast(" ~ expr ~ " as " ~ dbt.type_string() ~ ")" -%}
    coalesce(
        case
            when not {{ loyalty.regex_full_match(cpf, '[0-9]{11}') }} then false
            when replace({{ cpf }}, substr({{ cpf }}, 1, 1), '') = '' then false
            else
            {%- for check in [1, 2] %}
                {%- set n = 8 + check %}
                {{ 'and ' if not loop.first }}mod(mod((
                    {%- for i in range(1, n + 1) %}
                    {{ '+ ' if not loop.first }}{{ loyalty.cpf_digit(cpf, i) }} * {{ n + 2 - i }}
                    {%- endfor %}
                ) * 10, 11), 10) = {{ loyalty.cpf_digit(cpf, n + 1) }}
            {%- endfor %}
        end,
        false
    )
{%- endmacro %}

{#- The i-th character as an integer (safe cast: never errors on bad input). -#}
{% macro cpf_digit(cpf, i) -%}
    {{ loyalty.safe_cast_to("substr(" ~ cpf ~ ", " ~ i ~ ", 1)", dbt.type_int()) }}
{%- endmacro %}
