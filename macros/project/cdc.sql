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
