{#
    The CDC bookkeeping every base_ model shares. A base model is incremental: each run reads
    the raw rows of the exports since its last load (minus the lookback), skips rows it already
    holds (by fingerprint), validates the new ones, and re-ranks the versions of every key they
    touch, so the current version is always the latest *valid* one across all loads.
#}

{#- Raw rows of exports after the last load, minus the lookback (a full refresh reads all). -#}
{% macro cdc_new_exports(table_name=none) %}
    {%- if table_name and not is_incremental() %}{{ loyalty.check_lake(table_name) }}{% endif %}
    {%- if is_incremental() %}
        {%- set threshold = incremental_threshold() %}
        {%- if table_name %}{{ loyalty.check_lake(table_name, threshold) }}{% endif %}
        where {{ safe_cast_timestamp('extracted_at') }} > {{ threshold }}
        {{ raw_partitions_since(threshold) }}
    {%- endif %}
{% endmacro %}

{#- The tail of each typed CTE: CDC timestamps, the row's fingerprint (md5 of every raw
    column) and the raw text kept for the quarantine. -#}
{% macro cdc_typed_columns(raw_columns) %}
        {{ safe_cast_timestamp('updated_at') }} as updated_at,
        {{ safe_cast_timestamp('extracted_at') }} as extracted_at,
        {{ row_fingerprint(raw_columns) }} as row_fingerprint,
        {{ raw_passthrough(raw_columns) }}
{%- endmacro %}

{#- Rows of the batch this model does not hold yet (the lookback re-reads some exports).
    A row and its loaded copy share extracted_at (the fingerprint covers it), so only the
    loaded rows of the re-read exports are candidates, not the whole table. -#}
{% macro cdc_not_loaded_yet() %}
    {%- if is_incremental() %}
        where row_fingerprint not in (
            select loaded.row_fingerprint from {{ this }} as loaded
            where loaded.extracted_at > {{ incremental_threshold() }}
        )
    {%- endif %}
{% endmacro %}

{#- The columns a base model's checked CTE ends with: the first rule the row breaks
    (check_reason; duplicates are found later, in cdc_versions), its raw record and its
    fingerprint. Free-text columns (`free_text`) are hashed in the record of a row
    quarantined for holding PII in them (pii_in_free_text), like the PII columns always are.

    The raw record (PII hashed) is the JSON of the raw_<column> passthrough. It is built here,
    before the version window, for every row that fails a check or whose raw text differs from
    its typed value (padding, upper case, PII), because carrying the raw text columns through
    a window over tens of millions of rows costs more than the rest of the model. A duplicate
    of a row that arrived clean gets its record from the typed columns in cdc_versions, which
    for such a row render back to exactly the raw text. A table with PII or with raw columns
    typed under another name (`renamed`) has no such rendering: every row keeps its record. -#}
{% macro cdc_outcome_columns(raw_columns, pii=[], renamed=[], free_text=[]) %}
        check_reason,
        {%- if pii or renamed %}
        {{ raw_record_json(raw_columns, pii, free_text) }} as raw_record,
        {%- else %}
        case
            when check_reason is not null
            {%- for column in raw_columns %}
                or {{ differs('raw_' ~ column, 'cast(' ~ column ~ ' as ' ~ dbt.type_string() ~ ')') }}
            {%- endfor %}
                then {{ raw_record_json(raw_columns, free_text=free_text) }}
        end as raw_record,
        {%- endif %}
        row_fingerprint
{%- endmacro %}

{#- The new rows plus, on an incremental run, the rows already loaded for the keys they touch;
    then one window over each key's versions, latest first, that finds both the duplicates and
    the current version. New rows are stamped with the run's loaded_at (run_loaded_at).
    Emits the `history`, `ranked`, `outcome` and `final` CTEs of a base model.

    An exact duplicate (a second copy of an identical raw row) sorts right after its first
    copy, since every ordering column and the fingerprint are equal: it is the row whose
    fingerprint repeats the previous one. Identical rows share their export, so they always
    arrive in the same batch, and rows already loaded keep the reason they were given. The
    current version is the first row with no check failure: a duplicate never is, since its
    first copy comes before it.

    The key's raw text (`<key without _id>_key_raw`, which only the quarantine reads) goes
    through the window only where it differs from the key's own text ('007', or no key): a
    14-character string on every row made the window over the 39M purchases at 1M members
    twice as slow (22.7 vs 12.0 s). `final` renders it back, so the column is unchanged. -#}
{% macro cdc_versions(checked, key_column, raw_columns, pii=[], renamed=[]) %}
{%- set key_raw = key_column[:-3] ~ '_key_raw' %}
{%- set key_text = 'cast(' ~ key_column ~ ' as ' ~ dbt.type_string() ~ ')' %}
history as (

    select
        {{ star_except([], replace={key_raw: 'nullif(' ~ key_raw ~ ', ' ~ key_text ~ ')'}) }},
        {{ run_loaded_at() }} as loaded_at,
        true as is_new_row
    from {{ checked }}
    {%- if is_incremental() %}
        {%- set loaded = [] %}
        {%- for column in adapter.get_columns_in_relation(this)
            if column.name != 'is_current_version' %}
            {%- do loaded.append(
                'dq_reason as check_reason' if column.name == 'dq_reason' else column.name) %}
        {%- endfor %}
    union all
    select
        {{ loaded | join(',\n        ') }},
        false as is_new_row
    from {{ this }}
    where {{ key_column }} in (select {{ checked }}.{{ key_column }} from {{ checked }})
    {%- endif %}

),

ranked as (

    select
        *,
        coalesce(
            row_fingerprint = lag(row_fingerprint) over ({{ cdc_version_order(key_column) }}),
            false
        ) as repeats_previous_row,
        count(case when check_reason is null then 1 end) over (
            {{ cdc_version_order(key_column) }}
            rows between unbounded preceding and 1 preceding
        ) as later_valid_versions
    from history

),

outcome as (

    select
        *,
        case
            when is_new_row and repeats_previous_row then 'duplicate_row'
            else check_reason
        end as dq_reason
    from ranked

),

final as (

    select
        {{ star_except(['check_reason', 'raw_record', 'row_fingerprint', 'loaded_at',
            'is_new_row', 'repeats_previous_row', 'later_valid_versions', 'dq_reason'],
            replace={key_raw: 'coalesce(' ~ key_raw ~ ', ' ~ key_text ~ ')'}) }},
        dq_reason,
        {%- if pii or renamed %}
        case when dq_reason is not null then raw_record end as raw_record,
        {%- else %}
        case
            when dq_reason is not null then coalesce(raw_record, {{ to_json_text(raw_columns) }})
        end as raw_record,
        {%- endif %}
        row_fingerprint,
        check_reason is null and later_valid_versions = 0 as is_current_version,
        loaded_at
    from outcome

)
{% endmacro %}

{#- Latest updated_at first, the later export breaks ties, then the fingerprint, so the order
    is total up to identical rows. -#}
{% macro cdc_version_order(key_column) -%}
    partition by {{ key_column }}
    order by updated_at desc, extracted_at desc, row_fingerprint
{%- endmacro %}

{#- Trimmed text with empty strings as null: OLTP exports write both for "no value". -#}
{% macro clean_text(column) %}nullif(trim({{ column }}), ''){% endmacro %}

{#- Every raw column again as raw_<name>, so the quarantine can show what arrived. -#}
{% macro raw_passthrough(raw_columns) %}
    {%- for column in raw_columns %}
        {{ column }} as raw_{{ column }}{{ ',' if not loop.last }}
    {%- endfor %}
{% endmacro %}

{#- The other valid versions of each key where the current version differs from them in any
    of `moved` (a null-safe comparison), with those columns as they were and the current
    version's loaded_at as superseded_at: where a record's movement used to be, for
    int_points_movements_superseded. A quarantined version never made a movement. Versions are
    not told apart by load time: after a full refresh of staging alone they all share one, and
    a version that was never current only rebuilds a little more. -#}
{% macro moved_versions(versions, key_column, moved) %}
    select
        {%- for column in moved %}
        earlier.{{ column }},
        {%- endfor %}
        current_version.loaded_at as superseded_at
    from {{ versions }} as earlier
    inner join {{ versions }} as current_version
        on earlier.{{ key_column }} = current_version.{{ key_column }}
    where
        current_version.is_current_version
        and not earlier.is_current_version
        and earlier.dq_reason is null
        and (
            {%- for column in moved %}
            {{ 'or ' if not loop.first }}{{ differs('earlier.' ~ column, 'current_version.' ~ column) }}
            {%- endfor %}
        )
{%- endmacro %}

{#- a != b with nulls as values ("a is distinct from b", spelled out: sqlfluff cannot parse
    the former): true when exactly one side is null -#}
{% macro differs(a, b) -%}
    coalesce({{ a }} != {{ b }}, {{ a }} is not null or {{ b }} is not null)
{%- endmacro %}

{#- A staging model's rows: the current valid version of each key of its base model
    (is_current_version), with the entity's `columns` (names or `expression as name`) and the
    CDC bookkeeping the marts read: updated_at, extracted_at, and loaded_at where an
    incremental mart picks its rows by it. -#}
{% macro current_versions(base, columns, loaded_at=true) -%}
    {%- set lines = columns + ['updated_at', 'extracted_at'] + (['loaded_at'] if loaded_at else []) %}
    select
        {{ lines | join(',\n        ') }}
    from {{ base }}
    where is_current_version
{%- endmacro %}
