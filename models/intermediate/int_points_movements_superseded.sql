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
-- member and the reversing version's write time. Inlined where read: materialized (DuckDB's
-- default for a CTE read twice) it joined every version before a reader's filter on
-- superseded_at could reach the scan (0.35 s instead of 0.01 s per reader at a million members)
superseded_transactions as {{ inline_cte() }} (

    select
        earlier.member_id,
        earlier.purchased_at,
        earlier.status,
        earlier.updated_at,
        {{ differs('earlier.member_id', 'current_version.member_id') }}
        or earlier.purchased_at != current_version.purchased_at as earn_moved,
        {{ differs('earlier.member_id', 'current_version.member_id') }}
        or current_version.status != 'reversed'
        or earlier.updated_at != current_version.updated_at as reversal_moved,
        current_version.loaded_at as superseded_at
    from transaction_versions as earlier
    inner join transaction_versions as current_version
        on earlier.transaction_id = current_version.transaction_id
    where
        current_version.is_current_version
        and not earlier.is_current_version
        and earlier.dq_reason is null

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
    from superseded_transactions
    where earn_moved
    union all
    select
        'reversal' as movement_type,
        member_id,
        updated_at as event_at,
        superseded_at
    from superseded_transactions
    where status = 'reversed' and reversal_moved
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

final as (

    select
        movement_type,
        member_id,
        event_at,
        superseded_at
    from positions
    where member_id is not null and event_at is not null

)

select * from final
