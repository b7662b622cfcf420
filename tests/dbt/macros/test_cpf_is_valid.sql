-- cpf_is_valid: returns the cases whose result differs from the expected boolean.
with cases as (
    select 'valid' as case_name, '52998224725' as cpf, true as expected
    union all select 'valid 2', '11144477735', true
    union all select 'valid, first check digit from remainder 10', '10000000108', true
    union all select 'valid, second check digit from remainder 10', '10000002810', true
    union all select 'wrong first check digit', '52998224715', false
    union all select 'wrong second check digit', '52998224724', false
    union all select 'all digits equal', '11111111111', false
    union all select 'all zeros', '00000000000', false
    union all select 'too short', '5299822472', false
    union all select 'too long', '529982247250', false
    union all select 'formatted, not digits only', '529.982.247-25', false
    union all select 'letters', '5299822472a', false
    union all select 'empty', '', false
    union all select 'null', cast(null as {{ dbt.type_string() }}), false
),

results as (
    select
        case_name,
        cpf,
        expected,
        {{ loyalty.cpf_is_valid('cpf') }} as actual
    from cases
)

select *
from results
where actual is distinct from expected
