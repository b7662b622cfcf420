{#- PII (CPF, e-mail, phone) never leaves staging in clear text: it is replaced by a
    salted SHA-256 so joins still work but values cannot be looked up in a rainbow
    table. The salt is var('pii_salt'), set from a secret in production.
    Null in, null out. Output: 64 lowercase hex characters. -#}
{% macro pseudonymise(expr) -%}
    {{ return(adapter.dispatch('pseudonymise', 'loyalty')(expr)) }}
{%- endmacro %}

{% macro default__pseudonymise(expr) -%}
    sha256({{ loyalty.pii_salt_literal() }} || cast({{ expr }} as {{ dbt.type_string() }}))
{%- endmacro %}

{% macro bigquery__pseudonymise(expr) -%}
    to_hex(sha256(concat(
        {{ loyalty.pii_salt_literal() }}, cast({{ expr }} as {{ dbt.type_string() }})
    )))
{%- endmacro %}

{#- The salt as a quoted SQL string literal, quotes escaped the adapter's way. -#}
{% macro pii_salt_literal() -%}
    {%- set salt = var('pii_salt') | string -%}
    {%- if not salt -%}
        {{ exceptions.raise_compiler_error("var('pii_salt') is empty: set LOYALTY_PII_SALT") }}
    {%- endif -%}
    '{{ dbt.escape_single_quotes(salt) }}'
{%- endmacro %}
