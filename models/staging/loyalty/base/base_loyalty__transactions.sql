{{ config(unique_key='transaction_id') }}

{%- set raw_columns = ['transaction_id', 'member_id', 'store_id', 'campaign_id', 'purchased_at',
    'amount_brl', 'points_earned', 'status', 'updated_at', 'extracted_at'] -%}

-- Every raw transactions row, typed and checked. Shaped like every base model, on purpose:
-- source -> typed -> validated -> checked -> cdc_versions, the shared steps being macros
-- (macros/project/cdc.sql); what is written here is this table's columns and rules.
with

source as (

    select * from {{ raw_relation('transactions') }}
    {{ cdc_new_exports('transactions') }}

),

stores as (

    select * from {{ ref('stg_loyalty__stores') }}

),

partners as (

    select * from {{ ref('stg_loyalty__partners') }}

),

campaigns as (

    select * from {{ ref('stg_loyalty__campaigns') }}

),

typed as (

    select
        ----------  ids
        {{ clean_text('transaction_id') }} as transaction_key_raw,
        {{ safe_cast_integer('transaction_id') }} as transaction_id,
        {{ clean_text('member_id') }} as member_key_raw,
        {{ safe_cast_integer('member_id') }} as member_id,
        {{ clean_text('store_id') }} as store_key_raw,
        {{ safe_cast_integer('store_id') }} as store_id,
        {{ clean_text('campaign_id') }} as campaign_key_raw,
        {{ safe_cast_integer('campaign_id') }} as campaign_id,

        ----------  strings
        lower({{ clean_text('status') }}) as status,

        ----------  numerics
        {{ safe_cast_numeric('amount_brl', 12, 2) }} as amount_brl,
        {{ safe_cast_integer('points_earned') }} as points_earned,

        ----------  timestamps
        {{ safe_cast_timestamp('purchased_at') }} as purchased_at,

        ----------  cdc timestamps, duplicate bookkeeping and raw text
        {{ cdc_typed_columns(raw_columns) }}

    from source

),

-- Points a purchase should earn: amount x the partner's rate x the campaign multiplier.
-- Unknown stores cannot be checked; those rows go on to the unknown store, unchecked.
with_expected_points as (

    select
        typed.*,
        floor(
            typed.amount_brl * partners.points_per_brl * coalesce(campaigns.points_multiplier, 1)
        ) as expected_points
    from typed
    left join stores on typed.store_id = stores.store_id
    left join partners on stores.partner_id = partners.partner_id
    left join campaigns on typed.campaign_id = campaigns.campaign_id

),

validated as (

    select
        *,
        case
            when transaction_key_raw is null then 'null_key'
            when transaction_id is null
                or (member_key_raw is not null and member_id is null)
                or (store_key_raw is not null and store_id is null)
                or (campaign_key_raw is not null and campaign_id is null)
                then 'malformed_key'
            when purchased_at is null or updated_at is null or extracted_at is null
                then 'unparsable_timestamp'
            when {{ after_own_export(['purchased_at', 'updated_at']) }} then 'future_timestamp'
            when {{ before_program_launch(['purchased_at', 'updated_at']) }}
                then 'before_program_launch'
            when (amount_brl is null and {{ is_number_text('raw_amount_brl') }})
                or (points_earned is null and {{ is_number_text('raw_points_earned') }})
                then 'numeric_overflow'
            when amount_brl is null or points_earned is null then 'non_numeric_amount'
            when amount_brl < 0 or points_earned < 0 then 'negative_amount'
            when amount_brl > {{ var('max_purchase_amount_brl') }} then 'amount_above_ceiling'
            when coalesce(status, '') not in ('approved', 'reversed') then 'unknown_status'
            -- one point of slack: some POS systems round instead of truncating
            when abs(points_earned - expected_points) > 1 then 'points_mismatch'
        end as check_reason
    from with_expected_points
    {{ cdc_not_loaded_yet() }}

),

checked as (

    select
        transaction_key_raw,
        transaction_id,
        member_id,
        store_id,
        campaign_id,
        purchased_at,
        amount_brl,
        points_earned,
        status,
        updated_at,
        extracted_at,
        {{ cdc_outcome_columns(raw_columns) }}
    from validated

),

{{ cdc_versions('checked', 'transaction_id', raw_columns) }}

select * from final
{{ storage_order(['extracted_at']) }}
