-- The current valid version of each redemption order line (macros/project/cdc.sql: current_versions).
with

base as (

    select * from {{ ref('base_loyalty__redemption_items') }}

),

final as (

    {{ current_versions('base', [
        'redemption_item_id',
        'redemption_id',
        'product_id',
        'quantity',
        'points_spent',
    ]) }}

)

select * from final
