{{ config(unique_key='campaign_id') }}

{%- set raw_columns = ['campaign_id', 'partner_id', 'campaign_name', 'starts_at', 'ends_at',
    'points_multiplier', 'updated_at', 'extracted_at'] -%}
{%- set starts_on_ts = 'cast(starts_on as ' ~ dbt.type_timestamp() ~ ')' -%}

-- Every raw campaigns row, typed and checked. Shaped like every base model, on purpose:
-- source -> typed -> validated -> checked -> cdc_versions, the shared steps being macros
-- (macros/project/cdc.sql); what is written here is this table's columns and rules.
with

source as (

    select * from {{ raw_relation('campaigns') }}
    {{ cdc_new_exports('campaigns') }}

),

typed as (

    select
        ----------  ids
        {{ clean_text('campaign_id') }} as campaign_key_raw,
        {{ safe_cast_integer('campaign_id') }} as campaign_id,
        {{ safe_cast_integer('partner_id') }} as partner_id,

        ----------  strings
        {{ clean_text('campaign_name') }} as campaign_name,

        ----------  numerics
        {{ safe_cast_numeric('points_multiplier', 6, 2) }} as points_multiplier,

        ----------  dates and timestamps
        {{ safe_cast_date('starts_at') }} as starts_on,
        {{ safe_cast_date('ends_at') }} as ends_on,

        ----------  cdc timestamps, duplicate bookkeeping and raw text
        {{ cdc_typed_columns(raw_columns) }}

    from source

),

validated as (

    select
        *,
        case
            when campaign_key_raw is null then 'null_key'
            when campaign_id is null or partner_id is null then 'malformed_key'
            when
                updated_at is null or extracted_at is null
                or starts_on is null or ends_on is null
                then 'unparsable_timestamp'
            when {{ after_own_export(['updated_at']) }} then 'future_timestamp'
            when {{ before_program_launch(['updated_at'], catalog=true) }}
                or {{ before_program_launch([starts_on_ts]) }}
                then 'before_program_launch'
            when {{ holds_pii('campaign_name') }} then 'pii_in_free_text'
            when {{ oversized_text(['campaign_name']) }} then 'oversized_text'
            when points_multiplier is null then 'non_numeric_amount'
            when points_multiplier <= 0 then 'negative_amount'
        end as check_reason
    from typed
    {{ cdc_not_loaded_yet() }}

),

checked as (

    select
        campaign_key_raw,
        campaign_id,
        partner_id,
        {{ unless_pii_in_free_text('campaign_name') }} as campaign_name,
        points_multiplier,
        starts_on,
        ends_on,
        updated_at,
        extracted_at,
        {{ cdc_outcome_columns(raw_columns, renamed=['starts_at', 'ends_at'], free_text=['campaign_name']) }}
    from validated

),

{{ cdc_versions('checked', 'campaign_id', raw_columns, renamed=['starts_at', 'ends_at']) }}

select * from final
{{ storage_order(['extracted_at']) }}
