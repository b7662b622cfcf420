{{ config(materialized='table') }}

-- One row per raw row that failed validation, from every raw table: never a silent drop.

with

members as (

    select * from {{ ref('base_loyalty__members') }}

),

partners as (

    select * from {{ ref('base_loyalty__partners') }}

),

stores as (

    select * from {{ ref('base_loyalty__stores') }}

),

products as (

    select * from {{ ref('base_loyalty__products') }}

),

campaigns as (

    select * from {{ ref('base_loyalty__campaigns') }}

),

transactions as (

    select * from {{ ref('base_loyalty__transactions') }}

),

redemptions as (

    select * from {{ ref('base_loyalty__redemptions') }}

),

redemption_items as (

    select * from {{ ref('base_loyalty__redemption_items') }}

),

point_expirations as (

    select * from {{ ref('base_loyalty__point_expirations') }}

),

unioned as (

    select
        'members' as source_table,
        member_key_raw as record_key,
        dq_reason,
        raw_record,
        updated_at,
        extracted_at
    from members
    where dq_reason is not null

    union all

    select
        'partners' as source_table,
        partner_key_raw as record_key,
        dq_reason,
        raw_record,
        updated_at,
        extracted_at
    from partners
    where dq_reason is not null

    union all

    select
        'stores' as source_table,
        store_key_raw as record_key,
        dq_reason,
        raw_record,
        updated_at,
        extracted_at
    from stores
    where dq_reason is not null

    union all

    select
        'products' as source_table,
        product_key_raw as record_key,
        dq_reason,
        raw_record,
        updated_at,
        extracted_at
    from products
    where dq_reason is not null

    union all

    select
        'campaigns' as source_table,
        campaign_key_raw as record_key,
        dq_reason,
        raw_record,
        updated_at,
        extracted_at
    from campaigns
    where dq_reason is not null

    union all

    select
        'transactions' as source_table,
        transaction_key_raw as record_key,
        dq_reason,
        raw_record,
        updated_at,
        extracted_at
    from transactions
    where dq_reason is not null

    union all

    select
        'redemptions' as source_table,
        redemption_key_raw as record_key,
        dq_reason,
        raw_record,
        updated_at,
        extracted_at
    from redemptions
    where dq_reason is not null

    union all

    select
        'redemption_items' as source_table,
        redemption_item_key_raw as record_key,
        dq_reason,
        raw_record,
        updated_at,
        extracted_at
    from redemption_items
    where dq_reason is not null

    union all

    select
        'point_expirations' as source_table,
        expiration_key_raw as record_key,
        dq_reason,
        raw_record,
        updated_at,
        extracted_at
    from point_expirations
    where dq_reason is not null

),

numbered as (

    -- a row sent three times has two identical quarantined copies: number them (a broken row
    -- sent twice is two rows with one raw record, its check's reason and duplicate_row: the
    -- reason breaks the tie, so every build numbers them alike)
    select
        *,
        row_number() over (
            partition by source_table, record_key, raw_record order by extracted_at, dq_reason
        ) as occurrence
    from unioned

),

final as (

    select
        {{ surrogate_key(['source_table', 'record_key', 'raw_record', 'occurrence']) }}
            as quarantine_row_id,
        source_table,
        record_key,
        dq_reason,
        raw_record,
        updated_at,
        extracted_at
    from numbered

)

select * from final
