{{
    config(
        materialized='incremental',
        unique_key='transaction_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        partition_by=bigquery_partition('purchase_date'),
        cluster_by=['member_id'],
    )
}}

-- One row per purchase (the latest valid CDC version), keyed to the member version valid
-- when the purchase happened. Unresolvable keys point at the dimensions' unknown rows.
-- Incremental: each run replaces the purchases staging loaded a new version of since this
-- model's last run (loaded_at), so a later reversal rewrites its row.
with

transactions as (

    select * from {{ ref('stg_loyalty__transactions') }}
    {% if is_incremental() %}
        where loaded_at > {{ incremental_threshold('loaded_at', lookback_days=0) }}
    {% endif %}

),

members as (

    select * from {{ ref('dim_member') }}

),

stores as (

    select * from {{ ref('dim_store') }}

),

campaigns as (

    select * from {{ ref('dim_campaign') }}

),

joined as (

    select
        transactions.transaction_id,
        coalesce(members.member_sk, '-1') as member_sk,
        coalesce(stores.store_sk, '-1') as store_sk,
        coalesce(stores.partner_sk, '-1') as partner_sk,
        case
            when transactions.campaign_id is null then '-2'
            else coalesce(campaigns.campaign_sk, '-1')
        end as campaign_sk,
        transactions.member_id,
        transactions.store_id,
        transactions.campaign_id,
        transactions.purchased_at,
        cast(transactions.purchased_at as date) as purchase_date,
        transactions.amount_brl,
        transactions.points_earned,
        transactions.status,
        transactions.is_reversed,
        transactions.reversed_at,
        transactions.extracted_at,
        transactions.loaded_at
    from transactions
    left join members
        on
            transactions.member_id = members.member_id
            and {{ is_valid_at('transactions.purchased_at', 'members.valid_from', 'members.valid_to') }}
    left join stores on transactions.store_id = stores.store_id
    left join campaigns on transactions.campaign_id = campaigns.campaign_id

),

final as (

    select
        transaction_id,
        member_sk,
        store_sk,
        partner_sk,
        campaign_sk,
        member_id,
        store_id,
        campaign_id,
        purchased_at,
        purchase_date,
        amount_brl,
        points_earned,
        status,
        is_reversed,
        reversed_at,
        extracted_at,
        loaded_at
    from joined

)

select * from final
