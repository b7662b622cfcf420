{#
    Shared by every base_ model: the CDC bookkeeping columns.

    cdc_copy_number: 1 for the first copy of a raw row, 2+ for exact duplicates (same values in
    every column), which are quarantined as duplicate_row.
    cdc_version_rank: 1 for the latest valid version of a key (latest updated_at wins; the later
    export breaks ties), computed among valid rows only so a bad late version never hides the
    last good one.
#}
{% macro cdc_copy_number(raw_columns) %}
    row_number() over (
        partition by {{ raw_columns | join(', ') }}
        order by {{ raw_columns[0] }}
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

{#- The CDC columns every base model types the same way, plus the bookkeeping for duplicates
    and the raw text kept for the quarantine: the tail of each base model's typed CTE. -#}
{% macro cdc_typed_columns(raw_columns) %}
        {{ safe_cast_timestamp(clean_text('updated_at')) }} as updated_at,
        {{ safe_cast_timestamp(clean_text('extracted_at')) }} as extracted_at,
        {{ cdc_copy_number(raw_columns) }} as cdc_copy_number,
        {{ raw_passthrough(raw_columns) }}
{%- endmacro %}

{#- What every base model ends with: the reason (null = valid), the raw record of a
    quarantined row (PII hashed) and whether the row is its key's current valid version. -#}
{% macro cdc_outcome_columns(key_column, raw_columns, pii=[]) %}
        dq_reason,
        case
            when dq_reason is not null then {{ raw_record_json(raw_columns, pii) }}
        end as raw_record,
        dq_reason is null and {{ cdc_version_rank(key_column) }} = 1 as is_current_version
{%- endmacro %}
