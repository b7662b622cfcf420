-- Every points movement of every member, signed: + earn, - reversal, - redeem, - expire.
-- The ledger adds the member version and the running balance on top of this.
with

transactions as {{ inline_cte() }} (

    select * from {{ ref('stg_loyalty__transactions') }}

),

redemption_items as (

    select * from {{ ref('fct_redemption_items') }}

),

expirations as (

    select * from {{ ref('stg_loyalty__point_expirations') }}

),

earned as (

    select
        'earn' as movement_type,
        transaction_id as source_id,
        member_id,
        purchased_at as event_at,
        points_earned as points,
        extracted_at,
        loaded_at
    from transactions

),

reversed as (

    select
        'reversal' as movement_type,
        transaction_id as source_id,
        member_id,
        -- reversed_at, by the column it is made of (the reversal version's updated_at): a
        -- ledger tail's time filter then reaches the stored column's zone maps, not a case
        updated_at as event_at,
        -points_earned as points,
        extracted_at,
        loaded_at
    from transactions
    where is_reversed

),

redeemed as (

    select
        'redeem' as movement_type,
        redemption_item_id as source_id,
        member_id,
        redeemed_at as event_at,
        -points_spent as points,
        extracted_at,
        loaded_at
    from redemption_items

),

expired as (

    select
        'expire' as movement_type,
        expiration_id as source_id,
        member_id,
        expired_at as event_at,
        -points_expired as points,
        extracted_at,
        loaded_at
    from expirations

),

final as (

    select * from earned
    union all
    select * from reversed
    union all
    select * from redeemed
    union all
    select * from expired

)

select * from final
