-- surrogate_key: deterministic md5 hex, nulls replaced by a sentinel, order matters.
-- row_fingerprint: the same identity (whatever its type on the adapter), never null.
-- timestamp_text: the same text on every adapter, so keys built from timestamps match.
with cases as (
    select 1 as id, '1' as a, cast(null as {{ dbt.type_string() }}) as b
    union all select 2, '1', cast(null as {{ dbt.type_string() }})
    union all select 3, cast(null as {{ dbt.type_string() }}), '1'
    union all select 4, cast(null as {{ dbt.type_string() }}), cast(null as {{ dbt.type_string() }})
),

keyed as (
    select
        id,
        {{ loyalty.surrogate_key(['a', 'b']) }} as k,
        {{ loyalty.row_fingerprint(['a', 'b']) }} as fingerprint
    from cases
),

checks as (
    select
        'known value of 1, null' as check_name,
        (select k from keyed where id = 1) = '4e5e87a6b3b70abf06516b917abf3b4b' as ok
    union all select
        'known value of null, null',
        (select k from keyed where id = 4) = 'b5e326131965ad4dfe2a4ef3795806d8'
    union all select
        'same input, same key',
        (select k from keyed where id = 1) = (select k from keyed where id = 2)
    union all select
        'field order matters',
        (select k from keyed where id = 1) <> (select k from keyed where id = 3)
    union all select
        'never null, 32 hex characters',
        (select count(*) from keyed where {{ loyalty.regex_full_match('k', '[0-9a-f]{32}') }}) = 4
    union all select
        'single column and integer input',
        {{ loyalty.surrogate_key(['1']) }} = {{ loyalty.surrogate_key("'1'") }}
    union all select
        'fingerprint: same input, same value; order and nulls matter',
        (select fingerprint from keyed where id = 1) = (select fingerprint from keyed where id = 2)
        and (select fingerprint from keyed where id = 1)
        <> (select fingerprint from keyed where id = 3)
        and (select fingerprint from keyed where id = 1)
        <> (select fingerprint from keyed where id = 4)
    union all select
        'fingerprint never null',
        (select count(fingerprint) from keyed) = 4
    {%- for literal, text in [
        ('2024-01-01 10:00:00', '2024-01-01 10:00:00'),
        ('2024-01-01 10:00:10.5', '2024-01-01 10:00:10.5'),
        ('2024-12-31 23:59:59.000001', '2024-12-31 23:59:59.000001'),
    ] %}
    union all select
        'timestamp_text of {{ literal }}',
        {{ loyalty.timestamp_text("cast('" ~ literal ~ "' as " ~ dbt.type_timestamp() ~ ")") }}
        = '{{ text }}'
    {%- endfor %}
)

select *
from checks
where not coalesce(ok, false)
