-- The current valid version of each redemption order (macros/project/cdc.sql: current_versions).
with

base as (

    select * from {{ ref('base_loyalty__redemptions') }}

),

final as (

    {{ current_versions('base', ['redemption_id', 'member_id', 'redeemed_at', 'channel']) }}

)

select * from final
