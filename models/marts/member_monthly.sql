{{
    config(
        materialized='incremental',
        unique_key='member_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        partition_by=bigquery_partition('month_start', 'month'),
        cluster_by=['member_id'],
    )
}}

{#- A month's first export gives every member a new row: the restriction to changed members
    is then moot and would only add semi-joins over every input, so the run decides up front
    which SQL to write. -#}
{%- set new_month = false -%}
{%- if is_incremental() and execute -%}
    {%- set new_month = run_query(
        'select cast(' ~ dbt.date_trunc('month', 'max(event_date)') ~ ' as date) > '
        ~ '(select max(month_start) from ' ~ this ~ ') from ' ~ ref('fct_points_ledger')
    ).columns[0].values()[0] -%}
{%- endif %}
{%- set restrict = is_incremental() and not new_month %}

-- One row per member per month, from the enrolment month to the last month with data:
-- activity, points in and out, and the balance at month end. The grain ML features start from.
-- Incremental by member: members with new movements, purchases or versions since the last
-- load get all their months rebuilt; when a new month starts, every member gets it.
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

-- members whose rows this run (re)builds: everyone on a full refresh or a new month
changed_members as (

    {% if restrict %}
        {%- set threshold = incremental_threshold('loaded_through', lookback_days=0) %}
        select ledger.member_id from ledger
        where ledger.loaded_at > {{ threshold }}
        union distinct
        select members.member_id from members
        where members.loaded_at > {{ threshold }}
    {% else %}
        -- a full refresh, or a month's first export: every member gets a row for the month
        select members.member_id from members
    {% endif %}

),

member_months as (

    select
        members.member_id,
        members.signup_at,
        months.month_start
    from members
    cross join months
    cross join last_month
    where
        members.is_current
        and members.member_id != -1
        and months.month_start >= cast({{ dbt.date_trunc('month', 'members.signup_at') }} as date)
        and months.month_start <= last_month.month_start
        and members.member_id in (select changed_members.member_id from changed_members)

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
    from transactions
    {% if restrict %}
        where transactions.member_id in (select changed_members.member_id from changed_members)
    {% endif %}
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
    from ledger
    {% if restrict %}
        where ledger.member_id in (select changed_members.member_id from changed_members)
    {% endif %}
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
        member_id,
        month_start,
        cast({{ dbt.dateadd('month', 1, 'month_start') }} as date) as next_month_start,
        {{ dbt.datediff('signup_at', 'month_start', 'month') }} as months_since_signup,
        purchases,
        amount_brl,
        distinct_partners,
        campaign_purchases,
        last_purchase_at,
        last_redemption_at,
        points_earned,
        points_reversed,
        points_redeemed,
        points_expired,
        net_points
    from monthly_totals

),

-- running totals (the balance, and what the ML features read instead of re-scanning earlier
-- months), taken before the member version is attached so the window sorts narrow rows only
-- (with the version's strings it ran out of memory at a million members)
running as (

    select
        *,
        cast(sum(net_points) over (
            partition by member_id
            order by month_start
            rows between unbounded preceding and current row
        ) as bigint) as balance_at_month_end,
        cast(sum(purchases) over (
            partition by member_id
            order by month_start
            rows between unbounded preceding and current row
        ) as bigint) as purchases_to_date,
        max(last_purchase_at) over (
            partition by member_id
            order by month_start
            rows between unbounded preceding and current row
        ) as last_purchase_to_date_at,
        max(last_redemption_at) over (
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

)

select * from final
