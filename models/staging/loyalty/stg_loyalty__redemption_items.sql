with

base as (

    select * from {{ ref('base_loyalty__redemption_items') }}

),

final as (

    select
        redemption_item_id,
        redemption_id,
        product_id,
        quantity,
        points_spent,
        updated_at,
        extracted_at,
        loaded_at
    from base
    where is_current_version

)

select * from final
