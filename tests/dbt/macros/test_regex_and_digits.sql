-- regex_full_match (whole string only) and digits_only.
{%- set null_text = 'cast(null as ' ~ dbt.type_string() ~ ')' %}

with checks as (
    select 'full match' as check_name, {{ loyalty.regex_full_match("'abc'", 'a.c') }} as ok
    union all select 'prefix is not a full match',
        not {{ loyalty.regex_full_match("'abc'", 'ab') }}
    union all select 'substring is not a full match',
        not {{ loyalty.regex_full_match("'abc'", 'b') }}
    union all select 'alternation is anchored as a whole',
        not {{ loyalty.regex_full_match("'xab'", 'x|ab') }}
    union all select 'quantified class',
        {{ loyalty.regex_full_match("'52998224725'", '[0-9]{11}') }}
    union all select 'null in, null out',
        {{ loyalty.regex_full_match(null_text, 'a') }} is null
    union all select 'digits of a formatted cpf',
        {{ loyalty.digits_only("'529.982.247-25'") }} = '52998224725'
    union all select 'digits of a phone',
        {{ loyalty.digits_only("'+55 (11) 98765-4321'") }} = '5511987654321'
    union all select 'no digits', {{ loyalty.digits_only("'abc'") }} = ''
    union all select 'integer input', {{ loyalty.digits_only('123') }} = '123'
    union all select 'digits null',
        {{ loyalty.digits_only(null_text) }} is null
)

select *
from checks
where not coalesce(ok, false)
