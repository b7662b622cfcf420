with

base as (

    select * from {{ ref('base_loyalty__stores') }}

),

final as (

    select
        store_id,
        partner_id,
        store_name,
        channel,
        city,
        state,
        opened_on,
        updated_at,
        extracted_at
    from base
    where is_current_version

)

select * from final
