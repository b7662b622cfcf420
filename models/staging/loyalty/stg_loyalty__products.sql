with

base as (

    select * from {{ ref('base_loyalty__products') }}

),

final as (

    select
        product_id,
        product_name,
        category,
        points_price,
        updated_at,
        extracted_at
    from base
    where is_current_version

)

select * from final
