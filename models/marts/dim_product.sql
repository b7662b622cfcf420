with

products as (

    select * from {{ ref('stg_loyalty__products') }}

),

known as (

    select
        {{ surrogate_key(['product_id']) }} as product_sk,
        product_id,
        product_name,
        category,
        points_price
    from products

),

unknown as (

    select
        '-1' as product_sk,
        cast(-1 as bigint) as product_id,
        'Unknown product' as product_name,
        'unknown' as category,
        cast(null as bigint) as points_price

),

final as (

    select * from known
    union all
    select * from unknown

)

select * from final
