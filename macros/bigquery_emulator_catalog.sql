{#- `dbt docs generate` on the local BigQuery emulator. dbt-bigquery's catalog query reads the
    `__TABLES__` meta-table and INFORMATION_SCHEMA.COLUMN_FIELD_PATHS, which the emulator does
    not have. When LOYALTY_BQ_EMULATOR_PORT is set (make test-bigquery sets it), the catalog is
    built from table metadata instead: the tables and views of the API's listing, their columns
    from each table's schema. Otherwise the adapter's own macros run, unchanged. -#}
{% macro bigquery__get_catalog(information_schema, schemas) -%}
    {%- if not _on_bigquery_emulator() %}
        {{ return(dbt.bigquery__get_catalog(information_schema, schemas)) }}
    {%- endif %}
    {%- set relations = [] %}
    {%- for schema in schemas %}
        {%- set schema_relation = api.Relation.create(
            database=information_schema.database, schema=schema) %}
        {%- do relations.extend(adapter.list_relations_without_caching(schema_relation)) %}
    {%- endfor %}
    {{ return(_catalog_from_metadata(relations)) }}
{%- endmacro %}

{% macro bigquery__get_catalog_relations(information_schema, relations) -%}
    {%- if not _on_bigquery_emulator() %}
        {{ return(dbt.bigquery__get_catalog_relations(information_schema, relations)) }}
    {%- endif %}
    {%- set found = [] %}
    {%- for relation in relations %}
        {%- set loaded = adapter.get_relation(
            database=relation.database, schema=relation.schema, identifier=relation.identifier) %}
        {%- if loaded is not none %}
            {%- do found.append(loaded) %}
        {%- endif %}
    {%- endfor %}
    {{ return(_catalog_from_metadata(found)) }}
{%- endmacro %}

{% macro _on_bigquery_emulator() -%}
    {{ return(env_var('LOYALTY_BQ_EMULATOR_PORT', '') != '') }}
{%- endmacro %}

{#- One row per column, in the columns dbt's catalog reads (the stats__ columns are optional
    and left out: the emulator reports no sizes). Returned as a query of literals, since a
    macro can only hand dbt a table through run_query. -#}
{% macro _catalog_from_metadata(relations) -%}
    {%- set rows = [] %}
    {%- for relation in relations %}
        {%- set table_type = 'view' if relation.is_view else 'table' %}
        {%- for column in adapter.get_columns_in_relation(relation) %}
            {%- do rows.append(
                "select '" ~ relation.database ~ "' as table_database, '"
                ~ relation.schema ~ "' as table_schema, '"
                ~ relation.identifier ~ "' as table_name, '"
                ~ table_type ~ "' as table_type, "
                ~ "cast(null as string) as table_comment, '"
                ~ column.name ~ "' as column_name, "
                ~ loop.index ~ " as column_index, '"
                ~ column.data_type ~ "' as column_type, "
                ~ "'' as column_comment") %}
        {%- endfor %}
    {%- endfor %}
    {%- if not rows %}
        {%- do rows.append("select 1 as id limit 0") %}
    {%- endif %}
    {{ return(run_query(rows | join('\nunion all\n'))) }}
{%- endmacro %}
