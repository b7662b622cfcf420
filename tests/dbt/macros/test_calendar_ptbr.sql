-- month_name_ptbr, day_name_ptbr and iso_day_of_week (1 = Monday).
with checks as (
    select 'january' as check_name, {{ loyalty.month_name_ptbr('1') }} = 'janeiro' as ok
    union all select 'march', {{ loyalty.month_name_ptbr('3') }} = 'março'
    union all select 'december', {{ loyalty.month_name_ptbr('12') }} = 'dezembro'
    union all select 'month 13', {{ loyalty.month_name_ptbr('13') }} is null
    union all select 'monday', {{ loyalty.day_name_ptbr('1') }} = 'segunda-feira'
    union all select 'saturday', {{ loyalty.day_name_ptbr('6') }} = 'sábado'
    union all select 'sunday', {{ loyalty.day_name_ptbr('7') }} = 'domingo'
    union all select 'day 0', {{ loyalty.day_name_ptbr('0') }} is null
    union all select 'iso dow of a sunday', {{ loyalty.iso_day_of_week("date '2024-01-07'") }} = 7
    union all select 'iso dow of a monday', {{ loyalty.iso_day_of_week("date '2024-01-08'") }} = 1
    union all select 'iso dow of a saturday', {{ loyalty.iso_day_of_week("date '2024-01-13'") }} = 6
    union all select '2025-01-01 is a wednesday',
        {{ loyalty.day_name_ptbr(loyalty.iso_day_of_week("date '2025-01-01'")) }} = 'quarta-feira'
)

select *
from checks
where not coalesce(ok, false)
