-- The current valid version of each points expiration (macros/project/cdc.sql: current_versions).
with

base as (

    select * from {{ ref('base_loyalty__point_expirations') }}

),

final as (

    {{ current_versions('base', ['expiration_id', 'member_id', 'expired_at', 'points_expired']) }}

)

select * from final
