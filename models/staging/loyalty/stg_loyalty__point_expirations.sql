with

base as (

    select * from {{ ref('base_loyalty__point_expirations') }}

),

final as (

    select
        expiration_id,
        member_id,
        expired_at,
        points_expired,
        updated_at,
        extracted_at,
        loaded_at
    from base
    where is_current_version

)

select * from final
