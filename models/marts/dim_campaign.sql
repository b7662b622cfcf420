with

campaigns as (

    select * from {{ ref('stg_loyalty__campaigns') }}

),

known as (

    select
        {{ surrogate_key(['campaign_id']) }} as campaign_sk,
        campaign_id,
        partner_id,
        campaign_name,
        points_multiplier,
        starts_on,
        ends_on,
        cast({{ dbt.datediff('starts_on', 'ends_on', 'day') }} + 1 as integer) as duration_days
    from campaigns

),

-- -1: the fact names a campaign we do not know; -2: the purchase had no campaign at all.
special as (

    select
        '-1' as campaign_sk,
        cast(-1 as bigint) as campaign_id,
        cast(-1 as bigint) as partner_id,
        'Unknown campaign' as campaign_name,
        cast(null as {{ loyalty.type_decimal(6, 2) }}) as points_multiplier,
        cast(null as date) as starts_on,
        cast(null as date) as ends_on,
        cast(null as integer) as duration_days

    union all

    select
        '-2' as campaign_sk,
        cast(-2 as bigint) as campaign_id,
        cast(-1 as bigint) as partner_id,
        'No campaign' as campaign_name,
        cast(1 as {{ loyalty.type_decimal(6, 2) }}) as points_multiplier,
        cast(null as date) as starts_on,
        cast(null as date) as ends_on,
        cast(null as integer) as duration_days

),

final as (

    select * from known
    union all
    select * from special

)

select * from final
