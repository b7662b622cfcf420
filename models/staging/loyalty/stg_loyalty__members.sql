-- The current version of each member: the latest of its valid versions.
with

versions as (

    select * from {{ ref('stg_loyalty__member_versions') }}

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
    from versions
    where is_current_version

)

select * from final
