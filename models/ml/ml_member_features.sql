{{
    config(
        materialized='incremental',
        unique_key=['member_id', 'cutoff_date'],
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        partition_by=bigquery_partition('cutoff_date', 'month'),
        cluster_by=['member_id'],
    )
}}

-- read only by a month start's run (dbt parses the model as a full refresh):
-- depends_on: {{ ref('dim_partner') }}

-- One row per member per monthly cutoff. Every feature uses only what happened strictly before
-- the cutoff; labels look at the 90 days from the cutoff on and stay null until that window is
-- complete. The data is complete before the day of the latest export: cutoffs exist up to it
-- (mid-month, the month's own cutoff waits for its last day), and a label is complete once its
-- 90 days end by then. member_monthly is dense (every month from enrolment), so the features of
-- cutoff c are window aggregates over the member's rows up to the month before c: one sort of
-- the member-months instead of joining every cutoff to every earlier month or purchase.
-- Incremental, by what a run's new data can change:
--   * a cutoff to add (a month start, one new cutoff whose label cannot be complete yet):
--     everyone's new cutoff, as one aggregate of the 12 months before it (no window pass over
--     history), plus what a day changes below;
--   * any other cutoff to add (a catch-up over months): every member's last var
--     features_recompute_months cutoffs and the new ones, reading the 12 months before them for
--     the trailing windows;
--   * otherwise the members member_monthly rebuilt since this model's last load (their
--     loaded_through is newer) with a rebuilt month before the last cutoff: their features
--     changed and are rebuilt as above, from three months before the earliest such month if
--     that is earlier (a new version can move a purchase of any age). New data in the last
--     cutoff's month (nearly all of a day) changes no feature, only labels, which stay null
--     until complete: other stored rows are relabelled only where the label completes now
--     (every member's at a cutoff whose 90 days have just ended) or is complete and its 90
--     days reach the new data.
{#- adds_cutoffs: the data reaches a month this model has no cutoff for yet; add_cutoff: exactly
    one such cutoff, whose label cannot be complete (a month start in a daily load) #}
{%- set adds_cutoffs, add_cutoff = false, false -%}
{%- if is_incremental() and execute -%}
    {%- set newest = 'cast(' ~ dbt.date_trunc('month', 'data.data_end_at') ~ ' as date)' -%}
    {%- set checks = run_query(
        'select ' ~ newest ~ ' > built.last_cutoff, ' ~ newest ~ ' = cast('
        ~ dbt.dateadd('month', 1, 'built.last_cutoff') ~ ' as date) and cast('
        ~ dbt.dateadd('day', 90, newest) ~ ' as date) > cast(data.data_end_at as date)'
        ~ ' from (select max(extracted_at) as data_end_at from ' ~ ref('fct_transactions')
        ~ ') as data cross join (select max(cutoff_date) as last_cutoff from ' ~ this ~ ') as built'
    ).rows[0] -%}
    {%- set adds_cutoffs, add_cutoff = checks[0], checks[0] and checks[1] -%}
{%- endif %}
{#- restrict: rewrite only what a day changes (and, with add_cutoff, everyone's new cutoff) #}
{%- set restrict = is_incremental() and (not adds_cutoffs or add_cutoff) %}
{%- set label_columns = ['churned_next_90d', 'points_next_90d', 'is_label_complete', 'loaded_through'] %}
{#- the stored table's columns: relabelled rows copy the others, and both paths are stacked by name #}
{%- set stored_columns = adapter.get_columns_in_relation(this) | map(attribute='name') | list
    if restrict else [] %}
{#- the label columns from `rows` (is_label_complete and the raw 90-day sums), for both paths #}
{%- set label_values -%}
    case
            when rows.is_label_complete then cast(rows.purchases_next_90d = 0 as integer)
        end as churned_next_90d,
        case
            when rows.is_label_complete then cast(rows.points_next_90d as bigint)
        end as points_next_90d,
        rows.is_label_complete
{%- endset %}
{#- a cutoff's row before its labels; both feature paths are stacked by this list #}
{%- set feature_columns = [
    'member_id', 'cutoff_date', 'member_sk', 'last_purchase_at', 'last_redemption_at',
    'purchases_lifetime', 'months_observed', 'purchases_last_month', 'purchases_3m',
    'purchases_prev_3m', 'purchases_6m', 'purchases_12m', 'active_months_6m', 'amount_3m',
    'amount_12m', 'points_earned_3m', 'points_earned_12m', 'points_redeemed_12m',
    'points_expired_12m', 'points_reversed_12m', 'campaign_purchases_12m', 'distinct_partners_12m',
    'points_balance', 'partners_last_month', 'tier', 'status', 'purchases_next_90d',
    'points_next_90d',
] %}
{%- set by_member = 'partition by member_months.member_id order by member_months.month_start' %}
{%- set last_3m = 'over (' ~ by_member ~ ' rows between 2 preceding and current row)' %}
{%- set last_6m = 'over (' ~ by_member ~ ' rows between 5 preceding and current row)' %}
{%- set months_4_to_6 = 'over (' ~ by_member ~ ' rows between 5 preceding and 3 preceding)' %}
{%- set last_12m = 'over (' ~ by_member ~ ' rows between 11 preceding and current row)' %}
{%- set to_date = 'over (' ~ by_member ~ ' rows between unbounded preceding and current row)' %}
{%- set ahead = 'over (' ~ by_member ~ ')' %}
{%- set month_of_purchase = 'cast(' ~ dbt.date_trunc('month', 'transactions.purchase_date') ~ ' as date)' %}
{%- set window_end_2 = 'cast(' ~ dbt.dateadd('day', 90, dbt.dateadd('month', -2, month_of_purchase)) ~ ' as date)' %}
{%- set window_end_3 = 'cast(' ~ dbt.dateadd('day', 90, dbt.dateadd('month', -3, month_of_purchase)) ~ ' as date)' %}

with

monthly as {{ inline_cte() }} (

    select * from {{ ref('member_monthly') }}

),

members as (

    select * from {{ ref('dim_member') }}

),

transactions as {{ inline_cte() }} (

    select * from {{ ref('fct_transactions') }}

),

-- the data is complete before the day of the latest export
data_end as (

    select cast(max(extracted_at) as date) as data_through
    from transactions

),

-- the member_monthly load these rows are built from (the next run's change marker)
loaded as (

    select max(loaded_through) as loaded_through from monthly

),

{% if is_incremental() -%}
-- what this model holds: its last cutoff and the member_monthly load it was built from
built as (

    select
        max(cutoff_date) as last_cutoff,
        max(loaded_through) as loaded_through
    from {{ this }}

),

{% endif -%}
{% if restrict -%}
-- the members member_monthly rebuilt since this model's last load, and their first rebuilt
-- month: nobody else's features or labels changed, bar labels completing now
changed_members as {{ materialized_cte() }} (

    select
        monthly.member_id,
        min(monthly.month_start) as changed_from
    from monthly
    where monthly.loaded_through > (select built.loaded_through from built)
    group by 1

),

-- a month before the last cutoff changed: some of their features did
rebuilt_members as {{ materialized_cte() }} (

    select
        changed_members.member_id,
        changed_members.changed_from
    from changed_members
    where changed_members.changed_from < (select built.last_cutoff from built)

),

-- the stored rows of everyone else whose labels change: labels are null until complete, so only
-- rows completing now (every member's at a cutoff whose 90 days have just ended) or complete
-- rows whose 90 days reach a changed member's first rebuilt month (new data early in a month)
relabel_keys as {{ materialized_cte() }} (

    select
        stored.member_id,
        stored.cutoff_date
    from {{ this }} as stored
    cross join data_end
    left join changed_members on stored.member_id = changed_members.member_id
    where
        stored.member_id not in (select rebuilt_members.member_id from rebuilt_members)
        and cast({{ dbt.dateadd('day', 90, 'stored.cutoff_date') }} as date) <= data_end.data_through
        and (
            not stored.is_label_complete
            or cast({{ dbt.dateadd('day', 90, 'stored.cutoff_date') }} as date) > changed_members.changed_from
        )

),

{% endif -%}
-- the first cutoff this run builds and the first month its trailing windows read; when only
-- what a day changes is rebuilt, also every cutoff a rebuilt member's change reaches: its features from the changed month
-- on, its labels from three months before (a new version can move a purchase of any age)
run_window as (

    {% if is_incremental() %}
        select
            first_cutoff,
            cast({{ dbt.dateadd('month', -12, 'first_cutoff') }} as date) as first_month
        from (
            select
                {%- set recompute_from = 'cast(' ~ dbt.dateadd('month', -1 * var('features_recompute_months'),
                    'built.last_cutoff') ~ ' as date)' %}
                {%- if restrict %}
                least(
                    {{ recompute_from }},
                    coalesce(
                        (
                            select cast({{ dbt.dateadd('month', -3, 'min(rebuilt_members.changed_from)') }} as date)
                            from rebuilt_members
                        ),
                        {{ recompute_from }}
                    )
                ) as first_cutoff
                {%- else %}
                {{ recompute_from }} as first_cutoff
                {%- endif %}
            from built
        ) as window_start
    {% else %}
        select
            cast(min(month_start) as date) as first_cutoff,
            cast({{ dbt.dateadd('month', -12, 'min(month_start)') }} as date) as first_month
        from monthly
    {% endif %}

),

-- a member's row for month m carries the features of cutoff m + 1 month
member_months as (

    select
        monthly.*,
        cast({{ dbt.dateadd('month', 1, 'monthly.month_start') }} as date) as cutoff_date
    from monthly
    cross join run_window
    where monthly.month_start >= run_window.first_month{%- if restrict %}
        and monthly.member_id in (select rebuilt_members.member_id from rebuilt_members)
    {%- endif %}

),

-- partners a member bought from, by month: partner p counts for the 12-month window of every
-- row from its month m up to (not including) m + 12 months or p's next month, whichever is
-- first; the running sum of +1/-1 at those bounds is the number of distinct partners
partner_months as (

    select distinct
        transactions.member_id,
        transactions.partner_sk,
        cast({{ dbt.date_trunc('month', 'transactions.purchase_date') }} as date) as month_start
    from transactions
    cross join run_window
    where transactions.purchase_date >= run_window.first_month{%- if restrict %}
        and transactions.member_id in (select rebuilt_members.member_id from rebuilt_members)
    {%- endif %}

),

partner_spans as (

    select
        member_id,
        month_start,
        least(
            cast({{ dbt.dateadd('month', 12, 'month_start') }} as date),
            coalesce(
                lead(month_start) over (partition by member_id, partner_sk order by month_start),
                cast({{ dbt.dateadd('month', 12, 'month_start') }} as date)
            )
        ) as span_end
    from partner_months

),

-- a purchase before a member's first row counts from that row on (or not at all once over)
member_first_months as (

    select
        members.member_id,
        members.signup_at,
        greatest(
            cast({{ dbt.date_trunc('month', 'members.signup_at') }} as date),
            run_window.first_month
        ) as first_month
    from members
    cross join run_window
    where members.is_current{%- if restrict and not add_cutoff %}
        and members.member_id in (select rebuilt_members.member_id from rebuilt_members)
    {%- endif %}

),

span_bounds as (

    select 1 as partner_change
    union all
    select -1 as partner_change

),

partner_changes as (

    select
        partner_spans.member_id,
        span_bounds.partner_change,
        greatest(
            case
                when span_bounds.partner_change = 1 then partner_spans.month_start
                else partner_spans.span_end
            end,
            member_first_months.first_month
        ) as month_start
    from partner_spans
    cross join span_bounds
    inner join member_first_months on partner_spans.member_id = member_first_months.member_id

),

monthly_partner_changes as (

    select
        member_id,
        month_start,
        sum(partner_change) as partner_change
    from partner_changes
    group by 1, 2

),

-- Labels of cutoff c count purchases in [c, c + 90 days): all of months c and c + 1, and of
-- months c + 2 and c + 3 the days before c + 90. So per member and month, the purchases early
-- enough for the cutoff two and three months back; the window pass then reads months ahead.
label_months as (

    select
        transactions.member_id,
        {{ month_of_purchase }} as month_start,
        count(*) as purchases,
        sum(transactions.points_earned) as points_earned,
        sum(case when transactions.purchase_date < {{ window_end_2 }} then 1 else 0 end)
            as purchases_in_window_2,
        sum(case when transactions.purchase_date < {{ window_end_2 }} then transactions.points_earned else 0 end)
            as points_in_window_2,
        sum(case when transactions.purchase_date < {{ window_end_3 }} then 1 else 0 end)
            as purchases_in_window_3,
        sum(case when transactions.purchase_date < {{ window_end_3 }} then transactions.points_earned else 0 end)
            as points_in_window_3
    from transactions
    cross join run_window
    where transactions.purchase_date >= run_window.first_cutoff{%- if restrict %}
        and (
            transactions.member_id in (select rebuilt_members.member_id from rebuilt_members)
            or transactions.member_id in (select relabel_keys.member_id from relabel_keys)
        )
    {%- endif %}
    group by 1, 2

),

history_features as (

    select
        member_months.member_id,
        member_months.cutoff_date,
        member_months.member_sk,
        member_months.last_purchase_to_date_at as last_purchase_at,
        member_months.last_redemption_to_date_at as last_redemption_at,
        member_months.purchases_to_date as purchases_lifetime,
        member_months.months_since_signup + 1 as months_observed,
        member_months.purchases as purchases_last_month,
        sum(member_months.purchases) {{ last_3m }} as purchases_3m,
        coalesce(sum(member_months.purchases) {{ months_4_to_6 }}, 0) as purchases_prev_3m,
        sum(member_months.purchases) {{ last_6m }} as purchases_6m,
        sum(member_months.purchases) {{ last_12m }} as purchases_12m,
        sum(case when member_months.purchases > 0 then 1 else 0 end) {{ last_6m }}
            as active_months_6m,
        sum(member_months.amount_brl) {{ last_3m }} as amount_3m,
        sum(member_months.amount_brl) {{ last_12m }} as amount_12m,
        sum(member_months.points_earned) {{ last_3m }} as points_earned_3m,
        sum(member_months.points_earned) {{ last_12m }} as points_earned_12m,
        sum(member_months.points_redeemed) {{ last_12m }} as points_redeemed_12m,
        sum(member_months.points_expired) {{ last_12m }} as points_expired_12m,
        sum(member_months.points_reversed) {{ last_12m }} as points_reversed_12m,
        sum(member_months.campaign_purchases) {{ last_12m }} as campaign_purchases_12m,
        sum(coalesce(monthly_partner_changes.partner_change, 0)) {{ to_date }} as distinct_partners_12m,
        member_months.balance_at_month_end as points_balance,
        member_months.distinct_partners as partners_last_month,
        member_months.tier_at_month_end as tier,
        member_months.status_at_month_end as status,
        -- the row of month m is cutoff m + 1: its label months are one to four rows ahead
        coalesce(lead(label_months.purchases, 1) {{ ahead }}, 0)
        + coalesce(lead(label_months.purchases, 2) {{ ahead }}, 0)
        + coalesce(lead(label_months.purchases_in_window_2, 3) {{ ahead }}, 0)
        + coalesce(lead(label_months.purchases_in_window_3, 4) {{ ahead }}, 0)
            as purchases_next_90d,
        coalesce(lead(label_months.points_earned, 1) {{ ahead }}, 0)
        + coalesce(lead(label_months.points_earned, 2) {{ ahead }}, 0)
        + coalesce(lead(label_months.points_in_window_2, 3) {{ ahead }}, 0)
        + coalesce(lead(label_months.points_in_window_3, 4) {{ ahead }}, 0)
            as points_next_90d
    from member_months
    left join monthly_partner_changes
        on
            member_months.member_id = monthly_partner_changes.member_id
            and member_months.month_start = monthly_partner_changes.month_start
    left join label_months
        on
            member_months.member_id = label_months.member_id
            and member_months.month_start = label_months.month_start

),

{% if add_cutoff -%}
-- imported here: only a month start's run reads it
partners as (

    select * from {{ ref('dim_partner') }}

),

-- Everyone else's new cutoff c (a month start): the same features as one aggregate over their
-- 12 months before c, the row of month c - 1 giving the to-date and month-end values. The window
-- pass above would sort every member's last 16 months for one new row each. Its label cannot be
-- complete yet (the run's condition), so the 90-day sums are left at 0 and masked.
new_cutoff as (

    select
        cast({{ dbt.date_trunc('month', 'data_end.data_through') }} as date) as cutoff_date,
        cast({{ dbt.dateadd('month', -12, dbt.date_trunc('month', 'data_end.data_through')) }} as date)
            as first_month
    from data_end

),

new_cutoff_months as (

    select
        monthly.*,
        new_cutoff.cutoff_date,
        {{ dbt.datediff('monthly.month_start', 'new_cutoff.cutoff_date', 'month') }} as months_back
    from monthly
    cross join new_cutoff
    where
        monthly.month_start >= new_cutoff.first_month
        and monthly.month_start < new_cutoff.cutoff_date
        and monthly.member_id not in (select rebuilt_members.member_id from rebuilt_members)

),

-- by the partner's integer id: counting distinct 32-character keys over 12 months of purchases
-- took a third of this path (every partner_sk is in dim_partner: a relationships test)
new_cutoff_partners as (

    select
        transactions.member_id,
        count(distinct partners.partner_id) as distinct_partners_12m
    from transactions
    inner join partners on transactions.partner_sk = partners.partner_sk
    cross join new_cutoff
    where
        transactions.purchase_date >= new_cutoff.first_month
        and transactions.purchase_date < new_cutoff.cutoff_date
        and transactions.member_id not in (select rebuilt_members.member_id from rebuilt_members)
    group by 1

),

{%- set last = 'when months.months_back = 1 then months.' %}
{%- set within = 'when months.months_back <= ' %}
new_cutoff_features as (

    select
        months.member_id,
        max(months.cutoff_date) as cutoff_date,
        max(case {{ last }}member_sk end) as member_sk,
        max(case {{ last }}last_purchase_to_date_at end) as last_purchase_at,
        max(case {{ last }}last_redemption_to_date_at end) as last_redemption_at,
        max(case {{ last }}purchases_to_date end) as purchases_lifetime,
        max(case {{ last }}months_since_signup end) + 1 as months_observed,
        max(case {{ last }}purchases end) as purchases_last_month,
        sum(case {{ within }}3 then months.purchases else 0 end) as purchases_3m,
        sum(case when months.months_back between 4 and 6 then months.purchases else 0 end)
            as purchases_prev_3m,
        sum(case {{ within }}6 then months.purchases else 0 end) as purchases_6m,
        sum(months.purchases) as purchases_12m,
        sum(case {{ within }}6 and months.purchases > 0 then 1 else 0 end) as active_months_6m,
        sum(case {{ within }}3 then months.amount_brl else 0 end) as amount_3m,
        sum(months.amount_brl) as amount_12m,
        sum(case {{ within }}3 then months.points_earned else 0 end) as points_earned_3m,
        sum(months.points_earned) as points_earned_12m,
        sum(months.points_redeemed) as points_redeemed_12m,
        sum(months.points_expired) as points_expired_12m,
        sum(months.points_reversed) as points_reversed_12m,
        sum(months.campaign_purchases) as campaign_purchases_12m,
        coalesce(max(new_cutoff_partners.distinct_partners_12m), 0) as distinct_partners_12m,
        max(case {{ last }}balance_at_month_end end) as points_balance,
        max(case {{ last }}distinct_partners end) as partners_last_month,
        max(case {{ last }}tier_at_month_end end) as tier,
        max(case {{ last }}status_at_month_end end) as status,
        0 as purchases_next_90d,
        0 as points_next_90d
    from new_cutoff_months as months
    left join new_cutoff_partners on months.member_id = new_cutoff_partners.member_id
    group by months.member_id
    -- members without the month before c (none: member_monthly is dense) get no row, as above
    having count(case when months.months_back = 1 then 1 end) = 1

),

features as (

    select {{ feature_columns | join(', ') }} from history_features
    union all
    select {{ feature_columns | join(', ') }} from new_cutoff_features

),

{% endif -%}
joined as (

    select
        history_features.member_id,
        history_features.cutoff_date,
        history_features.member_sk,
        cast(
            {{ dbt.dateadd('day', 90, 'history_features.cutoff_date') }} as date
        ) <= data_end.data_through as is_label_complete,
        {{ dbt.datediff('member_first_months.signup_at', 'history_features.cutoff_date', 'day') }}
            as tenure_days,
        {{ dbt.datediff('history_features.last_purchase_at', 'history_features.cutoff_date', 'day') }}
            as recency_days,
        {{ dbt.datediff('history_features.last_redemption_at', 'history_features.cutoff_date', 'day') }}
            as days_since_last_redemption,
        history_features.purchases_lifetime,
        history_features.months_observed,
        history_features.purchases_last_month,
        history_features.purchases_3m,
        history_features.purchases_prev_3m,
        history_features.purchases_6m,
        history_features.purchases_12m,
        history_features.active_months_6m,
        history_features.amount_3m,
        history_features.amount_12m,
        history_features.points_earned_3m,
        history_features.points_earned_12m,
        history_features.points_redeemed_12m,
        history_features.points_expired_12m,
        history_features.points_reversed_12m,
        history_features.campaign_purchases_12m,
        history_features.points_balance,
        history_features.partners_last_month,
        history_features.distinct_partners_12m,
        history_features.tier,
        history_features.status,
        members.state,
        members.region,
        members.birth_year,
        history_features.purchases_next_90d,
        history_features.points_next_90d,
        loaded.loaded_through
    from {{ 'features' if add_cutoff else 'history_features' }} as history_features
    cross join data_end
    cross join loaded
    cross join run_window
    inner join member_first_months on history_features.member_id = member_first_months.member_id
    left join members on history_features.member_sk = members.member_sk
    where
        history_features.cutoff_date >= run_window.first_cutoff
        and history_features.cutoff_date <= data_end.data_through

),

rebuilt as (

    select
        {{ surrogate_key(['member_id', 'cutoff_date']) }} as member_cutoff_id,
        member_id,
        member_sk,
        cutoff_date,
        cast(extract(month from cutoff_date) as integer) as cutoff_month,
        ----------  tenure and recency (days before the cutoff)
        cast(tenure_days as integer) as tenure_days,
        cast(recency_days as integer) as recency_days,
        cast(days_since_last_redemption as integer) as days_since_last_redemption,
        ----------  frequency
        cast(purchases_lifetime as bigint) as purchases_lifetime,
        cast(
            purchases_lifetime * 30.0 / greatest(tenure_days, 1) as {{ loyalty.type_double() }}
        ) as purchases_per_30d_lifetime,
        cast(purchases_last_month as bigint) as purchases_last_month,
        cast(purchases_3m as bigint) as purchases_3m,
        cast(purchases_prev_3m as bigint) as purchases_prev_3m,
        cast(purchases_6m as bigint) as purchases_6m,
        cast(purchases_12m as bigint) as purchases_12m,
        cast(active_months_6m as bigint) as active_months_6m,
        -- trend: last 3 months against the 3 before (1 = flat, above 1 = growing)
        cast((purchases_3m + 1.0) / (purchases_prev_3m + 1.0) as {{ loyalty.type_double() }}) as purchase_trend_3m,
        -- how overdue the next purchase is, in units of the member's usual gap between purchases
        cast(
            coalesce(recency_days, tenure_days) * purchases_lifetime * 1.0 / greatest(tenure_days, 1)
            as {{ loyalty.type_double() }}
        ) as overdue_ratio,
        ----------  monetary and points
        cast(amount_3m as {{ loyalty.type_decimal(14, 2) }}) as amount_3m,
        cast(amount_12m as {{ loyalty.type_decimal(14, 2) }}) as amount_12m,
        cast(points_earned_3m as bigint) as points_earned_3m,
        cast(points_earned_12m as bigint) as points_earned_12m,
        cast(points_redeemed_12m as bigint) as points_redeemed_12m,
        cast(points_expired_12m as bigint) as points_expired_12m,
        cast(points_reversed_12m as bigint) as points_reversed_12m,
        cast(coalesce(points_balance, 0) as bigint) as points_balance,
        ----------  diversity and campaigns
        cast(coalesce(partners_last_month, 0) as bigint) as partners_last_month,
        cast(distinct_partners_12m as bigint) as distinct_partners_12m,
        cast(
            campaign_purchases_12m * 1.0 / greatest(purchases_12m, 1) as {{ loyalty.type_double() }}
        ) as campaign_share_12m,
        ----------  member attributes at the cutoff
        tier,
        status,
        state,
        region,
        cast(extract(year from cutoff_date) - birth_year as integer) as age_years,
        ----------  labels (null until the 90-day window after the cutoff is complete)
        {{ label_values | replace('rows.', '') }},
        loaded_through
    from joined

),

{% if restrict -%}
-- the label months of cutoff c: c and c + 1 whole, then the early days of c + 2 and c + 3
relabels as (

    select
        relabel_keys.member_id,
        relabel_keys.cutoff_date,
        cast({{ dbt.dateadd('day', 90, 'relabel_keys.cutoff_date') }} as date)
        <= min(data_end.data_through) as is_label_complete,
        {%- for label, whole, early in [
            ('purchases_next_90d', 'purchases', 'purchases_in_window'),
            ('points_next_90d', 'points_earned', 'points_in_window'),
        ] %}
        coalesce(sum(
            case
                when label_months.month_start < cast({{ dbt.dateadd('month', 2, 'relabel_keys.cutoff_date') }} as date)
                    then label_months.{{ whole }}
                when label_months.month_start < cast({{ dbt.dateadd('month', 3, 'relabel_keys.cutoff_date') }} as date)
                    then label_months.{{ early }}_2
                else label_months.{{ early }}_3
            end
        ), 0) as {{ label }}{{ ',' if not loop.last }}
        {%- endfor %}
    from relabel_keys
    cross join data_end
    left join label_months
        on
            relabel_keys.member_id = label_months.member_id
            and label_months.month_start >= relabel_keys.cutoff_date
            and label_months.month_start < cast({{ dbt.dateadd('month', 4, 'relabel_keys.cutoff_date') }} as date)
    group by 1, 2

),

relabelled as (

    select
        {%- for column in stored_columns if column not in label_columns %}
            stored.{{ column }},
        {%- endfor %}
        {{ label_values | replace('rows.', 'relabels.') }},
        loaded.loaded_through
    from {{ this }} as stored
    inner join relabels
        on
            stored.member_id = relabels.member_id
            and stored.cutoff_date = relabels.cutoff_date
    cross join loaded
    -- bounds DuckDB prunes the stored scan with before the join (38 columns of the last cutoffs)
    where
        stored.cutoff_date >= (select min(relabel_keys.cutoff_date) from relabel_keys)
        and stored.member_id in (select relabel_keys.member_id from relabel_keys)

),

{% endif -%}
final as (

    {%- if restrict %}
        select {{ stored_columns | join(', ') }} from rebuilt
        union all
        select {{ stored_columns | join(', ') }} from relabelled
    {%- else %}
        select * from rebuilt
    {%- endif %}

)

select * from final
