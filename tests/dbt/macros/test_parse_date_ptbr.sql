-- parse_date_ptbr: 'dd/mm/yyyy' text to date, null when unparsable or impossible.
with cases as (
    select 'valid' as case_name, '15/03/1985' as txt, date '1985-03-15' as expected
    union all select 'leap day', '29/02/2024', date '2024-02-29'
    union all select 'one-digit day and month, spaces', ' 5/3/1985 ', date '1985-03-05'
    union all select 'impossible day', '31/02/2020', cast(null as date)
    union all select 'not a leap year', '29/02/2023', cast(null as date)
    union all select 'month 13', '01/13/2020', cast(null as date)
    union all select 'iso format', '1985-03-15', cast(null as date)
    union all select 'two-digit year', '15/03/85', cast(null as date)
    union all select 'trailing time', '15/03/1985 10:00', cast(null as date)
    union all select 'empty', '', cast(null as date)
    union all select 'null', cast(null as {{ dbt.type_string() }}), cast(null as date)
),

results as (
    select case_name, txt, expected, {{ loyalty.parse_date_ptbr('txt') }} as actual
    from cases
)

select *
from results
where actual is distinct from expected
