-- date_spine_days: one row per day, both ends included.
with leap_year as (
    {{ loyalty.date_spine_days('2024-01-01', '2024-12-31') }}
),

one_day as (
    {{ loyalty.date_spine_days('2024-02-29', '2024-02-29') }}
),

checks as (
    select 'days in 2024' as check_name, (select count(*) from leap_year) = 366 as ok
    union all select 'no duplicates', (select count(distinct date_day) from leap_year) = 366
    union all select 'first day', (select min(date_day) from leap_year) = date '2024-01-01'
    union all select 'last day included', (select max(date_day) from leap_year) = date '2024-12-31'
    union all select 'leap day present',
        (select count(*) from leap_year where date_day = date '2024-02-29') = 1
    union all select 'start equals end', (select count(*) from one_day) = 1
)

select *
from checks
where not coalesce(ok, false)
