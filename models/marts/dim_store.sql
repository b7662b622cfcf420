with

stores as (

    select * from {{ ref('stg_loyalty__stores') }}

),

partners as (

    select * from {{ ref('dim_partner') }}

),

known as (

    select
        {{ surrogate_key(['stores.store_id']) }} as store_sk,
        stores.store_id,
        coalesce(partners.partner_sk, '-1') as partner_sk,
        stores.partner_id,
        stores.store_name,
        coalesce(partners.partner_name, 'Unknown partner') as partner_name,
        coalesce(partners.segment, 'unknown') as segment,
        stores.channel,
        stores.city,
        stores.state,
        stores.opened_on
    from stores
    left join partners on stores.partner_id = partners.partner_id

),

unknown as (

    select
        '-1' as store_sk,
        cast(-1 as bigint) as store_id,
        '-1' as partner_sk,
        cast(-1 as bigint) as partner_id,
        'Unknown store' as store_name,
        'Unknown partner' as partner_name,
        'unknown' as segment,
        'unknown' as channel,
        cast(null as string) as city,
        cast(null as string) as state,
        cast(null as date) as opened_on

),

final as (

    select * from known
    union all
    select * from unknown

)

select * from final
