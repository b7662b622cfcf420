-- The incremental decisions of the two history-sized models, on literal cases.
-- feature_mart_plan_checks (ml_member_features): a mid-month day adds no cutoff; a month
-- start's export adds exactly one, whose label cannot be complete; a catch-up over months adds
-- several. member_month_tail_starts (member_monthly): each member's first month to rebuild.
{%- set loaded_before = "cast('2024-07-01 02:00:00' as " ~ dbt.type_timestamp() ~ ")" %}
{%- set ts = dbt.type_timestamp() %}

with plans as (
    select 'mid-month' as case_name, {{ loyalty.feature_mart_plan_checks(
        "cast('2024-06-29 02:00:00' as " ~ ts ~ ")", "cast('2024-06-01' as date)") }}
    union all select 'month start', {{ loyalty.feature_mart_plan_checks(
        "cast('2024-07-01 02:00:00' as " ~ ts ~ ")", "cast('2024-06-01' as date)") }}
    union all select 'catch-up', {{ loyalty.feature_mart_plan_checks(
        "cast('2024-07-03 02:00:00' as " ~ ts ~ ")", "cast('2024-05-01' as date)") }}
),

-- member 1: a movement loaded now in June and one in May loaded before; member 2: a movement
-- moved away from March by a version loaded now; member 3: a new version from April 10;
-- member 4: versions disagreeing on the enrolment date; member 5: nothing new; the stored
-- months end in June and the data reaches July, so everyone current also starts in July
ledger as (
    select 1 as member_id, cast('2024-06-15' as date) as event_date,
        cast('2024-07-01 03:00:00' as {{ ts }}) as loaded_at
    union all select 1, cast('2024-05-02' as date), cast('2024-06-01 03:00:00' as {{ ts }})
),

superseded as (
    select 2 as member_id, cast('2024-03-09 10:00:00' as {{ ts }}) as event_at,
        cast('2024-07-01 03:00:00' as {{ ts }}) as superseded_at
),

members as (
    select 3 as member_id, cast('2023-01-05 00:00:00' as {{ ts }}) as signup_at,
        cast('2024-04-10 00:00:00' as {{ ts }}) as valid_from,
        cast('2024-07-01 03:00:00' as {{ ts }}) as loaded_at, true as is_current
    union all select 3, cast('2023-01-05 00:00:00' as {{ ts }}),
        cast('2023-01-05 00:00:00' as {{ ts }}), cast('2024-01-01 03:00:00' as {{ ts }}), false
    union all select 4, cast('2023-02-07 00:00:00' as {{ ts }}),
        cast('2024-06-20 00:00:00' as {{ ts }}), cast('2024-07-01 03:00:00' as {{ ts }}), true
    union all select 4, cast('2023-03-01 00:00:00' as {{ ts }}),
        cast('2023-03-01 00:00:00' as {{ ts }}), cast('2024-01-01 03:00:00' as {{ ts }}), false
    union all select 5, cast('2023-01-05 00:00:00' as {{ ts }}),
        cast('2023-01-05 00:00:00' as {{ ts }}), cast('2024-01-01 03:00:00' as {{ ts }}), true
),

stored_end as (select cast('2024-06-01' as date) as month_start),

last_month as (select cast('2024-07-01' as date) as month_start),

tail_starts as (
    {{ loyalty.member_month_tail_starts(loaded_before) }}
),

expected as (
    select 1 as member_id, cast('2024-06-01' as date) as tail_month
    union all select 2, cast('2024-03-01' as date)
    union all select 3, cast('2024-04-01' as date)
    union all select 4, cast('2023-02-01' as date)
    union all select 5, cast('2024-07-01' as date)
),

checks as (
    select 'mid-month: no cutoff to add' as check_name,
        (select not adds_cutoffs and not add_cutoff from plans where case_name = 'mid-month') as ok
    union all select 'month start: one cutoff, by the aggregate',
        (select adds_cutoffs and add_cutoff from plans where case_name = 'month start')
    union all select 'catch-up: several cutoffs, rebuilt for everyone',
        (select adds_cutoffs and not add_cutoff from plans where case_name = 'catch-up')
    union all select 'tail starts: the expected member-months, no other',
        (select count(*) from expected) = (select count(*) from tail_starts)
        and (select count(*) from tail_starts inner join expected
            on tail_starts.member_id = expected.member_id
            and tail_starts.tail_month = expected.tail_month) = 5
)

select check_name from checks where not coalesce(ok, false)
