-- The current version of each member: the latest of its valid versions.
with

versions as (

    select * from {{ ref('stg_loyalty__member_versions') }}

),

-- every column of the member versions but their bookkeeping
final as (

    select {{ star_except(['loaded_at', 'is_current_version']) }}
    from versions
    where is_current_version

)

select * from final
