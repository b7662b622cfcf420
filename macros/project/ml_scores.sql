{#
    The scores table is written by the `ml score` command, not by dbt, but the scored marts read
    it as a source. Creating it (empty) before every run means a fresh warehouse builds its
    scored marts with zero rows instead of failing on a missing table.
    Runs as an on-run-start hook; the DDL is the same on DuckDB and BigQuery.
#}
{% macro create_ml_scores_table() %}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set schema = var('ml_scores_schema') -%}
    {%- set database = target.database if target.type != 'bigquery' else target.project -%}
    {%- set relation = api.Relation.create(database=database, schema=schema, identifier='model_scores') -%}
    {%- do adapter.create_schema(relation) -%}
    {%- set ddl -%}
        create table if not exists {{ relation }} (
            model_name {{ dbt.type_string() }},
            model_version {{ dbt.type_string() }},
            entity_id {{ dbt.type_string() }},
            cutoff_date date,
            score {{ loyalty.type_double() }},
            scored_at {{ dbt.type_timestamp() }}
        )
    {%- endset -%}
    {{ return(ddl) }}
{% endmacro %}
