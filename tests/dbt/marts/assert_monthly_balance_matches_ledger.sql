-- member_monthly's balance at month end equals the sum of every ledger movement of the member
-- before the next month starts. Returns the member-months that disagree.
with

monthly as (

    select * from {{ ref('member_monthly') }}

),

ledger as (

    select * from {{ ref('fct_points_ledger') }}

),

recomputed as (

    select
        monthly.member_id,
        monthly.month_start,
        monthly.balance_at_month_end,
        coalesce(sum(ledger.points), 0) as ledger_balance
    from monthly
    left join ledger
        on
            monthly.member_id = ledger.member_id
            and ledger.event_date < cast({{ dbt.dateadd('month', 1, 'monthly.month_start') }} as date)
    group by 1, 2, 3

)

select *
from recomputed
where balance_at_month_end != ledger_balance
