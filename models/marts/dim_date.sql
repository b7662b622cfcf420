with

spine as (

    {{ date_spine_days(var('dim_date_start'), var('dim_date_end')) }}

),

holidays as (

    select * from {{ ref('ref_br_national_holidays') }}

),

final as (

    select
        spine.date_day,
        cast(extract(year from spine.date_day) as integer) as year_number,
        cast(extract(quarter from spine.date_day) as integer) as quarter_number,
        cast(extract(month from spine.date_day) as integer) as month_number,
        cast({{ dbt.date_trunc('month', 'spine.date_day') }} as date) as month_start,
        {{ month_name_ptbr('extract(month from spine.date_day)') }} as month_name_pt,
        cast(extract(day from spine.date_day) as integer) as day_of_month,
        cast({{ iso_day_of_week('spine.date_day') }} as integer) as iso_day_of_week,
        {{ day_name_ptbr(iso_day_of_week('spine.date_day')) }} as day_name_pt,
        {{ iso_day_of_week('spine.date_day') }} in (6, 7) as is_weekend,
        holidays.holiday_date is not null as is_holiday,
        holidays.holiday_name,
        -- salaries land around the 5th business day and on the 20th: purchases spike on days
        -- 5, 6 and 20 (a calendar approximation of the business day)
        extract(day from spine.date_day) in (5, 6, 20) as is_payday_window
    from spine
    left join holidays on spine.date_day = holidays.holiday_date

)

select * from final
