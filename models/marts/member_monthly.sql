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

-- One row per member and month (the docs: _marts__models.yml). Which months an incremental run
-- rewrites is decided in macros/incremental/member_month_tails.sql.
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

-- the newest staging load these rows are built from (movements or member versions)
loaded as (

    select max(loaded_at) as loaded_through
    from (
        select ledger.loaded_at from ledger
        union all
        select members.loaded_at from members
    ) as loads

),

{% if is_incremental() -%}
{{ member_month_tail_ctes(incremental_threshold('loaded_through', lookback_days=0)) }},

{% endif -%}
member_months as (

    select
        members.member_id,
        members.signup_at,
        months.month_start
    from members
    cross join (select distinct month_start from calendar) as months
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

-- by partner first: counting distinct partners is then a plain count, not a distinct aggregate
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

-- the three inputs summed per member-month; months outside a member's rows (none expected:
-- purchases start after enrolment) drop out
monthly_totals as (

    {{ stack_and_sum(
        inputs=[
            ['member_months', {'signup_at': 'signup_at', 'is_member_month': '1'}],
            ['purchases', [
                'purchases', 'amount_brl', 'distinct_partners', 'campaign_purchases',
                'last_purchase_at']],
            ['points', [
                'points_earned', 'points_reversed', 'points_redeemed', 'points_expired',
                'net_points', 'last_redemption_at']],
        ],
        keys=['member_id', 'month_start'],
        latest=['signup_at', 'last_purchase_at', 'last_redemption_at'],
        having='sum(is_member_month) = 1',
    ) }}

),

joined as (

    select
        monthly_totals.*,
        cast({{ dbt.dateadd('month', 1, 'monthly_totals.month_start') }} as date) as next_month_start,
        {{ dbt.datediff('monthly_totals.signup_at', 'monthly_totals.month_start', 'month') }}
            as months_since_signup,
        -- on a tail's first month only: the totals up to the month before it
        coalesce(openings.opening_balance, 0) as opening_balance,
        coalesce(openings.opening_purchases, 0) as opening_purchases,
        openings.opening_last_purchase_at,
        openings.opening_last_redemption_at
    from monthly_totals
    left join {{ 'openings' if is_incremental() else member_month_no_openings() }} as openings
        on
            monthly_totals.member_id = openings.member_id
            and monthly_totals.month_start = openings.tail_month

),

-- running totals (the balance, what the ML features read instead of earlier months), before the
-- member version is attached: with its strings the window ran out of memory at 1M members
running as (

    select
        *,
        cast({{ to_date('sum', 'net_points + opening_balance') }} as bigint) as balance_at_month_end,
        cast({{ to_date('sum', 'purchases + opening_purchases') }} as bigint) as purchases_to_date,
        -- a month's purchases come after every earlier month's: the opening only fills a gap
        {{ to_date('max', 'coalesce(last_purchase_at, opening_last_purchase_at)') }}
            as last_purchase_to_date_at,
        {{ to_date('max', 'coalesce(last_redemption_at, opening_last_redemption_at)') }}
            as last_redemption_to_date_at
    from joined

),

-- with the member version in force at the end of the month, typed to the contract
member_months_built as {{ inline_cte() }} (

    select
        {{ surrogate_key(['running.member_id', 'running.month_start']) }} as member_month_id,
        running.member_id,
        coalesce(members.member_sk, '-1') as member_sk,
        running.month_start,
        coalesce(members.tier, 'unknown') as tier_at_month_end,
        coalesce(members.status, 'unknown') as status_at_month_end,
        cast(running.months_since_signup as integer) as months_since_signup,
        cast(running.purchases as bigint) as purchases,
        cast(running.amount_brl as {{ loyalty.type_decimal(14, 2) }}) as amount_brl,
        cast(running.distinct_partners as bigint) as distinct_partners,
        cast(running.campaign_purchases as bigint) as campaign_purchases,
        running.last_purchase_at,
        running.last_redemption_at,
        cast(running.points_earned as bigint) as points_earned,
        cast(running.points_reversed as bigint) as points_reversed,
        cast(running.points_redeemed as bigint) as points_redeemed,
        cast(running.points_expired as bigint) as points_expired,
        cast(running.net_points as bigint) as net_points,
        running.balance_at_month_end,
        running.purchases_to_date,
        running.last_purchase_to_date_at,
        running.last_redemption_to_date_at,
        running.purchases > 0 as is_active,
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

-- on an incremental run with one marker per touched member: where replace_tail deletes its
-- stored tail from, even when no row is left in it
final as (

    {{ rows_and_tail_markers(
        'member_months_built', 'tail_starts',
        {'member_id': 'tail_starts.member_id', 'month_start': 'tail_starts.tail_month'}) }}

)

select * from final
