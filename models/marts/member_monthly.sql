{{
    config(
        materialized='incremental',
        incremental_strategy='replace_tail',
        unique_key='member_id',
        tail_column='month_start',
        tail_marker_column='member_month_id',
        on_schema_change='fail',
        partition_by=bigquery_partition('month_start', 'month'),
        cluster_by=['member_id'],
    )
}}

-- read only by an incremental run (dbt parses the model as a full refresh):
-- depends_on: {{ ref('int_points_movements_superseded') }}

-- One row per member per month, from the enrolment month to the last month with data:
-- activity, points in and out, and the balance at month end. The grain ML features start from.
-- Incremental by member tail (strategy replace_tail, macros/replace_tail.sql): each member with
-- a movement or a version loaded since the last run gets its months rebuilt from the first one
-- that changed, the running totals continuing from the stored month before it; when a new
-- month starts, every member's tail starts there at the latest.
with

-- read where used: materialized (DuckDB's default for a CTE read more than once) it held
-- every member version's hashes in memory for the whole query
members as {{ inline_cte() }} (

    select * from {{ ref('dim_member') }}

),

calendar as (

    select * from {{ ref('dim_date') }}

),

ledger as {{ inline_cte() }} (

    select * from {{ ref('fct_points_ledger') }}

),

transactions as (

    select * from {{ ref('fct_transactions') }}

),

last_month as (

    select cast({{ dbt.date_trunc('month', 'max(event_date)') }} as date) as month_start
    from ledger

),

months as (

    select distinct month_start
    from calendar

),

-- the newest staging load these rows are built from (movements or member versions)
loaded as (

    select max(loaded_at) as loaded_through
    from (
        select ledger.loaded_at from ledger
        union all
        select members.loaded_at from members
    ) as loads

),

{% if is_incremental() %}
    {%- set loaded_before = incremental_threshold('loaded_through', lookback_days=0) %}

    stored as {{ inline_cte() }} (

        select * from {{ this }}

    ),

    superseded as (

        select * from {{ ref('int_points_movements_superseded') }}

    ),

    stored_end as (

        select max(month_start) as month_start
        from stored

    ),

    -- the first month to rebuild, per member: the month of its earliest movement loaded since
    -- the last run, or of where a movement was before a version loaded since moved it; for a
    -- new member version, the month it starts in (tier and status at month end change from
    -- there), or every month when its versions disagree on the enrolment date; and when a new
    -- month starts, that month for every member
    tail_starts as {{ materialized_cte() }} (

        select
            member_id,
            cast({{ dbt.date_trunc('month', 'min(changed_on)') }} as date) as tail_month
        from (
            select
                ledger.member_id,
                ledger.event_date as changed_on
            from ledger
            where ledger.loaded_at > {{ loaded_before }}
            union all
            -- where a movement was before a new version moved it (to another month or
            -- member): the ledger and the facts hold only where it is now
            select
                superseded.member_id,
                cast(superseded.event_at as date) as changed_on
            from superseded
            where superseded.superseded_at > {{ loaded_before }}
            union all
            select
                members.member_id,
                cast(case
                    when count(distinct members.signup_at) > 1 then min(members.signup_at)
                    else min(case when members.loaded_at > {{ loaded_before }} then members.valid_from end)
                end as date) as changed_on
            from members
            where members.member_id in (
                select changed.member_id
                from members as changed
                where changed.loaded_at > {{ loaded_before }}
            )
            group by members.member_id
            union all
            select
                members.member_id,
                cast({{ dbt.dateadd('month', 1, 'stored_end.month_start') }} as date) as changed_on
            from members
            cross join stored_end
            cross join last_month
            where
                members.is_current
                and members.member_id != -1
                and last_month.month_start > stored_end.month_start
        ) as changes
        group by member_id

    ),

    -- the stored month before each tail: the running totals continue from it
    openings as (

        select
            stored.member_id,
            tail_starts.tail_month,
            stored.balance_at_month_end as opening_balance,
            stored.purchases_to_date as opening_purchases,
            stored.last_purchase_to_date_at as opening_last_purchase_at,
            stored.last_redemption_to_date_at as opening_last_redemption_at
        from stored
        inner join tail_starts
            on
                stored.member_id = tail_starts.member_id
                and stored.month_start
                = cast({{ dbt.dateadd('month', -1, 'tail_starts.tail_month') }} as date)
        -- the touched members and the earliest month first (implied by the join): DuckDB then
        -- reads the stored months around the tails, not all 19M
        where
            stored.member_id in (select tail_starts.member_id from tail_starts)
            and stored.month_start >= (
                select cast({{ dbt.dateadd('month', -1, 'min(tail_starts.tail_month)') }} as date)
                from tail_starts
            )

    ),

    -- the touched members' movements and purchases from their tails on
    tail_ledger as {{ materialized_cte() }} (

        {{ tail_rows('ledger', 'tail_starts', 'event_date', 'tail_month') }}

    ),

    tail_transactions as {{ materialized_cte() }} (

        {{ tail_rows('transactions', 'tail_starts', 'purchase_date', 'tail_month') }}

    ),

{% endif %}

member_months as (

    select
        members.member_id,
        members.signup_at,
        months.month_start
    from members
    cross join months
    cross join last_month
    {% if is_incremental() %}
        inner join tail_starts
            on
                members.member_id = tail_starts.member_id
                and months.month_start >= tail_starts.tail_month
    {% endif %}
    where
        members.is_current
        and members.member_id != -1
        and months.month_start >= cast({{ dbt.date_trunc('month', 'members.signup_at') }} as date)
        and months.month_start <= last_month.month_start

),

-- by partner first, so counting distinct partners is a plain count (a distinct aggregate over
-- every purchase would copy them all into memory first)
partner_purchases as (

    select
        member_id,
        partner_sk,
        cast({{ dbt.date_trunc('month', 'purchase_date') }} as date) as month_start,
        count(*) as purchases,
        sum(amount_brl) as amount_brl,
        sum(case when campaign_id is not null then 1 else 0 end) as campaign_purchases,
        max(purchased_at) as last_purchase_at
    from {{ 'tail_transactions' if is_incremental() else 'transactions' }}
    group by 1, 2, 3

),

purchases as (

    select
        member_id,
        month_start,
        sum(purchases) as purchases,
        sum(amount_brl) as amount_brl,
        count(*) as distinct_partners,
        sum(campaign_purchases) as campaign_purchases,
        max(last_purchase_at) as last_purchase_at
    from partner_purchases
    group by 1, 2

),

points as (

    select
        member_id,
        cast({{ dbt.date_trunc('month', 'event_date') }} as date) as month_start,
        sum(case when movement_type = 'earn' then points else 0 end) as points_earned,
        -sum(case when movement_type = 'reversal' then points else 0 end) as points_reversed,
        -sum(case when movement_type = 'redeem' then points else 0 end) as points_redeemed,
        -sum(case when movement_type = 'expire' then points else 0 end) as points_expired,
        sum(points) as net_points,
        max(case when movement_type = 'redeem' then event_at end) as last_redemption_at
    from {{ 'tail_ledger' if is_incremental() else 'ledger' }}
    group by 1, 2

),

-- the three inputs stacked and summed per member-month: one aggregate, which spills to disk
-- gracefully, instead of two hash joins whose 12-18M-row build sides stayed in memory
stacked as (

    select
        member_id,
        month_start,
        signup_at,
        1 as is_member_month,
        0 as purchases,
        0 as amount_brl,
        0 as distinct_partners,
        0 as campaign_purchases,
        cast(null as {{ dbt.type_timestamp() }}) as last_purchase_at,
        cast(null as {{ dbt.type_timestamp() }}) as last_redemption_at,
        0 as points_earned,
        0 as points_reversed,
        0 as points_redeemed,
        0 as points_expired,
        0 as net_points
    from member_months
    union all
    select
        member_id,
        month_start,
        cast(null as {{ dbt.type_timestamp() }}) as signup_at,
        0 as is_member_month,
        purchases,
        amount_brl,
        distinct_partners,
        campaign_purchases,
        last_purchase_at,
        cast(null as {{ dbt.type_timestamp() }}) as last_redemption_at,
        0 as points_earned,
        0 as points_reversed,
        0 as points_redeemed,
        0 as points_expired,
        0 as net_points
    from purchases
    union all
    select
        member_id,
        month_start,
        cast(null as {{ dbt.type_timestamp() }}) as signup_at,
        0 as is_member_month,
        0 as purchases,
        0 as amount_brl,
        0 as distinct_partners,
        0 as campaign_purchases,
        cast(null as {{ dbt.type_timestamp() }}) as last_purchase_at,
        last_redemption_at,
        points_earned,
        points_reversed,
        points_redeemed,
        points_expired,
        net_points
    from points

),

-- months outside a member's rows (none expected: purchases start after enrolment) drop out
monthly_totals as (

    select
        member_id,
        month_start,
        max(signup_at) as signup_at,
        sum(purchases) as purchases,
        sum(amount_brl) as amount_brl,
        sum(distinct_partners) as distinct_partners,
        sum(campaign_purchases) as campaign_purchases,
        max(last_purchase_at) as last_purchase_at,
        max(last_redemption_at) as last_redemption_at,
        sum(points_earned) as points_earned,
        sum(points_reversed) as points_reversed,
        sum(points_redeemed) as points_redeemed,
        sum(points_expired) as points_expired,
        sum(net_points) as net_points
    from stacked
    group by 1, 2
    having max(is_member_month) = 1

),

joined as (

    select
        monthly_totals.member_id,
        monthly_totals.month_start,
        cast({{ dbt.dateadd('month', 1, 'monthly_totals.month_start') }} as date) as next_month_start,
        {{ dbt.datediff('monthly_totals.signup_at', 'monthly_totals.month_start', 'month') }}
            as months_since_signup,
        monthly_totals.purchases,
        monthly_totals.amount_brl,
        monthly_totals.distinct_partners,
        monthly_totals.campaign_purchases,
        monthly_totals.last_purchase_at,
        monthly_totals.last_redemption_at,
        monthly_totals.points_earned,
        monthly_totals.points_reversed,
        monthly_totals.points_redeemed,
        monthly_totals.points_expired,
        monthly_totals.net_points,
        -- on a tail's first month only: the totals up to the month before it
        {% if is_incremental() %}
            coalesce(openings.opening_balance, 0) as opening_balance,
            coalesce(openings.opening_purchases, 0) as opening_purchases,
            openings.opening_last_purchase_at,
            openings.opening_last_redemption_at
        {% else %}
            0 as opening_balance,
            0 as opening_purchases,
            cast(null as {{ dbt.type_timestamp() }}) as opening_last_purchase_at,
            cast(null as {{ dbt.type_timestamp() }}) as opening_last_redemption_at
        {% endif %}
    from monthly_totals
    {% if is_incremental() %}
        left join openings
            on
                monthly_totals.member_id = openings.member_id
                and monthly_totals.month_start = openings.tail_month
    {% endif %}

),

-- running totals (the balance, and what the ML features read instead of re-scanning earlier
-- months), taken before the member version is attached so the window sorts narrow rows only
-- (with the version's strings it ran out of memory at a million members)
running as (

    select
        *,
        cast(sum(net_points + opening_balance) over (
            partition by member_id
            order by month_start
            rows between unbounded preceding and current row
        ) as bigint) as balance_at_month_end,
        cast(sum(purchases + opening_purchases) over (
            partition by member_id
            order by month_start
            rows between unbounded preceding and current row
        ) as bigint) as purchases_to_date,
        -- a month's purchases come after every earlier month's: the opening only fills a gap
        max(coalesce(last_purchase_at, opening_last_purchase_at)) over (
            partition by member_id
            order by month_start
            rows between unbounded preceding and current row
        ) as last_purchase_to_date_at,
        max(coalesce(last_redemption_at, opening_last_redemption_at)) over (
            partition by member_id
            order by month_start
            rows between unbounded preceding and current row
        ) as last_redemption_to_date_at
    from joined

),

-- the member version in force at the end of the month
with_version as (

    select
        running.*,
        members.member_sk,
        members.tier,
        members.status,
        loaded.loaded_through
    from running
    cross join loaded
    left join members
        on
            running.member_id = members.member_id
            and members.valid_from < cast(running.next_month_start as timestamp)
            and (
                members.valid_to is null
                or members.valid_to >= cast(running.next_month_start as timestamp)
            )

),

final as (

    select
        {{ surrogate_key(['member_id', 'month_start']) }} as member_month_id,
        member_id,
        coalesce(member_sk, '-1') as member_sk,
        month_start,
        coalesce(tier, 'unknown') as tier_at_month_end,
        coalesce(status, 'unknown') as status_at_month_end,
        cast(months_since_signup as integer) as months_since_signup,
        cast(purchases as bigint) as purchases,
        cast(amount_brl as {{ loyalty.type_decimal(14, 2) }}) as amount_brl,
        cast(distinct_partners as bigint) as distinct_partners,
        cast(campaign_purchases as bigint) as campaign_purchases,
        last_purchase_at,
        last_redemption_at,
        cast(points_earned as bigint) as points_earned,
        cast(points_reversed as bigint) as points_reversed,
        cast(points_redeemed as bigint) as points_redeemed,
        cast(points_expired as bigint) as points_expired,
        cast(net_points as bigint) as net_points,
        balance_at_month_end,
        purchases_to_date,
        last_purchase_to_date_at,
        last_redemption_to_date_at,
        purchases > 0 as is_active,
        loaded_through
    from with_version
    {% if is_incremental() %}
        -- one marker per touched member: where replace_tail deletes its stored months from;
        -- never inserted (its member_month_id is null)
        union all
        select
            cast(null as {{ dbt.type_string() }}) as member_month_id,
            member_id,
            cast(null as {{ dbt.type_string() }}) as member_sk,
            tail_month as month_start,
            cast(null as {{ dbt.type_string() }}) as tier_at_month_end,
            cast(null as {{ dbt.type_string() }}) as status_at_month_end,
            cast(null as integer) as months_since_signup,
            cast(null as bigint) as purchases,
            cast(null as {{ loyalty.type_decimal(14, 2) }}) as amount_brl,
            cast(null as bigint) as distinct_partners,
            cast(null as bigint) as campaign_purchases,
            cast(null as {{ dbt.type_timestamp() }}) as last_purchase_at,
            cast(null as {{ dbt.type_timestamp() }}) as last_redemption_at,
            cast(null as bigint) as points_earned,
            cast(null as bigint) as points_reversed,
            cast(null as bigint) as points_redeemed,
            cast(null as bigint) as points_expired,
            cast(null as bigint) as net_points,
            cast(null as bigint) as balance_at_month_end,
            cast(null as bigint) as purchases_to_date,
            cast(null as {{ dbt.type_timestamp() }}) as last_purchase_to_date_at,
            cast(null as {{ dbt.type_timestamp() }}) as last_redemption_to_date_at,
            cast(null as {{ dbt.type_boolean() }}) as is_active,
            cast(null as {{ dbt.type_timestamp() }}) as loaded_through
        from tail_starts
    {% endif %}

)

select * from final
