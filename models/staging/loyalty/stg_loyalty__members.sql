with

base as (

    select * from {{ ref('base_loyalty__members') }}

),

final as (

    select
        member_id,
        cpf_hash,
        email_hash,
        phone_hash,
        name_hash,
        birth_year_start,
        city,
        state,
        tier,
        status,
        signup_at,
        updated_at,
        extracted_at
    from base
    where is_current_version

)

select * from final
