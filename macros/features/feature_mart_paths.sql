{#- What ml_member_features' rows hold, apart from the declared trailing windows
    (member_features.sql): the 90-day labels, distinct partners over 12 months, and a month
    start's new cutoff as one aggregate. Which rows a run rebuilds: feature_mart_runs.sql. -#}

{#- The two 90-day sums behind the labels: of cutoff c they count purchases in
    [c, c + 90 days): all of months c and c + 1 (`whole`), and of months c + 2 and c + 3 the
    days before c + 90 (`early`_2, `early`_3, from label_months). -#}
{% macro label_sums() %}
    {{ return([
        {'name': 'purchases_next_90d', 'whole': 'purchases', 'early': 'purchases_in_window'},
        {'name': 'points_next_90d', 'whole': 'points_earned', 'early': 'points_in_window'},
    ]) }}
{% endmacro %}

{#- label_months' columns the window pass reads ahead (as label_<column>). -#}
{% macro label_month_columns() %}
    {%- set columns = [] %}
    {%- for label in loyalty.label_sums() %}
        {%- do columns.extend([label.whole, label.early ~ '_2', label.early ~ '_3']) %}
    {%- endfor %}
    {{ return(columns) }}
{% endmacro %}

{#- label_months' columns as select-list lines, `relation`.column as `prefix`column. -#}
{% macro label_month_columns_as(relation, prefix) -%}
    {%- set lines = [] %}
    {%- for column in loyalty.label_month_columns() %}
        {%- do lines.append(relation ~ '.' ~ column ~ ' as ' ~ prefix ~ column) %}
    {%- endfor %}
    {{- lines | join(',\n        ') }}
{%- endmacro %}

{#- The label columns from `relation`'s is_label_complete and 90-day sums: null until the
    window is complete. -#}
{% macro label_values(relation=none) -%}
    {%- set row = relation ~ '.' if relation else '' -%}
    case
            when {{ row }}is_label_complete then cast({{ row }}purchases_next_90d = 0 as integer)
        end as churned_next_90d,
        case
            when {{ row }}is_label_complete then cast({{ row }}points_next_90d as bigint)
        end as points_next_90d,
        {{ row }}is_label_complete
{%- endmacro %}

{#- The body of `label_months`: per member and month from the run's first cutoff on, the
    purchases and points of the month, and those early enough for the cutoffs two and three
    months back (before c + 90 days). -#}
{% macro label_months_sql(plan, transactions='transactions') %}
    {%- set month = 'cast(' ~ dbt.date_trunc('month', transactions ~ '.purchase_date') ~ ' as date)' %}
    select
        {{ transactions }}.member_id,
        {{ month }} as month_start,
        count(*) as purchases,
        sum({{ transactions }}.points_earned) as points_earned,
        {%- for back in [2, 3] %}
            {%- set early = transactions ~ '.purchase_date < cast('
                ~ dbt.dateadd('day', 90, dbt.dateadd('month', -back, month)) ~ ' as date)' %}
        sum(case when {{ early }} then 1 else 0 end) as purchases_in_window_{{ back }},
        sum(case when {{ early }} then {{ transactions }}.points_earned else 0 end)
            as points_in_window_{{ back }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ transactions }}
    cross join run_window
    where
        {{ transactions }}.purchase_date >= run_window.first_cutoff
        and {{ loyalty.is_rebuilt_member(plan, transactions ~ '.member_id', also='relabel_keys') }}
    group by 1, 2
{% endmacro %}

{#- A row of month m is cutoff m + 1: its label months are one to four rows ahead. -#}
{% macro labels_ahead(order_by='member_id order by month_start') -%}
    {%- for label in loyalty.label_sums() %}
        {%- set ahead = 'over (partition by ' ~ order_by ~ ')' %}
        coalesce(lead(label_{{ label.whole }}, 1) {{ ahead }}, 0)
        + coalesce(lead(label_{{ label.whole }}, 2) {{ ahead }}, 0)
        + coalesce(lead(label_{{ label.early }}_2, 3) {{ ahead }}, 0)
        + coalesce(lead(label_{{ label.early }}_3, 4) {{ ahead }}, 0)
            as {{ label.name }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- Distinct partners over 12 months for the window pass, as `monthly_partner_changes`
    (member, month, change): partner p counts for the 12-month window of every row from its
    month m up to (not including) m + 12 months or p's next month, whichever is first; the
    running sum of +1/-1 at those bounds is the number of distinct partners. A purchase before
    a member's first row counts from that row on (or not at all once over). -#}
{% macro partner_change_ctes(plan, transactions='transactions', members='members') %}
    {%- set twelve_months_on = 'cast(' ~ dbt.dateadd('month', 12, 'month_start') ~ ' as date)' %}
partner_months as (

    select distinct
        {{ transactions }}.member_id,
        {{ transactions }}.partner_sk,
        cast({{ dbt.date_trunc('month', transactions ~ '.purchase_date') }} as date) as month_start
    from {{ transactions }}
    cross join run_window
    where
        {{ transactions }}.purchase_date >= run_window.first_month
        and {{ loyalty.is_rebuilt_member(plan, transactions ~ '.member_id') }}

),

partner_spans as (

    select
        member_id,
        month_start,
        least(
            {{ twelve_months_on }},
            coalesce(
                lead(month_start) over (partition by member_id, partner_sk order by month_start),
                {{ twelve_months_on }}
            )
        ) as span_end
    from partner_months

),

member_first_months as (

    select
        {{ members }}.member_id,
        {{ members }}.signup_at,
        greatest(
            cast({{ dbt.date_trunc('month', members ~ '.signup_at') }} as date),
            run_window.first_month
        ) as first_month
    from {{ members }}
    cross join run_window
    where
        {{ members }}.is_current
        and {{ loyalty.is_rebuilt_member(plan if not plan.add_cutoff else {'restrict': false}, members ~ '.member_id') }}

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

)
{%- endmacro %}

{#- A month start's new cutoff c for everyone not rebuilt: the same features as one aggregate
    over their 12 months before c (the declared ones by feature_over_months), instead of a
    window pass sorting every member's last 16 months for one new row each. Its label cannot
    be complete yet (the plan's add_cutoff), so the 90-day sums are 0 and masked. Distinct
    partners by the partner's integer id: counting distinct 32-character keys over 12 months
    of purchases took a third of this path (every partner_sk is in dim_partner: a
    relationships test). Members without the month before c (none: member_monthly is dense)
    get no row, as in the window pass. -#}
{% macro new_cutoff_ctes(features, monthly='monthly', transactions='transactions') %}
    {%- set not_rebuilt = 'member_id not in (select rebuilt_members.member_id from rebuilt_members)' %}
new_cutoff as (

    select
        cast({{ dbt.date_trunc('month', 'data_end.data_through') }} as date) as cutoff_date,
        cast({{ dbt.dateadd('month', -12, dbt.date_trunc('month', 'data_end.data_through')) }} as date)
            as first_month
    from data_end

),

new_cutoff_months as (

    select
        {{ monthly }}.*,
        new_cutoff.cutoff_date,
        {{ dbt.datediff(monthly ~ '.month_start', 'new_cutoff.cutoff_date', 'month') }} as months_back
    from {{ monthly }}
    cross join new_cutoff
    where
        {{ monthly }}.month_start >= new_cutoff.first_month
        and {{ monthly }}.month_start < new_cutoff.cutoff_date
        and {{ monthly }}.{{ not_rebuilt }}

),

new_cutoff_partners as (

    select
        {{ transactions }}.member_id,
        count(distinct partners.partner_id) as distinct_partners_12m
    from {{ transactions }}
    inner join {{ ref('dim_partner') }} as partners
        on {{ transactions }}.partner_sk = partners.partner_sk
    cross join new_cutoff
    where
        {{ transactions }}.purchase_date >= new_cutoff.first_month
        and {{ transactions }}.purchase_date < new_cutoff.cutoff_date
        and {{ transactions }}.{{ not_rebuilt }}
    group by 1

),

new_cutoff_features as (

    select
        new_cutoff_months.member_id,
        max(new_cutoff_months.cutoff_date) as cutoff_date,
        {%- for feature in features %}
        {{ loyalty.feature_over_months(feature) }} as {{ feature.name }},
        {%- endfor %}
        coalesce(max(new_cutoff_partners.distinct_partners_12m), 0) as distinct_partners_12m,
        {%- for label in loyalty.label_sums() %}
        0 as {{ label.name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from new_cutoff_months
    left join new_cutoff_partners on new_cutoff_months.member_id = new_cutoff_partners.member_id
    group by new_cutoff_months.member_id
    having count(case when new_cutoff_months.months_back = 1 then 1 end) = 1

)
{%- endmacro %}
