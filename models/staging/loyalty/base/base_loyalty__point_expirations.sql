{{ config(unique_key='expiration_id') }}

{%- set raw_columns = ['expiration_id', 'member_id', 'expired_at', 'points_expired',
    'updated_at', 'extracted_at'] -%}

-- Every raw point expirations row, typed and checked. Shaped like every base model, on purpose:
-- source -> typed -> validated -> checked -> cdc_versions, the shared steps being macros
-- (macros/project/cdc.sql); what is written here is this table's columns and rules.
with

source as (

    select * from {{ raw_relation('point_expirations') }}
    {{ cdc_new_exports('point_expirations') }}

),

typed as (

    select
        ----------  ids
        {{ clean_text('expiration_id') }} as expiration_key_raw,
        {{ safe_cast_integer('expiration_id') }} as expiration_id,
        {{ clean_text('member_id') }} as member_key_raw,
        {{ safe_cast_integer('member_id') }} as member_id,

        ----------  numerics
        {{ safe_cast_integer('points_expired') }} as points_expired,

        ----------  timestamps
        {{ safe_cast_timestamp('expired_at') }} as expired_at,

        ----------  cdc timestamps, duplicate bookkeeping and raw text
        {{ cdc_typed_columns(raw_columns) }}

    from source

),

validated as (

    select
        *,
        case
            when expiration_key_raw is null then 'null_key'
            when expiration_id is null or (member_key_raw is not null and member_id is null)
                then 'malformed_key'
            when expired_at is null or updated_at is null or extracted_at is null
                then 'unparsable_timestamp'
            when {{ after_own_export(['expired_at', 'updated_at']) }} then 'future_timestamp'
            when {{ before_program_launch(['expired_at', 'updated_at']) }} then 'before_program_launch'
            when points_expired is null then 'non_numeric_amount'
            when points_expired <= 0 then 'negative_amount'
        end as check_reason
    from typed
    {{ cdc_not_loaded_yet() }}

),

checked as (

    select
        expiration_key_raw,
        expiration_id,
        member_id,
        expired_at,
        points_expired,
        updated_at,
        extracted_at,
        {{ cdc_outcome_columns(raw_columns) }}
    from validated

),

{{ cdc_versions('checked', 'expiration_id', raw_columns) }}

select * from final
{{ storage_order(['extracted_at']) }}
