{#- The `replace_tail` incremental strategy: for each key (a member) the new rows carry, the
    stored rows from the key's earliest `tail_column` value on are replaced by the new rows;
    the rows before it stay. A running total (the ledger's balance) only changes from the
    first changed row on, so a late movement costs its member's tail, not its whole history.

    Rows whose `tail_marker_column` is null only say where a key's tail starts: the model
    emits one per key, so a key whose tail is now empty (its last movement moved to another
    member) still loses its old tail. They are never inserted.

    config: unique_key (one column), tail_column, tail_marker_column. Called by dbt as
    get_incremental_<strategy>_sql; BigQuery goes through bq_generate_incremental_build_sql
    (macros/bigquery_delete_insert.sql). -#}
{% macro get_incremental_replace_tail_sql(arg_dict) %}
    {{ return(replace_tail_sql(
        arg_dict['target_relation'], arg_dict['temp_relation'], arg_dict['unique_key'],
        arg_dict['dest_columns'])) }}
{% endmacro %}

{% macro replace_tail_sql(target, source, unique_key, dest_columns) %}
    {%- set tail_column = config.get('tail_column') %}
    {%- set marker_column = config.get('tail_marker_column') %}
    {%- if unique_key is not string or not tail_column or not marker_column %}
        {{ exceptions.raise_compiler_error(
            "replace_tail needs unique_key (one column), tail_column and tail_marker_column") }}
    {%- endif %}
    {{ return(adapter.dispatch('replace_tail_sql', 'loyalty')(
        target, source, adapter.quote(unique_key), adapter.quote(tail_column),
        adapter.quote(marker_column), dest_columns)) }}
{% endmacro %}

{% macro default__replace_tail_sql(target, source, key, tail_column, marker_column, dest_columns) %}
    {%- set columns = dest_columns | map(attribute='quoted') | list %}
delete from {{ target }} as dbt_internal_dest
using (
    select {{ key }}, min({{ tail_column }}) as dbt_tail_from
    from {{ source }}
    group by {{ key }}
) as dbt_internal_tails
where
    dbt_internal_dest.{{ key }} = dbt_internal_tails.{{ key }}
    and dbt_internal_dest.{{ tail_column }} >= dbt_internal_tails.dbt_tail_from;

insert into {{ target }} ({{ columns | join(', ') }})
select {{ columns | join(', ') }}
from {{ source }}
where {{ marker_column }} is not null
{% endmacro %}

{#- One MERGE (atomic without scripting): one marker row per key matches its stored tail
    (deleted); a new row matches nothing (inserted). A stored row matches at most one marker. -#}
{% macro bigquery__replace_tail_sql(target, source, key, tail_column, marker_column, dest_columns) %}
    {%- set columns = dest_columns | map(attribute='quoted') | list %}
merge into {{ target }} as dbt_internal_dest
using (
    select {{ columns | join(', ') }}, false as dbt_is_delete_marker
    from {{ source }}
    where {{ marker_column }} is not null
    union all
    select
        {%- for column in dest_columns %}
        {{ 'min(' ~ column.quoted ~ ')' if column.quoted == tail_column
            else column.quoted if column.quoted == key
            else 'cast(null as ' ~ column.data_type ~ ')' }} as {{ column.quoted }},
        {%- endfor %}
        true as dbt_is_delete_marker
    from {{ source }}
    group by {{ key }}
) as dbt_internal_source
on
    dbt_internal_source.dbt_is_delete_marker
    and dbt_internal_dest.{{ key }} = dbt_internal_source.{{ key }}
    and dbt_internal_dest.{{ tail_column }} >= dbt_internal_source.{{ tail_column }}
when matched then delete
when not matched and not dbt_internal_source.dbt_is_delete_marker then
    insert ({{ columns | join(', ') }})
    values ({{ columns | join(', ') }})
{% endmacro %}

{#- The rows of `relation` in the tails a replace_tail run rebuilds: each key's rows from its
    tail start on (`tails` has the key, `tail_from` and any `carry` columns, such as an
    opening balance). The semi-join on the touched keys (`keys`, default `tails`: best a
    materialized CTE, with the key and `tail_from` too) lets DuckDB read only their rows before
    the range join: planned from its estimates, it otherwise joined the whole history to the
    tails, or built its hash table on the history (4-5 s instead of under 1 s for the ledger at
    a million members). The earliest tail start of all, implied by the join, drops the
    touched keys' older history before it (most tails start days ago, the rows go back
    years): the ledger's statement of a day at a million members, run alone, 1.8 -> 1.3 s. -#}
{% macro tail_rows(relation, tails, column, tail_from, key='member_id', carry=[], keys=none) %}
    {%- set keys = keys or tails %}
    select
        {{ relation }}.*
        {%- for extra in carry %},
        {{ tails }}.{{ extra }}
        {%- endfor %}
    from {{ relation }}
    inner join {{ tails }}
        on
            {{ relation }}.{{ key }} = {{ tails }}.{{ key }}
            and {{ relation }}.{{ column }} >= {{ tails }}.{{ tail_from }}
    where
        {{ relation }}.{{ key }} in (select {{ keys }}.{{ key }} from {{ keys }})
        and {{ relation }}.{{ column }} >= (select min({{ keys }}.{{ tail_from }}) from {{ keys }})
{%- endmacro %}

{#- The rows of a replace_tail model: the model's new rows (`rows`, a CTE best inlined), then
    on an incremental run one marker per touched key from `tails`, which says where that key's
    stored tail is deleted from even when no row of it is left. `values`: the marker's
    non-null columns (the key and the tail column) as SQL over `tails`; every other column is
    a null of its type in `rows`, the marker column included, so a marker is never inserted. -#}
{% macro rows_and_tail_markers(rows, tails, values) %}
    select * from {{ rows }}
    {%- if is_incremental() %}
    union all
    select nothing.{{ loyalty.star_except([], replace=values) }}
    from {{ tails }}
    left join (select * from {{ rows }} where 1 = 0) as nothing on 1 = 0
    {%- endif %}
{%- endmacro %}
