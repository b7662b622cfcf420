-- Every valid CDC version of every member, oldest first: the input of dim_member's SCD2 history.
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
        extracted_at,
        loaded_at,
        is_current_version
    from base
    where dq_reason is null

)

select * from final
