-- type_decimal, type_double, year_of: types and calendar years the same on every adapter.
with checks as (
    select 'decimal holds cents exactly' as check_name,
        cast(cast('1234.56' as {{ loyalty.type_decimal(14, 2) }}) * 100 as {{ dbt.type_bigint() }})
        = 123456 as ok
    union all select 'decimal sums cents exactly',
        cast(0.1 as {{ loyalty.type_decimal(14, 2) }})
        + cast(0.2 as {{ loyalty.type_decimal(14, 2) }})
        = cast(0.3 as {{ loyalty.type_decimal(14, 2) }})
    union all select 'double keeps a ratio',
        abs(cast(1 as {{ loyalty.type_double() }}) / 3 - 0.333333333) < 1e-9
    union all select 'year of the last second of a year',
        {{ loyalty.year_of("cast('2024-12-31 23:59:59' as " ~ dbt.type_timestamp() ~ ")") }} = 2024
    union all select 'year of the first second of a year',
        {{ loyalty.year_of("cast('2025-01-01 00:00:00' as " ~ dbt.type_timestamp() ~ ")") }} = 2025
    union all select 'year of null',
        {{ loyalty.year_of("cast(null as " ~ dbt.type_timestamp() ~ ")") }} is null
)

select *
from checks
where not coalesce(ok, false)
