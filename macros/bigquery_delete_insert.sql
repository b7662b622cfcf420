{#- delete+insert, append and the project's replace_tail (macros/replace_tail.sql) on BigQuery.
    The incremental models replace every row of the keys a run touches (all of a member's
    months, or a member's ledger from its first changed movement on), which a merge on the key
    cannot do: one key has many rows, and rows that disappear must go. dbt-bigquery only knows
    merge, insert_overwrite and microbatch and rejects any other strategy by name, so these two
    macros (called by name from its incremental materialization; a root-project macro wins over
    the adapter's) let them through and defer everything else to the adapter's own. Each
    statement is one MERGE (or, to append, one INSERT), so it stays atomic without scripting. -#}
{% macro dbt_bigquery_validate_get_incremental_strategy(config) %}
    {%- if config.get('incremental_strategy') in ('append', 'delete+insert', 'replace_tail') %}
        {{ return(config.get('incremental_strategy')) }}
    {%- endif %}
    {{ return(dbt.dbt_bigquery_validate_get_incremental_strategy(config)) }}
{% endmacro %}

{% macro bq_generate_incremental_build_sql(
    strategy, tmp_relation, target_relation, sql, unique_key, partition_by, partitions,
    dest_columns, tmp_relation_exists, copy_partitions, incremental_predicates
) %}
    {%- set source = tmp_relation if tmp_relation_exists else '(' ~ sql ~ ')' %}
    {%- if strategy == 'delete+insert' %}
        {{ return(bigquery_delete_insert_sql(target_relation, source, unique_key, dest_columns)) }}
    {%- elif strategy == 'replace_tail' %}
        {{ return(replace_tail_sql(target_relation, source, unique_key, dest_columns)) }}
    {%- elif strategy == 'append' %}
        {%- set columns = dest_columns | map(attribute='quoted') | join(', ') %}
        {{ return('insert into ' ~ target_relation ~ ' (' ~ columns ~ ') select ' ~ columns
            ~ ' from ' ~ source) }}
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
