{#- PII (CPF, e-mail, phone) never leaves staging in clear text: it is replaced by a
    salted SHA-256 so joins still work but values cannot be looked up in a rainbow
    table. The salt is a secret the warehouse holds at run time (pii_key), never a literal:
    dbt would render a literal into compiled SQL, manifest.json, the docs site and its logs.
    Null in, null out. Output: 64 lowercase hex characters. -#}
{% macro pseudonymise(expr) -%}
    {{ return(adapter.dispatch('pseudonymise', 'loyalty')(expr)) }}
{%- endmacro %}

{% macro default__pseudonymise(expr) -%}
    sha256({{ loyalty.pii_key() }} || cast({{ expr }} as {{ dbt.type_string() }}))
{%- endmacro %}

{% macro bigquery__pseudonymise(expr) -%}
    to_hex(sha256(concat(
        {{ loyalty.pii_key() }}, cast({{ expr }} as {{ dbt.type_string() }})
    )))
{%- endmacro %}

{#- An expression that yields the salt when the query runs. -#}
{% macro pii_key() -%}
    {{ return(adapter.dispatch('pii_key', 'loyalty')()) }}
{%- endmacro %}

{#- DuckDB: a session variable the loyalty_dbt.pii_key plugin sets on every connection from
    LOYALTY_PII_SALT (profiles.yml). Missing (a profile without the plugin), the query fails
    instead of hashing with null. -#}
{% macro default__pii_key() -%}
    coalesce(
        cast(getvariable('loyalty_pii_salt') as {{ dbt.type_string() }}),
        cast(error('no PII key: the DuckDB profile needs the loyalty_dbt.pii_key plugin') as {{ dbt.type_string() }})
    )
{%- endmacro %}

{#- BigQuery keeps no session between dbt's jobs: the key is a one-row table the warehouse
    holds (`ml pii-key install` writes it by a load job, from LOYALTY_PII_SALT), readable only
    by the identities that build staging. check_pii_key() refuses to build without it. -#}
{% macro bigquery__pii_key() -%}
    (select salt from {{ loyalty.pii_key_relation() }})
{%- endmacro %}

{% macro pii_key_relation() -%}
    {{ adapter.quote(target.project) }}.{{ adapter.quote(var('pii_key_schema')) }}.{{ adapter.quote('pii_key') }}
{%- endmacro %}

{#- on-run-start: a BigQuery target builds only with an installed, non-development key (the
    check renders only the public development salt, to compare against). DuckDB's plugin has
    already refused to connect without one, except on the dev target. -#}
{% macro check_pii_key() -%}
    {%- if not execute or target.type != 'bigquery' -%}{{ return('') }}{%- endif -%}
    {%- set key = adapter.get_relation(
        database=target.project, schema=var('pii_key_schema'), identifier='pii_key'
    ) -%}
    {%- set check -%}
        select
            count(*) as keys,
            countif(salt = 'dev-only-salt-not-secret' or length(salt) < 16) as weak
        from {{ loyalty.pii_key_relation() }}
    {%- endset -%}
    {%- set row = run_query(check).rows[0] if key else none -%}
    {%- if row is none or row[0] != 1 or row[1] != 0 -%}
        {{ exceptions.raise_compiler_error(
            "no usable PII key in " ~ target.project ~ "." ~ var('pii_key_schema')
            ~ ".pii_key (missing, more than one row, the development salt or under 16 "
            ~ "characters): export LOYALTY_PII_SALT and run `ml --target " ~ target.name
            ~ " pii-key install`"
        ) }}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}
