-- The current valid version of each partner (macros/project/cdc.sql: current_versions).
with

base as (

    select * from {{ ref('base_loyalty__partners') }}

),

final as (

    {{ current_versions('base', [
        'partner_id',
        'cnpj',
        'partner_name',
        'segment',
        'points_per_brl',
    ], loaded_at=false) }}

)

select * from final
