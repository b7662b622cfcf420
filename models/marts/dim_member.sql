{{
    config(
        materialized='incremental',
        unique_key='member_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}

-- Type-2 history of members: one row per CDC version, valid from its updated_at until the next.
-- Incremental by member: a member with a version staging loaded since this model's last run
-- gets all their versions rebuilt (a new version closes the previous window); the others'
-- rows stay as they are.
with

all_versions as {{ inline_cte() }} (

    select * from {{ ref('stg_loyalty__member_versions') }}

),

versions as (

    select all_versions.*
    from all_versions
    {% if is_incremental() %}
        {{ touched_since_last_load('all_versions', 'member_id') }}
    {% endif %}

),

windowed as (

    select
        *,
        lead(updated_at) over (partition by member_id order by updated_at) as next_updated_at,
        row_number() over (partition by member_id order by updated_at) as version_number
    from versions

),

known as (

    select
        {{ surrogate_key(['member_id', timestamp_text('updated_at')]) }} as member_sk,
        member_id,
        cpf_hash,
        email_hash,
        phone_hash,
        name_hash,
        cast({{ year_of('birth_year_start') }} as integer) as birth_year,
        {{ age_band(year_of('birth_year_start'), 'signup_at') }} as age_band_at_signup,
        city,
        state,
        {{ br_region('state') }} as region,
        tier,
        status,
        signup_at,
        -- the first version covers the member from enrolment on
        case when version_number = 1 then least(signup_at, updated_at) else updated_at end
            as valid_from,
        next_updated_at as valid_to,
        next_updated_at is null as is_current,
        cast(version_number as integer) as version_number,
        loaded_at
    from windowed

),

{% if not is_incremental() %}

    -- written once, by a full refresh: no member version ever touches it
    unknown as (

        select
            '-1' as member_sk,
            cast(-1 as bigint) as member_id,
            cast(null as string) as cpf_hash,
            cast(null as string) as email_hash,
            cast(null as string) as phone_hash,
            cast(null as string) as name_hash,
            cast(null as integer) as birth_year,
            'unknown' as age_band_at_signup,
            cast(null as string) as city,
            cast(null as string) as state,
            'Desconhecida' as region,
            'unknown' as tier,
            'unknown' as status,
            cast(null as timestamp) as signup_at,
            cast('1900-01-01 00:00:00' as timestamp) as valid_from,
            cast(null as timestamp) as valid_to,
            true as is_current,
            cast(1 as integer) as version_number,
            cast(null as timestamp) as loaded_at

    ),

{% endif %}

final as (

    select * from known
    {% if not is_incremental() %}
        union all
        select * from unknown
    {% endif %}

)

select * from final
