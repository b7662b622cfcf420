{#- Plausibility rules of staging: values that parse but cannot be true. Each returns a
    boolean SQL expression a base model's validated CTE turns into its quarantine reason;
    the bounds are vars (dbt_project.yml). -#}

{#- An event or a version of the program's own OLTP written before the program existed.
    Catalog records (partners, stores, products, campaigns) were set up before the launch:
    they may be up to var('catalog_setup_days') older. -#}
{% macro before_program_launch(columns, catalog=false) -%}
    {%- set launch = modules.datetime.date.fromisoformat(var('program_launch_date') | string) -%}
    {%- set days = var('catalog_setup_days') if catalog else 0 -%}
    {%- set earliest = "cast('" ~ (launch - modules.datetime.timedelta(days=days)).isoformat()
        ~ "' as " ~ dbt.type_timestamp() ~ ")" -%}
    ({% for column in columns %}{{ column }} < {{ earliest }}{{ ' or ' if not loop.last }}{% endfor %})
{%- endmacro %}

{#- After the export that carried the row: the OLTP cannot export what it has not written. -#}
{% macro after_own_export(columns) -%}
    ({% for column in columns %}{{ column }} > extracted_at{{ ' or ' if not loop.last }}{% endfor %})
{%- endmacro %}

{#- A raw number that did not fit its type ('1e308' as decimal(12, 2)): an overflow, not text
    that is no number at all. -#}
{% macro is_number_text(raw_column) -%}
    {{ loyalty.regex_full_match(
        'trim(' ~ raw_column ~ ')', '[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?') }}
{%- endmacro %}

{#- Free text people type (a city, a store name) holding contact data: an e-mail, or eight
    or more digits (a CPF or phone, formatted or bare; no city or store name has them). -#}
{% macro holds_pii(column) -%}
    (
        {{ loyalty.regex_contains(column, '[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+[.][A-Za-z]') }}
        or length({{ loyalty.digits_only(column) }}) >= 8
    )
{%- endmacro %}

{#- Free text longer than var('max_text_length') characters: no city or name is, a pasted
    file or an attack is. -#}
{% macro oversized_text(columns) -%}
    ({% for column in columns %}length({{ column }}) > {{ var('max_text_length') }}{{ ' or ' if not loop.last }}{% endfor %})
{%- endmacro %}

{#- Age at sign-up outside var('member_age_at_signup') (min, max): a birth date in 9999, or
    a member who enrolled before being born or at 150. -#}
{% macro implausible_birth_date(birth_date, signup_at) -%}
    {%- set ages = var('member_age_at_signup') -%}
    (
        {{ birth_date }} > cast({{ dbt.dateadd('year', -ages[0], signup_at) }} as date)
        or {{ birth_date }} < cast({{ dbt.dateadd('year', -ages[1], signup_at) }} as date)
    )
{%- endmacro %}

{#- A free-text column as the base model keeps it: null on the row quarantined for holding PII
    in it (its raw record keeps the value hashed), so clear text goes no further. -#}
{% macro unless_pii_in_free_text(column) -%}
    case when check_reason = 'pii_in_free_text' then null else {{ column }} end
{%- endmacro %}
