{{
    config(
        materialized='incremental',
        unique_key='cutoff_date',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}

-- One row per member per monthly cutoff. Every feature uses only what happened strictly before
-- the cutoff (months before it in member_monthly, the member version in force at it); labels
-- look at the 90 days from the cutoff on and stay null until that window is complete.
-- Incremental: a new day only changes the cutoffs whose label window is still open (and adds
-- one at a month start), so a run rebuilds the last var features_recompute_months cutoffs.
with

monthly as (

    select * from {{ ref('member_monthly') }}

),

members as (

    select * from {{ ref('dim_member') }}

),

transactions as (

    select * from {{ ref('fct_transactions') }}

),

-- data is complete up to the end of the last month member_monthly knows
data_end as (

    select cast({{ dbt.dateadd('month', 1, 'max(month_start)') }} as date) as data_through
    from monthly

),

cutoffs as (

    select distinct cast({{ dbt.dateadd('month', 1, 'month_start') }} as date) as cutoff_date
    from monthly
    {% if is_incremental() %}
        where
            cast({{ dbt.dateadd('month', 1, 'month_start') }} as date)
            >= (
                select
                    cast(
                        {{ dbt.dateadd('month', -1 * var('features_recompute_months'),
                                       'max(built.cutoff_date)') }} as date
                    )
                from {{ this }} as built
            )
    {% endif %}

),

member_cutoffs as (

    select
        members.member_id,
        members.signup_at,
        cutoffs.cutoff_date
    from members
    cross join cutoffs
    where
        members.is_current
        and members.member_id != -1
        and members.signup_at < cast(cutoffs.cutoff_date as timestamp)

),

-- months before the cutoff, with how many months back each one is (1 = the month just before)
history as (

    select
        member_cutoffs.member_id,
        member_cutoffs.cutoff_date,
        monthly.*,
        {{ dbt.datediff('monthly.month_start', 'member_cutoffs.cutoff_date', 'month') }}
            as months_back
    from member_cutoffs
    inner join monthly
        on
            member_cutoffs.member_id = monthly.member_id
            and member_cutoffs.cutoff_date > monthly.month_start

),

history_features as (

    select
        member_id,
        cutoff_date,
        max(last_purchase_at) as last_purchase_at,
        max(last_redemption_at) as last_redemption_at,
        sum(purchases) as purchases_lifetime,
        count(*) as months_observed,
        sum(case when months_back = 1 then purchases else 0 end) as purchases_last_month,
        sum(case when months_back <= 3 then purchases else 0 end) as purchases_3m,
        sum(case when months_back between 4 and 6 then purchases else 0 end) as purchases_prev_3m,
        sum(case when months_back <= 6 then purchases else 0 end) as purchases_6m,
        sum(case when months_back <= 12 then purchases else 0 end) as purchases_12m,
        sum(case when months_back <= 6 and purchases > 0 then 1 else 0 end) as active_months_6m,
        sum(case when months_back <= 3 then amount_brl else 0 end) as amount_3m,
        sum(case when months_back <= 12 then amount_brl else 0 end) as amount_12m,
        sum(case when months_back <= 3 then points_earned else 0 end) as points_earned_3m,
        sum(case when months_back <= 12 then points_earned else 0 end) as points_earned_12m,
        sum(case when months_back <= 12 then points_redeemed else 0 end) as points_redeemed_12m,
        sum(case when months_back <= 12 then points_expired else 0 end) as points_expired_12m,
        sum(case when months_back <= 12 then points_reversed else 0 end) as points_reversed_12m,
        sum(case when months_back <= 12 then campaign_purchases else 0 end)
            as campaign_purchases_12m,
        max(case when months_back = 1 then balance_at_month_end end) as points_balance,
        max(case when months_back = 1 then distinct_partners end) as partners_last_month,
        max(case when months_back = 1 then tier_at_month_end end) as tier,
        max(case when months_back = 1 then status_at_month_end end) as status,
        max(case when months_back = 1 then member_sk end) as member_sk
    from history
    group by 1, 2

),

-- partner diversity needs distinct partners over the window, not a sum of monthly counts
partner_diversity as (

    select
        member_cutoffs.member_id,
        member_cutoffs.cutoff_date,
        count(distinct transactions.partner_sk) as distinct_partners_12m
    from member_cutoffs
    inner join transactions
        on
            member_cutoffs.member_id = transactions.member_id
            and member_cutoffs.cutoff_date > transactions.purchase_date
            and transactions.purchase_date
            >= cast({{ dbt.dateadd('month', -12, 'member_cutoffs.cutoff_date') }} as date)
    group by 1, 2

),

labels as (

    select
        member_cutoffs.member_id,
        member_cutoffs.cutoff_date,
        count(transactions.transaction_id) as purchases_next_90d,
        coalesce(sum(transactions.points_earned), 0) as points_next_90d
    from member_cutoffs
    left join transactions
        on
            member_cutoffs.member_id = transactions.member_id
            and member_cutoffs.cutoff_date <= transactions.purchase_date
            and transactions.purchase_date
            < cast({{ dbt.dateadd('day', 90, 'member_cutoffs.cutoff_date') }} as date)
    group by 1, 2

),

joined as (

    select
        member_cutoffs.member_id,
        member_cutoffs.cutoff_date,
        history_features.member_sk,
        cast(
            {{ dbt.dateadd('day', 90, 'member_cutoffs.cutoff_date') }} as date
        ) <= data_end.data_through as is_label_complete,
        {{ dbt.datediff('member_cutoffs.signup_at', 'member_cutoffs.cutoff_date', 'day') }}
            as tenure_days,
        {{ dbt.datediff('history_features.last_purchase_at', 'member_cutoffs.cutoff_date', 'day') }}
            as recency_days,
        {{ dbt.datediff('history_features.last_redemption_at', 'member_cutoffs.cutoff_date', 'day') }}
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
        coalesce(partner_diversity.distinct_partners_12m, 0) as distinct_partners_12m,
        history_features.tier,
        history_features.status,
        members.state,
        members.region,
        members.birth_year,
        labels.purchases_next_90d,
        labels.points_next_90d
    from member_cutoffs
    cross join data_end
    inner join history_features
        on
            member_cutoffs.member_id = history_features.member_id
            and member_cutoffs.cutoff_date = history_features.cutoff_date
    left join members on history_features.member_sk = members.member_sk
    left join partner_diversity
        on
            member_cutoffs.member_id = partner_diversity.member_id
            and member_cutoffs.cutoff_date = partner_diversity.cutoff_date
    left join labels
        on
            member_cutoffs.member_id = labels.member_id
            and member_cutoffs.cutoff_date = labels.cutoff_date

),

final as (

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
            purchases_lifetime * 30.0 / greatest(tenure_days, 1) as double
        ) as purchases_per_30d_lifetime,
        cast(purchases_last_month as bigint) as purchases_last_month,
        cast(purchases_3m as bigint) as purchases_3m,
        cast(purchases_prev_3m as bigint) as purchases_prev_3m,
        cast(purchases_6m as bigint) as purchases_6m,
        cast(purchases_12m as bigint) as purchases_12m,
        cast(active_months_6m as bigint) as active_months_6m,
        -- trend: last 3 months against the 3 before (1 = flat, above 1 = growing)
        cast((purchases_3m + 1.0) / (purchases_prev_3m + 1.0) as double) as purchase_trend_3m,
        -- how overdue the next purchase is, in units of the member's usual gap between purchases
        cast(
            coalesce(recency_days, tenure_days) * purchases_lifetime * 1.0 / greatest(tenure_days, 1)
            as double
        ) as overdue_ratio,
        ----------  monetary and points
        cast(amount_3m as decimal(14, 2)) as amount_3m,
        cast(amount_12m as decimal(14, 2)) as amount_12m,
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
            campaign_purchases_12m * 1.0 / greatest(purchases_12m, 1) as double
        ) as campaign_share_12m,
        ----------  member attributes at the cutoff
        tier,
        status,
        state,
        region,
        cast(extract(year from cutoff_date) - birth_year as integer) as age_years,
        ----------  labels (null until the 90-day window after the cutoff is complete)
        case
            when is_label_complete then cast(purchases_next_90d = 0 as integer)
        end as churned_next_90d,
        case when is_label_complete then cast(points_next_90d as bigint) end as points_next_90d,
        is_label_complete
    from joined

)

select * from final
