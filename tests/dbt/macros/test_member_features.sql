-- Every feature declared for ml_member_features (member_features) comes out the same from the
-- window pass (feature_over_rows) and from a month start's aggregate (feature_over_months),
-- on two members' dense months with values that differ every month; and the declarations
-- are read at all (an empty list of declared columns fails).
{%- set features = loyalty.member_features() %}
{%- set month = "cast(" ~ dbt.dateadd('month', 'month_number', "cast('2024-01-01' as date)") ~ " as date)" %}

with numbers as (
    {%- for n in range(16) %}
    select {{ n }} as month_number{{ ' union all' if not loop.last }}
    {%- endfor %}
),

member_monthly as (
    select
        members.member_id,
        {{ month }} as month_start,
        cast({{ dbt.dateadd('month', 1, month) }} as date) as cutoff_date,
        'sk-' || cast(members.member_id * 100 + month_number as {{ dbt.type_string() }}) as member_sk,
        mod(month_number * 7 + members.member_id, 5) as purchases,
        cast(mod(month_number * 13 + members.member_id, 11) * 10.25 as {{ loyalty.type_decimal(14, 2) }}) as amount_brl,
        mod(month_number * 3 + members.member_id, 4) as distinct_partners,
        mod(month_number, 2) as campaign_purchases,
        month_number * 17 + members.member_id as points_earned,
        mod(month_number * 5, 7) as points_redeemed,
        mod(month_number, 3) as points_expired,
        mod(month_number * 2, 3) as points_reversed,
        month_number * 100 + members.member_id as purchases_to_date,
        month_number * 1000 - members.member_id as balance_at_month_end,
        case when mod(month_number, 4) = 0 then 'gold' else 'silver' end as tier_at_month_end,
        case when mod(month_number, 5) = 0 then 'inactive' else 'active' end as status_at_month_end,
        cast({{ dbt.dateadd('day', 'month_number', "cast('2024-01-01' as timestamp)") }} as {{ dbt.type_timestamp() }})
            as last_purchase_to_date_at,
        cast({{ dbt.dateadd('day', '2 * month_number', "cast('2024-01-01' as timestamp)") }} as {{ dbt.type_timestamp() }})
            as last_redemption_to_date_at
    from numbers
    cross join (select 1 as member_id union all select 2 as member_id) as members
),

-- the window pass over every month; the aggregate for the cutoff of the 15th month
over_rows as (
    select
        member_id,
        cutoff_date
        {%- for feature in features %},
        {{ loyalty.feature_over_rows(feature) }} as {{ feature.name }}
        {%- endfor %}
    from member_monthly
),

new_cutoff_months as (
    select
        member_monthly.*,
        {{ dbt.datediff('month_start', "cast('2025-03-01' as date)", 'month') }} as months_back
    from member_monthly
    where month_start >= cast('2024-03-01' as date) and month_start < cast('2025-03-01' as date)
),

over_months as (
    select
        member_id
        {%- for feature in features %},
        {{ loyalty.feature_over_months(feature) }} as {{ feature.name }}
        {%- endfor %}
    from new_cutoff_months
    group by member_id
),

differences as (
    {%- for feature in features %}
    select
        '{{ feature.name }}' as feature_name,
        over_rows.member_id
    from over_rows
    inner join over_months on over_rows.member_id = over_months.member_id
    where
        over_rows.cutoff_date = cast('2025-03-01' as date)
        and (
            over_rows.{{ feature.name }} != over_months.{{ feature.name }}
            or (over_rows.{{ feature.name }} is null) != (over_months.{{ feature.name }} is null)
        )
    union all
    {%- endfor %}
    select 'declarations read' as feature_name, 0 as member_id
    from numbers
    where month_number = 0 and {{ features | selectattr('data_type') | list | length }} = 0
)

select * from differences
