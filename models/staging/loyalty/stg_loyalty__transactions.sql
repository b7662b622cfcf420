with

base as (

    select * from {{ ref('base_loyalty__transactions') }}

),

final as (

    select
        transaction_id,
        member_id,
        store_id,
        campaign_id,
        purchased_at,
        amount_brl,
        points_earned,
        status,
        status = 'reversed' as is_reversed,
        -- the reversal is the version that set the status: its updated_at is when it happened
        case when status = 'reversed' then updated_at end as reversed_at,
        updated_at,
        extracted_at,
        loaded_at
    from base
    where is_current_version

)

select * from final
