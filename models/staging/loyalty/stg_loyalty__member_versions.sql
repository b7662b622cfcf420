-- Every valid CDC version of every member, oldest first: the input of dim_member's SCD2 history.
with

base as (

    select * from {{ ref('base_loyalty__members') }}

),

-- every column of the valid versions but the quarantine's (raw key, reason, record, fingerprint)
final as (

    select
        {{ star_except(['member_key_raw', 'dq_reason', 'raw_record', 'row_fingerprint']) }}
    from base
    where dq_reason is null

)

select * from final
