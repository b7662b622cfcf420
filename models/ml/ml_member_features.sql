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

-- One row per member per monthly cutoff: features from before the cutoff, labels from the 90
-- days after it (null until complete). How it is built and what an incremental run rewrites:
-- the docs block `ml_member_features` (_ml__docs.md). The trailing-window features are declared
-- in macros/features/member_features.sql; which rows a run rewrites is decided in
-- macros/incremental/feature_mart_runs.sql.
{%- set plan = feature_mart_plan(ref('fct_transactions')) %}
{%- set features = member_features() %}
{%- set label_columns = ['churned_next_90d', 'points_next_90d', 'is_label_complete', 'loaded_through'] %}
{#- the stored table's columns: relabelled rows copy the others, and both paths are stacked by name #}
{%- set stored_columns = adapter.get_columns_in_relation(this) | map(attribute='name') | list
    if plan.restrict else [] %}
{%- set path_columns = ['member_id', 'cutoff_date'] + features | map(attribute='name') | list
    + ['distinct_partners_12m', 'purchases_next_90d', 'points_next_90d'] %}

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
{% if plan.restrict -%}
{{ changed_members_ctes() }},

{% endif -%}
run_window as (

    {{ feature_mart_run_window(plan) }}

),

-- a member's row for month m carries the features of cutoff m + 1
member_months as (

    select
        monthly.*,
        cast({{ dbt.dateadd('month', 1, 'monthly.month_start') }} as date) as cutoff_date
    from monthly
    cross join run_window
    where
        monthly.month_start >= run_window.first_month
        and {{ is_rebuilt_member(plan, 'monthly.member_id') }}

),

{{ partner_change_ctes(plan) }},

label_months as (

    {{ label_months_sql(plan) }}

),

-- each month with what the window pass reads beside it: partners and label months
member_month_rows as (

    select
        member_months.*,
        monthly_partner_changes.partner_change,
        {{ label_month_columns_as('label_months', 'label_') }}
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

-- the window pass: every cutoff's features from one sort of the member-months
history_features as (

    select
        member_id,
        cutoff_date,
        {{ features_over_rows(features) }},
        {{ to_date('sum', 'coalesce(partner_change, 0)') }} as distinct_partners_12m,
        {{ labels_ahead() }}
    from member_month_rows

),

{% if plan.add_cutoff -%}
{{ new_cutoff_ctes(features) }},

features as (

    select {{ path_columns | join(', ') }} from history_features
    union all
    select {{ path_columns | join(', ') }} from new_cutoff_features

),

{% endif -%}
joined as (

    select
        history_features.*,
        cast(
            {{ dbt.dateadd('day', 90, 'history_features.cutoff_date') }} as date
        ) <= data_end.data_through as is_label_complete,
        {{ dbt.datediff('member_first_months.signup_at', 'history_features.cutoff_date', 'day') }}
            as tenure_days,
        {{ dbt.datediff('history_features.last_purchase_at', 'history_features.cutoff_date', 'day') }}
            as recency_days,
        {{ dbt.datediff('history_features.last_redemption_at', 'history_features.cutoff_date', 'day') }}
            as days_since_last_redemption,
        members.state,
        members.region,
        members.birth_year,
        loaded.loaded_through
    from {{ 'features' if plan.add_cutoff else 'history_features' }} as history_features
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
        cast(tenure_days as integer) as tenure_days,
        cast(recency_days as integer) as recency_days,
        cast(days_since_last_redemption as integer) as days_since_last_redemption,
        -- the declared trailing windows (macros/features/member_features.sql)
        {{ features_typed(features) }},
        cast(
            purchases_lifetime * 30.0 / greatest(tenure_days, 1) as {{ loyalty.type_double() }}
        ) as purchases_per_30d_lifetime,
        -- trend: last 3 months against the 3 before (1 = flat, above 1 = growing)
        cast((purchases_3m + 1.0) / (purchases_prev_3m + 1.0) as {{ loyalty.type_double() }}) as purchase_trend_3m,
        -- how overdue the next purchase is, in units of the member's usual gap between purchases
        cast(
            coalesce(recency_days, tenure_days) * purchases_lifetime * 1.0 / greatest(tenure_days, 1)
            as {{ loyalty.type_double() }}
        ) as overdue_ratio,
        cast(distinct_partners_12m as bigint) as distinct_partners_12m,
        cast(
            campaign_purchases_12m * 1.0 / greatest(purchases_12m, 1) as {{ loyalty.type_double() }}
        ) as campaign_share_12m,
        state,
        region,
        cast(extract(year from cutoff_date) - birth_year as integer) as age_years,
        -- the churn model's population (docs block ml_population)
        {{ ineligible_reason('status', 'purchases_lifetime', 'recency_days') }} is null as is_eligible,
        {{ ineligible_reason('status', 'purchases_lifetime', 'recency_days') }} as ineligible_reason,
        -- labels (null until the 90-day window after the cutoff is complete)
        {{ label_values() }},
        loaded_through
    from joined

),

{% if plan.restrict -%}
{{ relabelled_ctes(stored_columns, label_columns) }},

{% endif -%}
final as (

    {%- if plan.restrict %}
        select {{ stored_columns | join(', ') }} from rebuilt
        union all
        select {{ stored_columns | join(', ') }} from relabelled
    {%- else %}
        select * from rebuilt
    {%- endif %}

)

select * from final
