{#- Which months an incremental run of member_monthly rewrites (strategy replace_tail,
    macros/replace_tail.sql): each member with a movement or a version loaded since the last
    run gets its months rebuilt from the first one that changed, the running totals continuing
    from the stored month before it; when a new month starts, every member's tail starts there
    at the latest. `loaded_before` is the SQL of the last load's end. -#}
{% macro member_month_tail_ctes(loaded_before) %}
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

tail_starts as {{ materialized_cte() }} (

    {{ loyalty.member_month_tail_starts(loaded_before) }}

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

)
{%- endmacro %}

{#- The first month to rebuild, per member (member_id, tail_month), from `ledger`,
    `superseded` (int_points_movements_superseded), `members` (dim_member), `stored_end` and
    `last_month`: the month of its earliest movement loaded since the last run, or of where a
    movement was before a version loaded since moved it (the ledger holds only where it is
    now); for a new member version, the month it starts in (tier and status at month end
    change from there), or every month when its versions disagree on the enrolment date; and
    when a new month starts, that month for every member. -#}
{% macro member_month_tail_starts(loaded_before) %}
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
{% endmacro %}

{#- A full refresh's `openings`: none (every member's months start from zero). -#}
{% macro member_month_no_openings() -%}
    (
        select
            cast(null as bigint) as member_id,
            cast(null as date) as tail_month,
            cast(null as bigint) as opening_balance,
            cast(null as bigint) as opening_purchases,
            cast(null as {{ dbt.type_timestamp() }}) as opening_last_purchase_at,
            cast(null as {{ dbt.type_timestamp() }}) as opening_last_redemption_at
        from (select 1 as one) as nothing
        where 1 = 0
    )
{%- endmacro %}
