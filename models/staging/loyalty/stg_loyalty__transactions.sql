-- The current valid version of each purchase (macros/project/cdc.sql: current_versions).
with

base as (

    select * from {{ ref('base_loyalty__transactions') }}

),

-- the reversal is the version that set the status: its updated_at is when it happened
final as (

    {{ current_versions('base', [
        'transaction_id',
        'member_id',
        'store_id',
        'campaign_id',
        'purchased_at',
        'amount_brl',
        'points_earned',
        'status',
        "status = 'reversed' as is_reversed",
        "case when status = 'reversed' then updated_at end as reversed_at",
    ]) }}

)

select * from final
