{#- Where dbt-duckdb stages an incremental model's new rows before delete+insert: a regular
    table next to the model (`<model>__dbt_tmp`, dropped after the run) instead of a DuckDB
    TEMPORARY table. At a million members a month's first export stages 19M member-month rows:
    as a temporary table they held DuckDB's memory limit while the query still needed it and
    the run failed (out of memory at 5 GB), where the same SQL written to a regular table, as
    a full refresh does, passes. Overrides the adapter's macro of the same name (MotherDuck
    takes this path too, for another reason). -#}
{% macro duckdb__dispatch_temporary_relation(target_relation, batch_id='') %}
    {%- set suffix = '__dbt_tmp' ~ (batch_id or '') -%}
    {%- set relation = target_relation.incorporate(
        path={'identifier': target_relation.identifier ~ suffix}) -%}
    {#- a run that failed half-way may have left it behind -#}
    {%- do adapter.drop_relation(relation) -%}
    {%- do return({'relation': relation, 'temporary': false}) -%}
{% endmacro %}
