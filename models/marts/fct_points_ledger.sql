{{
    config(
        materialized='incremental',
        unique_key='member_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        partition_by=bigquery_partition('event_date'),
        cluster_by=['member_id'],
    )
}}

-- The points ledger: one row per movement, with each member's balance after it.
-- Incremental by member: a member with any movement staging loaded since this model's last run gets the
-- whole ledger recomputed (a late or reversed movement changes every balance after it);
-- everyone else's rows stay as they are. Cost follows the members touched, not history.
with

all_movements as {{ inline_cte() }} (

    select * from {{ ref('int_points_movements') }}

),

-- the members whose ledger this run (re)builds: everyone on a full refresh
movements as (

    select all_movements.*
    from all_movements
    {% if is_incremental() %}
        {{ touched_since_last_load('all_movements', 'member_id') }}
    {% endif %}

),

members as (

    select * from {{ ref('dim_member') }}

),

with_member as (

    select
        movements.*,
        coalesce(members.member_sk, '-1') as member_sk,
        -- same-instant movements: credits before debits, as the OLTP system books them
        case movements.movement_type
            when 'earn' then 1
            when 'reversal' then 2
            when 'redeem' then 3
            when 'expire' then 4
        end as movement_order
    from movements
    left join members
        on
            movements.member_id = members.member_id
            and {{ is_valid_at('movements.event_at', 'members.valid_from', 'members.valid_to') }}

),

final as (

    select
        {{ surrogate_key(['movement_type', 'source_id']) }} as ledger_entry_id,
        member_sk,
        member_id,
        movement_type,
        source_id,
        event_at,
        cast(event_at as date) as event_date,
        cast(points as bigint) as points,
        cast(sum(points) over (
            partition by member_id
            order by event_at, movement_order, source_id
            rows between unbounded preceding and current row
        ) as bigint) as running_balance,
        extracted_at,
        loaded_at
    from with_member

)

select * from final
