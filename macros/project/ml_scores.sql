{#
    The tables the `ml` CLI writes (ml/warehouse/base.py: SCORES, VERSIONS, DRIFT) are not dbt's, but
    the marts read them as sources. Creating them (empty) before every run means a fresh
    warehouse builds its scored and monitoring marts with zero rows instead of failing on a
    missing table. Runs as on-run-start hooks, one per table, the first also creating the
    schema; the DDL is the same on DuckDB and BigQuery. tests/integration/test_ml.py checks these columns against the CLI's.
#}
{% macro create_ml_output_table(name, create_schema=false) %}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set s, f, d, ts, b = dbt.type_string(), loyalty.type_double(), 'date', dbt.type_timestamp(), dbt.type_boolean() -%}
    {%- set tables = {
        'model_scores': [
            ('model_name', s), ('model_version', s), ('entity_id', s), ('cutoff_date', d),
            ('score', f), ('scored_at', ts)],
        'model_versions': [
            ('model_name', s), ('model_version', s), ('task', s), ('target', s),
            ('population', s), ('first_test_cutoff', d), ('test_roc_auc', f), ('test_brier', f),
            ('test_log_loss', f), ('test_mae', f), ('test_mse', f), ('is_champion', b),
            ('mlflow_run_id', s), ('written_at', ts)],
        'feature_drift': [
            ('model_name', s), ('model_version', s), ('cutoff_date', d), ('feature', s),
            ('kind', s), ('psi', f), ('rows_compared', 'bigint'), ('computed_at', ts)],
    } -%}
    {%- set schema = var('ml_scores_schema') -%}
    {%- set database = target.database if target.type != 'bigquery' else target.project -%}
    {%- set relation = api.Relation.create(database=database, schema=schema, identifier=name) -%}
    {#- once, in the first hook: DuckDB refuses a second `create schema` of the same name while
        an earlier hook's transaction is open (a catalog write-write conflict) -#}
    {%- if create_schema -%}{%- do adapter.create_schema(relation) -%}{%- endif -%}
    {%- set ddl -%}
        create table if not exists {{ relation }} (
            {%- for column, data_type in tables[name] %}
            {{ column }} {{ data_type }}{{ ',' if not loop.last }}
            {%- endfor %}
        )
    {%- endset -%}
    {{ return(ddl) }}
{% endmacro %}
