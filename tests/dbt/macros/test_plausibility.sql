-- The plausibility rules of staging (macros/project/plausibility.sql), regex_contains and
-- pii_shaped (the no_pii_shaped_values test's pattern), on both engines.
{%- set ts = 'cast(t as ' ~ dbt.type_timestamp() ~ ')' %}

with cases as (
    select 'Recife' as txt, '2024-03-01 10:00:00' as t, cast('1990-05-20' as date) as born
    union all select '529.982.247-25', '2023-12-31 23:59:59', cast('9999-12-31' as date)
    union all select 'ana.souza@gmail.com', '2023-09-05 08:00:00', cast('1850-01-01' as date)
    union all select '+55 81 98765-4321', '2024-01-01 00:00:00', cast('2010-01-01' as date)
    union all select 'Loja 12 Boa Viagem', '2024-06-01 12:00:00', cast('1930-01-01' as date)
),

judged as (
    select
        txt,
        {{ loyalty.holds_pii('txt') }} as holds_pii,
        {{ loyalty.pii_shaped('txt') }} as pii_shaped,
        {{ loyalty.before_program_launch([ts]) }} as before_launch,
        {{ loyalty.before_program_launch([ts], catalog=true) }} as before_catalog_setup,
        {{ loyalty.implausible_birth_date('born', ts) }} as implausible_birth
    from cases
),

checks as (
    select 'a city holds no pii' as check_name,
        (select not holds_pii and not pii_shaped from judged where txt = 'Recife') as ok
    union all select 'a formatted cpf is pii in free text and past staging',
        (select holds_pii and pii_shaped from judged where txt = '529.982.247-25')
    union all select 'an e-mail is pii',
        (select holds_pii and pii_shaped from judged where txt = 'ana.souza@gmail.com')
    union all select 'a phone is pii',
        (select holds_pii and pii_shaped from judged where txt = '+55 81 98765-4321')
    union all select 'a store number is not pii',
        (select not holds_pii and not pii_shaped from judged where txt = 'Loja 12 Boa Viagem')
    union all select 'the second before the launch is before it',
        (select before_launch from judged where txt = '529.982.247-25')
    union all select 'the launch itself is not',
        (select not before_launch from judged where txt = '+55 81 98765-4321')
    union all select 'catalog set up weeks before the launch is plausible',
        (select not before_catalog_setup from judged where txt = '529.982.247-25')
    union all select 'catalog set up before that is not',
        (select before_catalog_setup from judged where txt = 'ana.souza@gmail.com')
    union all select 'born 1990, signed up 2024: plausible',
        (select not implausible_birth from judged where txt = 'Recife')
    union all select 'born 9999, 1850, or at 14: implausible',
        (select count(*) = 3 from judged where implausible_birth
            and txt in ('529.982.247-25', 'ana.souza@gmail.com', '+55 81 98765-4321'))
    union all select 'born 1930, signed up at 94: plausible',
        (select not implausible_birth from judged where txt = 'Loja 12 Boa Viagem')
    union all select 'numbers that overflow are numbers',
        {{ loyalty.is_number_text("'1e308'") }} and {{ loyalty.is_number_text("' 12.50 '") }}
    union all select 'text is no number',
        not {{ loyalty.is_number_text("'R$ 10'") }} and not {{ loyalty.is_number_text("'12,5'") }}
    union all select 'regex_contains finds a part',
        {{ loyalty.regex_contains("'abc'", 'b') }} and not {{ loyalty.regex_contains("'abc'", 'x') }}
    union all select 'text over max_text_length is oversized',
        {{ loyalty.oversized_text(["repeat('a', " ~ (var('max_text_length') + 1) ~ ")"]) }}
        and not {{ loyalty.oversized_text(["'Recife'"]) }}
)

select *
from checks
where not coalesce(ok, false)
