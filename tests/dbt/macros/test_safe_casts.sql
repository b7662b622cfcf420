-- safe_cast_*: bad values give null instead of failing; text is trimmed first.
with checks as (
    select 'timestamp ok' as check_name,
        {{ loyalty.safe_cast_timestamp("' 2024-02-29 10:00:00 '") }}
        = timestamp '2024-02-29 10:00:00' as ok
    union all select 'timestamp impossible day',
        {{ loyalty.safe_cast_timestamp("'2024-02-30 10:00:00'") }} is null
    union all select 'timestamp garbage', {{ loyalty.safe_cast_timestamp("'ontem'") }} is null
    union all select 'date ok', {{ loyalty.safe_cast_date("' 2024-02-03 '") }} = date '2024-02-03'
    union all select 'date impossible day', {{ loyalty.safe_cast_date("'2023-02-29'") }} is null
    union all select 'date pt-br format', {{ loyalty.safe_cast_date("'03/02/2024'") }} is null
    union all select 'numeric ok', {{ loyalty.safe_cast_numeric("' 12.50 '") }} = 12.5
    union all select 'numeric rounded to scale', {{ loyalty.safe_cast_numeric("'12.345'") }} = 12.35
    union all select 'numeric scale 0', {{ loyalty.safe_cast_numeric("'12.5'", 10, 0) }} = 13
    union all select 'numeric decimal comma', {{ loyalty.safe_cast_numeric("'12,50'") }} is null
    union all select 'numeric currency', {{ loyalty.safe_cast_numeric("'R$ 10'") }} is null
    union all select 'numeric empty', {{ loyalty.safe_cast_numeric("''") }} is null
    union all select 'integer with spaces', {{ loyalty.safe_cast_integer("'  42 '") }} = 42
    union all select 'integer signed', {{ loyalty.safe_cast_integer("'-7'") }} = -7
    union all select 'integer from number', {{ loyalty.safe_cast_integer('42') }} = 42
    union all select 'integer fraction', {{ loyalty.safe_cast_integer("'42.7'") }} is null
    union all select 'integer garbage', {{ loyalty.safe_cast_integer("'abc'") }} is null
    union all select 'integer empty', {{ loyalty.safe_cast_integer("''") }} is null
    union all select 'integer null',
        {{ loyalty.safe_cast_integer('cast(null as ' ~ dbt.type_string() ~ ')') }} is null
)

select *
from checks
where not coalesce(ok, false)
