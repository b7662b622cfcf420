-- pseudonymise: deterministic, salted, 64 hex characters, null stays null.
with cases as (
    select 1 as id, '52998224725' as cpf
    union all select 2, '52998224725'
    union all select 3, '11144477735'
    union all select 4, cast(null as {{ dbt.type_string() }})
),

hashed as (
    select id, cpf, {{ loyalty.pseudonymise('cpf') }} as h
    from cases
),

checks as (
    select
        'same input, same output' as check_name,
        (select h from hashed where id = 1) = (select h from hashed where id = 2) as ok
    union all select
        'different input, different output',
        (select h from hashed where id = 1) <> (select h from hashed where id = 3)
    union all select
        'output differs from input',
        (select count(*) from hashed where h = cpf) = 0
    union all select
        '64 lowercase hex characters',
        (select count(*) from hashed where {{ loyalty.regex_full_match('h', '[0-9a-f]{64}') }}) = 3
    union all select
        'null in, null out',
        (select h from hashed where id = 4) is null
)

select *
from checks
where not coalesce(ok, false)
