-- The current valid version of each store (macros/project/cdc.sql: current_versions).
with

base as (

    select * from {{ ref('base_loyalty__stores') }}

),

final as (

    {{ current_versions('base', [
        'store_id',
        'partner_id',
        'store_name',
        'channel',
        'city',
        'state',
        'opened_on',
    ], loaded_at=false) }}

)

select * from final
