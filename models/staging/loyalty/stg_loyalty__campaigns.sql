-- The current valid version of each campaign (macros/project/cdc.sql: current_versions).
with

base as (

    select * from {{ ref('base_loyalty__campaigns') }}

),

final as (

    {{ current_versions('base', [
        'campaign_id',
        'partner_id',
        'campaign_name',
        'points_multiplier',
        'starts_on',
        'ends_on',
    ], loaded_at=false) }}

)

select * from final
