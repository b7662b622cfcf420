{{ config(unique_key='store_id') }}

{%- set raw_columns = ['store_id', 'partner_id', 'store_name', 'channel', 'city', 'state',
    'opened_at', 'updated_at', 'extracted_at'] -%}
{%- set opened_at_ts = 'cast(opened_on as ' ~ dbt.type_timestamp() ~ ')' -%}

-- Every raw stores row, typed and checked. Shaped like every base model, on purpose:
-- source -> typed -> validated -> checked -> cdc_versions, the shared steps being macros
-- (macros/project/cdc.sql); what is written here is this table's columns and rules.
with

source as (

    select * from {{ raw_relation('stores') }}
    {{ cdc_new_exports('stores') }}

),

typed as (

    select
        ----------  ids
        {{ clean_text('store_id') }} as store_key_raw,
        {{ safe_cast_integer('store_id') }} as store_id,
        {{ safe_cast_integer('partner_id') }} as partner_id,

        ----------  strings
        {{ clean_text('store_name') }} as store_name,
        lower({{ clean_text('channel') }}) as channel,
        {{ clean_text('city') }} as city,
        upper({{ clean_text('state') }}) as state,

        ----------  dates and timestamps
        {{ safe_cast_date('opened_at') }} as opened_on,

        ----------  cdc timestamps, duplicate bookkeeping and raw text
        {{ cdc_typed_columns(raw_columns) }}

    from source

),

validated as (

    select
        *,
        case
            when store_key_raw is null then 'null_key'
            when store_id is null or partner_id is null then 'malformed_key'
            when updated_at is null or extracted_at is null then 'unparsable_timestamp'
            when {{ after_own_export(['updated_at', opened_at_ts]) }} then 'future_timestamp'
            when {{ before_program_launch(['updated_at'], catalog=true) }} then 'before_program_launch'
            when {{ holds_pii('store_name') }} or {{ holds_pii('city') }} then 'pii_in_free_text'
            when {{ oversized_text(['store_name', 'city']) }} then 'oversized_text'
            when coalesce(channel, '') not in ('physical', 'online') then 'unknown_status'
        end as check_reason
    from typed
    {{ cdc_not_loaded_yet() }}

),

checked as (

    select
        store_key_raw,
        store_id,
        partner_id,
        {{ unless_pii_in_free_text('store_name') }} as store_name,
        channel,
        {{ unless_pii_in_free_text('city') }} as city,
        state,
        opened_on,
        updated_at,
        extracted_at,
        {{ cdc_outcome_columns(raw_columns, renamed=['opened_at'], free_text=['store_name', 'city']) }}
    from validated

),

{{ cdc_versions('checked', 'store_id', raw_columns, renamed=['opened_at']) }}

select * from final
{{ storage_order(['extracted_at']) }}
