-- parse_date_ptbr: by default 'dd/mm/yyyy' text to date (the OLTP's birth dates), null when
-- unparsable or impossible; with formats, every way people write dates (ml/dates.py reads the
-- same rules, and tests/integration/test_dates.py checks both give the same days).
{%- set as_written = [
    'yyyy-mm-dd', 'dd/mm/yyyy', 'mm/yyyy', 'mon/yy', 'mon/yyyy', 'month de yyyy'
] %}
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

written as (
    select 'month label' as case_name, 'jan/04' as txt, date '2004-01-01' as expected
    union all select 'month label, upper case', 'DEZ/14', date '2014-12-01'
    union all select 'month label, last century', 'mar/85', date '1985-03-01'
    union all select 'month label, four digits', 'fev/2004', date '2004-02-01'
    union all select 'month name', 'Março de 2010', date '2010-03-01'
    union all select 'month number', '01/2004', date '2004-01-01'
    union all select 'iso', '2024-01-31', date '2024-01-31'
    union all select 'day first', '01/10/2024', date '2024-10-01'
    union all select 'no such month', 'xyz/04', cast(null as date)
    union all select 'month 13', '13/2004', cast(null as date)
    union all select 'impossible day', '2023-02-29', cast(null as date)
),

results as (
    select case_name, txt, expected, {{ loyalty.parse_date_ptbr('txt') }} as actual
    from cases
    union all
    select case_name, txt, expected, {{ loyalty.parse_date_ptbr('txt', as_written) }} as actual
    from written
)

select *
from results
where actual is distinct from expected
