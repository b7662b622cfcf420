with

base as (

    select * from {{ ref('base_loyalty__redemptions') }}

),

final as (

    select
        redemption_id,
        member_id,
        redeemed_at,
        channel,
        updated_at,
        extracted_at,
        loaded_at
    from base
    where is_current_version

)

select * from final
