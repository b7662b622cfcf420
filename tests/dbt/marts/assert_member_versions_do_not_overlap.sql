-- SCD2 integrity: per member, exactly one current version, and each version ends exactly
-- where the next begins (no gaps, no overlaps). Returns the offending versions.
with

members as (

    select * from {{ ref('dim_member') }}

),

ordered as (

    select
        member_id,
        version_number,
        valid_from,
        valid_to,
        is_current,
        lead(valid_from) over (partition by member_id order by version_number) as next_valid_from,
        sum(case when is_current then 1 else 0 end) over (partition by member_id) as current_versions
    from members

)

select *
from ordered
where
    current_versions != 1
    or (next_valid_from is null and valid_to is not null)
    or (next_valid_from is not null and (valid_to is null or valid_to != next_valid_from))
    or valid_to <= valid_from
