{{
    config(
        materialized='incremental',
        incremental_strategy='replace_tail',
        unique_key='member_id',
        tail_column='event_at',
        tail_marker_column='ledger_entry_id',
        on_schema_change='fail',
        partition_by=bigquery_partition('event_date'),
        cluster_by=['member_id'],
    )
}}

-- read only by an incremental run (dbt parses the model as a full refresh):
-- depends_on: {{ ref('int_points_movements_superseded') }}

-- The points ledger: one row per movement, with each member's balance after it.
-- Incremental by member tail: a movement staging loaded since this model's last run changes
-- its member's balances from that movement on (and from where it was, if a new version moved
-- it), so each touched member's ledger is recomputed from its earliest changed movement,
-- starting from the balance the stored rows before it add up to; the rows before it stay
-- (strategy replace_tail, macros/replace_tail.sql). Cost follows the new movements, not the
-- members' history.
with

all_movements as {{ inline_cte() }} (

    select * from {{ ref('int_points_movements') }}

),

members as (

    select * from {{ ref('dim_member') }}

),

{% if is_incremental() %}
    {%- set loaded_before = incremental_threshold('loaded_at', lookback_days=0) %}

    stored as {{ inline_cte() }} (

        select * from {{ this }}

    ),

    new_movements as (

        select
            member_id,
            event_at
        from all_movements
        where loaded_at > {{ loaded_before }}

    ),

    superseded as (

        select * from {{ ref('int_points_movements_superseded') }}

    ),

    -- where each touched member's ledger changes: its earliest new movement, or where a new
    -- version moved a movement from (in time, or from this member to another), which staging's
    -- other versions remember (int_points_movements_superseded); small, and what the tails'
    -- semi-join reads (materialized: DuckDB's default here too, made explicit)
    tail_starts as {{ materialized_cte() }} (

        select
            member_id,
            min(event_at) as tail_from
        from (
            select
                new_movements.member_id,
                new_movements.event_at
            from new_movements
            union all
            select
                superseded.member_id,
                superseded.event_at
            from superseded
            where superseded.superseded_at > {{ loaded_before }}
        ) as starts
        group by member_id

    ),

    -- the balance each touched member had before its tail: what its stored rows before it add up to
    opening_balances as (

        select
            tail_starts.member_id,
            tail_starts.tail_from,
            coalesce(sum(stored.points), 0) as opening_balance
        from tail_starts
        left join stored
            on
                tail_starts.member_id = stored.member_id
                and tail_starts.tail_from > stored.event_at
        group by tail_starts.member_id, tail_starts.tail_from

    ),

    -- the touched members' tails, computed before the member versions are joined to them
    movements as {{ materialized_cte() }} (

        {{ tail_rows('all_movements', 'opening_balances', 'event_at', 'tail_from',
            carry=['opening_balance'], keys='tail_starts') }}

    ),

{% else %}

    movements as (

        select
            all_movements.*,
            0 as opening_balance
        from all_movements

    ),

{% endif %}

ordered as (

    select
        movements.*,
        -- same-instant movements: credits before debits, as the OLTP system books them
        case movements.movement_type
            when 'earn' then 1
            when 'reversal' then 2
            when 'redeem' then 3
            when 'expire' then 4
        end as movement_order
    from movements

),

balanced as (

    select
        ordered.*,
        cast(ordered.opening_balance + sum(ordered.points) over (
            partition by ordered.member_id
            order by ordered.event_at, ordered.movement_order, ordered.source_id
            rows between unbounded preceding and current row
        ) as bigint) as running_balance
    from ordered

),

-- the member version in force at each movement, joined after the window: its 32-character key
-- made the window's rows wide enough to spill (the full refresh at 1M members: 23.5 -> 17.1 s)
entries as {{ inline_cte() }} (

    select
        {{ surrogate_key(['balanced.movement_type', 'balanced.source_id']) }} as ledger_entry_id,
        coalesce(members.member_sk, '-1') as member_sk,
        balanced.member_id,
        balanced.movement_type,
        balanced.source_id,
        balanced.event_at,
        cast(balanced.event_at as date) as event_date,
        cast(balanced.points as bigint) as points,
        balanced.running_balance,
        balanced.extracted_at,
        balanced.loaded_at
    from balanced
    left join members
        on
            balanced.member_id = members.member_id
            and {{ is_valid_at('balanced.event_at', 'members.valid_from', 'members.valid_to') }}

),

-- on an incremental run with one marker per touched member: where replace_tail deletes its
-- stored tail from, even when no row is left in it
final as (

    {{ rows_and_tail_markers(
        'entries', 'tail_starts',
        {'member_id': 'tail_starts.member_id', 'event_at': 'tail_starts.tail_from'}) }}

)

select * from final
