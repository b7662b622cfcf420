-- Where points movements used to be: the member and time of a movement in another valid
-- version of its source (purchase, redemption order or line, expiration) that the current
-- version moved (another member or another time), with when the current version was loaded.
-- The facts and the ledger hold only where a movement is now; staging's other versions are
-- what remembers where it was: the ledger's and member_monthly's incremental runs start the
-- tails of the members it left here (filtering on superseded_at, which DuckDB pushes into the
-- current versions' scan).
-- Every other valid version that differs is listed, not only the one current before the
-- change (nor only those loaded before it: after a full refresh of staging alone all share one
-- load): a month rebuilt needlessly costs little, a missed one stays wrong. A version that
-- moves nothing (a reversal keeps its purchase's member and time) is not listed, so an
-- ordinary day's reversals rebuild no earlier month.
with

transaction_versions as {{ inline_cte() }} (

    select * from {{ ref('base_loyalty__transactions') }}

),

redemption_versions as {{ inline_cte() }} (

    select * from {{ ref('base_loyalty__redemptions') }}

),

item_versions as {{ inline_cte() }} (

    select * from {{ ref('base_loyalty__redemption_items') }}

),

expiration_versions as {{ inline_cte() }} (

    select * from {{ ref('base_loyalty__point_expirations') }}

),

redemptions as {{ inline_cte() }} (

    select * from {{ ref('stg_loyalty__redemptions') }}

),

-- a purchase's earn sits at its member and purchase time; its reversal, if reversed, at the
-- member and the reversing version's write time (a new version moves it even if only its
-- write time changed)
superseded_earns as (

    {{ moved_versions('transaction_versions', 'transaction_id', ['member_id', 'purchased_at']) }}

),

superseded_reversals as (

    {{ moved_versions('transaction_versions', 'transaction_id', ['member_id', 'status', 'updated_at']) }}

),

superseded_redemptions as (

    {{ moved_versions('redemption_versions', 'redemption_id', ['member_id', 'redeemed_at']) }}

),

-- an order line moved to another order leaves that order's member and time
superseded_items as (

    {{ moved_versions('item_versions', 'redemption_item_id', ['redemption_id']) }}

),

superseded_expirations as (

    {{ moved_versions('expiration_versions', 'expiration_id', ['member_id', 'expired_at']) }}

),

positions as (

    select
        'earn' as movement_type,
        member_id,
        purchased_at as event_at,
        superseded_at
    from superseded_earns
    union all
    select
        'reversal' as movement_type,
        member_id,
        updated_at as event_at,
        superseded_at
    from superseded_reversals
    where status = 'reversed'
    union all
    select
        'redeem' as movement_type,
        member_id,
        redeemed_at as event_at,
        superseded_at
    from superseded_redemptions
    union all
    select
        'redeem' as movement_type,
        redemptions.member_id,
        redemptions.redeemed_at as event_at,
        superseded_items.superseded_at
    from superseded_items
    inner join redemptions on superseded_items.redemption_id = redemptions.redemption_id
    union all
    select
        'expire' as movement_type,
        member_id,
        expired_at as event_at,
        superseded_at
    from superseded_expirations

),

-- distinct: two earlier versions at the same member and time say the same thing once
final as (

    select distinct
        movement_type,
        member_id,
        event_at,
        superseded_at
    from positions
    where member_id is not null and event_at is not null

)

select * from final
