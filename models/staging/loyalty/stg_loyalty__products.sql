-- The current valid version of each product in the catalog (macros/project/cdc.sql: current_versions).
with

base as (

    select * from {{ ref('base_loyalty__products') }}

),

final as (

    {{ current_versions('base', [
        'product_id',
        'product_name',
        'category',
        'points_price',
    ], loaded_at=false) }}

)

select * from final
