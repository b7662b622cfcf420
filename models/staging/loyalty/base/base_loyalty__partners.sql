{{ config(unique_key='partner_id') }}

{%- set raw_columns = ['partner_id', 'cnpj', 'partner_name', 'segment', 'points_per_brl',
    'updated_at', 'extracted_at'] -%}

-- Every raw partners row, typed and checked. Shaped like every base model, on purpose:
-- source -> typed -> validated -> checked -> cdc_versions, the shared steps being macros
-- (macros/project/cdc.sql); what is written here is this table's columns and rules.
with

source as (

    select * from {{ raw_relation('partners') }}
    {{ cdc_new_exports('partners') }}

),

typed as (

    select
        ----------  ids
        {{ clean_text('partner_id') }} as partner_key_raw,
        {{ safe_cast_integer('partner_id') }} as partner_id,

        ----------  strings
        {{ clean_text('cnpj') }} as cnpj,
        {{ clean_text('partner_name') }} as partner_name,
        lower({{ clean_text('segment') }}) as segment,

        ----------  numerics
        {{ safe_cast_numeric('points_per_brl', 6, 2) }} as points_per_brl,

        ----------  cdc timestamps, duplicate bookkeeping and raw text
        {{ cdc_typed_columns(raw_columns) }}

    from source

),

validated as (

    select
        *,
        case
            when partner_key_raw is null then 'null_key'
            when partner_id is null then 'malformed_key'
            when updated_at is null or extracted_at is null then 'unparsable_timestamp'
            when {{ after_own_export(['updated_at']) }} then 'future_timestamp'
            when {{ before_program_launch(['updated_at'], catalog=true) }} then 'before_program_launch'
            when {{ holds_pii('partner_name') }} then 'pii_in_free_text'
            when {{ oversized_text(['partner_name']) }} then 'oversized_text'
            when points_per_brl is null then 'non_numeric_amount'
            when points_per_brl <= 0 then 'negative_amount'
            when
                coalesce(segment, '')
                not in ('supermarket', 'pharmacy', 'fuel', 'ecommerce', 'credit_card')
                then 'unknown_status'
        end as check_reason
    from typed
    {{ cdc_not_loaded_yet() }}

),

checked as (

    select
        partner_key_raw,
        partner_id,
        cnpj,
        {{ unless_pii_in_free_text('partner_name') }} as partner_name,
        segment,
        points_per_brl,
        updated_at,
        extracted_at,
        {{ cdc_outcome_columns(raw_columns, free_text=['partner_name']) }}
    from validated

),

{{ cdc_versions('checked', 'partner_id', raw_columns) }}

select * from final
{{ storage_order(['extracted_at']) }}
