{#- delete+insert on BigQuery. The incremental models replace every row of the keys a run
    touches (a member's whole ledger, all of a member's months), which a merge on the key
    cannot do: one key has many rows, and rows that disappear must go. dbt-bigquery only
    knows merge, insert_overwrite and microbatch and rejects any other strategy by name, so
    these two macros (called by name from its incremental materialization; a root-project
    macro wins over the adapter's) let 'delete+insert' through and defer everything else to
    the adapter's own. The statement is one MERGE, so it stays atomic without scripting. -#}
{% macro dbt_bigquery_validate_get_incremental_strategy(config) %}
    {%- if config.get('incremental_strategy') == 'delete+insert' %}
        {{ return('delete+insert') }}
    {%- endif %}
    {{ return(dbt.dbt_bigquery_validate_get_incremental_strategy(config)) }}
{% endmacro %}

{% macro bq_generate_incremental_build_sql(
    strategy, tmp_relation, target_relation, sql, unique_key, partition_by, partitions,
    dest_columns, tmp_relation_exists, copy_partitions, incremental_predicates
) %}
    {%- if strategy == 'delete+insert' %}
        {%- set source = tmp_relation if tmp_relation_exists else '(' ~ sql ~ ')' %}
        {{ return(bigquery_delete_insert_sql(target_relation, source, unique_key, dest_columns)) }}
    {%- endif %}
    {{ return(dbt.bq_generate_incremental_build_sql(
        strategy, tmp_relation, target_relation, sql, unique_key, partition_by, partitions,
        dest_columns, tmp_relation_exists, copy_partitions, incremental_predicates)) }}
{% endmacro %}

{#- The new rows, plus one marker row per distinct key they carry. A marker matches every
    loaded row of its key (deleted); a new row matches nothing (inserted). Each loaded row
    matches at most one marker, as MERGE requires. The keys are compared with `=`: they are
    never null (the models test it). -#}
{% macro bigquery_delete_insert_sql(target, source, unique_key, dest_columns) %}
    {%- set keys = [unique_key] if unique_key is string else unique_key %}
    {%- set columns = dest_columns | map(attribute='quoted') | list %}
merge into {{ target }} as dbt_internal_dest
using (
    select {{ columns | join(', ') }}, false as dbt_is_delete_marker
    from {{ source }}
    union all
    select distinct
        {%- for column in dest_columns %}
        {{ column.quoted if column.name in keys
            else 'cast(null as ' ~ column.data_type ~ ')' }} as {{ column.quoted }},
        {%- endfor %}
        true as dbt_is_delete_marker
    from {{ source }}
) as dbt_internal_source
on dbt_internal_source.dbt_is_delete_marker
    {%- for key in keys %}
    and dbt_internal_dest.{{ adapter.quote(key) }} = dbt_internal_source.{{ adapter.quote(key) }}
    {%- endfor %}
when matched then delete
when not matched and not dbt_internal_source.dbt_is_delete_marker then
    insert ({{ columns | join(', ') }})
    values ({{ columns | join(', ') }})
{% endmacro %}
