{{ config(unique_key='redemption_id') }}

{%- set raw_columns = ['redemption_id', 'member_id', 'redeemed_at', 'channel', 'updated_at',
    'extracted_at'] -%}

-- Every raw redemptions row, typed and checked. Shaped like every base model, on purpose:
-- source -> typed -> validated -> checked -> cdc_versions, the shared steps being macros
-- (macros/project/cdc.sql); what is written here is this table's columns and rules.
with

source as (

    select * from {{ raw_relation('redemptions') }}
    {{ cdc_new_exports('redemptions') }}

),

typed as (

    select
        ----------  ids
        {{ clean_text('redemption_id') }} as redemption_key_raw,
        {{ safe_cast_integer('redemption_id') }} as redemption_id,
        {{ clean_text('member_id') }} as member_key_raw,
        {{ safe_cast_integer('member_id') }} as member_id,

        ----------  strings
        lower({{ clean_text('channel') }}) as channel,

        ----------  timestamps
        {{ safe_cast_timestamp('redeemed_at') }} as redeemed_at,

        ----------  cdc timestamps, duplicate bookkeeping and raw text
        {{ cdc_typed_columns(raw_columns) }}

    from source

),

validated as (

    select
        *,
        case
            when redemption_key_raw is null then 'null_key'
            when redemption_id is null or (member_key_raw is not null and member_id is null)
                then 'malformed_key'
            when redeemed_at is null or updated_at is null or extracted_at is null
                then 'unparsable_timestamp'
            when {{ after_own_export(['redeemed_at', 'updated_at']) }} then 'future_timestamp'
            when {{ before_program_launch(['redeemed_at', 'updated_at']) }} then 'before_program_launch'
            when coalesce(channel, '') not in ('app', 'web', 'call_center') then 'unknown_status'
        end as check_reason
    from typed
    {{ cdc_not_loaded_yet() }}

),

checked as (

    select
        redemption_key_raw,
        redemption_id,
        member_id,
        redeemed_at,
        channel,
        updated_at,
        extracted_at,
        {{ cdc_outcome_columns(raw_columns) }}
    from validated

),

{{ cdc_versions('checked', 'redemption_id', raw_columns) }}

select * from final
{{ storage_order(['extracted_at']) }}
