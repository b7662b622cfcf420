with

base as (

    select * from {{ ref('base_loyalty__partners') }}

),

final as (

    select
        partner_id,
        cnpj,
        partner_name,
        segment,
        points_per_brl,
        updated_at,
        extracted_at
    from base
    where is_current_version

)

select * from final
