with

base as (

    select * from {{ ref('base_loyalty__campaigns') }}

),

final as (

    select
        campaign_id,
        partner_id,
        campaign_name,
        points_multiplier,
        starts_on,
        ends_on,
        updated_at,
        extracted_at
    from base
    where is_current_version

)

select * from final
