with

partners as (

    select * from {{ ref('stg_loyalty__partners') }}

),

known as (

    select
        {{ surrogate_key(['partner_id']) }} as partner_sk,
        partner_id,
        cnpj,
        partner_name,
        segment,
        points_per_brl
    from partners

),

unknown as (

    select
        '-1' as partner_sk,
        cast(-1 as bigint) as partner_id,
        cast(null as string) as cnpj,
        'Unknown partner' as partner_name,
        'unknown' as segment,
        cast(null as {{ loyalty.type_decimal(6, 2) }}) as points_per_brl

),

final as (

    select * from known
    union all
    select * from unknown

)

select * from final
