{#
    The CDC bookkeeping every base_ model shares. A base model is incremental: each run reads
    the raw rows of the exports since its last load (minus the lookback), skips rows it already
    holds (by fingerprint), validates the new ones, and re-ranks the versions of every key they
    touch, so the current version is always the latest *valid* one across all loads.
#}

{#- Raw rows of exports after the last load, minus the lookback (a full refresh reads all). -#}
{% macro cdc_new_exports() %}
    {%- if is_incremental() %}
        {%- set threshold = incremental_threshold() %}
        where {{ safe_cast_timestamp(clean_text('extracted_at')) }} > {{ threshold }}
        {{ raw_partitions_since(threshold) }}
    {%- endif %}
{% endmacro %}

{#- The tail of each typed CTE: CDC timestamps, the row's fingerprint (md5 of every raw
    column) and the raw text kept for the quarantine. -#}
{% macro cdc_typed_columns(raw_columns) %}
        {{ safe_cast_timestamp(clean_text('updated_at')) }} as updated_at,
        {{ safe_cast_timestamp(clean_text('extracted_at')) }} as extracted_at,
        {{ row_fingerprint(raw_columns) }} as row_fingerprint,
        {{ raw_passthrough(raw_columns) }}
{%- endmacro %}

{#- A second (third...) copy of an identical raw row in the batch: an exact duplicate.
    Identical rows share their export, so they always arrive in the same batch. -#}
{% macro cdc_is_duplicate() %}
    row_number() over (partition by row_fingerprint) > 1
{%- endmacro %}

{#- Rows of the batch this model does not hold yet (the lookback re-reads some exports). -#}
{% macro cdc_not_loaded_yet() %}
    {%- if is_incremental() %}
        where row_fingerprint not in (select loaded.row_fingerprint from {{ this }} as loaded)
    {%- endif %}
{% endmacro %}

{#- The reason (null = valid), the raw record of a quarantined row (PII hashed) and the
    fingerprint: the columns a base model's checked CTE ends with. -#}
{% macro cdc_outcome_columns(raw_columns, pii=[]) %}
        dq_reason,
        case
            when dq_reason is not null then {{ raw_record_json(raw_columns, pii) }}
        end as raw_record,
        row_fingerprint
{%- endmacro %}

{#- The new rows plus, on an incremental run, the rows already loaded for the keys they touch;
    then whether each row is its key's current valid version. Emits the `history` and `final`
    CTEs of a base model. -#}
{% macro cdc_versions(checked, key_column) %}
history as (

    select * from {{ checked }}
    {%- if is_incremental() %}
        {%- set loaded = adapter.get_columns_in_relation(this) | map(attribute='name')
            | reject('equalto', 'is_current_version') | list %}
    union all
    select {{ loaded | join(', ') }}
    from {{ this }}
    where {{ key_column }} in (select {{ checked }}.{{ key_column }} from {{ checked }})
    {%- endif %}

),

final as (

    select
        *,
        dq_reason is null and {{ cdc_version_rank(key_column) }} = 1 as is_current_version
    from history

)
{% endmacro %}

{% macro cdc_version_rank(key_column) %}
    row_number() over (
        partition by {{ key_column }}, dq_reason
        order by updated_at desc, extracted_at desc
    )
{% endmacro %}

{#- Trimmed text with empty strings as null: OLTP exports write both for "no value". -#}
{% macro clean_text(column) %}nullif(trim({{ column }}), ''){% endmacro %}

{#- Every raw column again as raw_<name>, so the quarantine can show what arrived. -#}
{% macro raw_passthrough(raw_columns) %}
    {%- for column in raw_columns %}
        {{ column }} as raw_{{ column }}{{ ',' if not loop.last }}
    {%- endfor %}
{% endmacro %}
