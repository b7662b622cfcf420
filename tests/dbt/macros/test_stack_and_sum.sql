-- stack_and_sum: inputs missing a measure give 0 (or null for a latest timestamp), keys found
-- in one input only survive unless `having` drops them; to_date: running sum and running max.
{%- set ts = dbt.type_timestamp() %}

with visits as (
    select 1 as k, 2 as n, cast('2024-01-02 00:00:00' as {{ ts }}) as seen_at
    union all select 1, 3, cast('2024-01-05 00:00:00' as {{ ts }})
    union all select 2, 1, cast('2024-01-01 00:00:00' as {{ ts }})
),

spend as (
    select 1 as k, 10 as amount
    union all select 3, 7
),

keys as (
    select 1 as k union all select 2 as k
),

totals as (
    {{ loyalty.stack_and_sum(
        inputs=[['keys', {'is_key': '1'}], ['visits', ['n', 'seen_at']], ['spend', ['amount']]],
        keys=['k'], latest=['seen_at'], having='sum(is_key) = 1') }}
),

running as (
    select
        k,
        {{ loyalty.to_date('sum', 'n', partition_by='1', order_by='k') }} as n_to_date,
        {{ loyalty.to_date('max', 'amount', partition_by='1', order_by='k') }} as max_amount
    from totals
),

checks as (
    select 'key 1 sums both inputs' as check_name,
        (select n = 5 and amount = 10 and seen_at = cast('2024-01-05 00:00:00' as {{ ts }})
            from totals where k = 1) as ok
    union all select 'key 2 has 0 for a missing sum',
        (select n = 1 and amount = 0 from totals where k = 2)
    union all select 'having drops a key of one input only',
        (select count(*) = 2 from totals)
    union all select 'running sum and max',
        (select n_to_date = 6 and max_amount = 10 from running where k = 2)
)

select check_name from checks where not coalesce(ok, false)
