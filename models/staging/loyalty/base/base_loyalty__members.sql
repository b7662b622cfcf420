{{ config(unique_key='member_id') }}

{%- set raw_columns = ['member_id', 'cpf', 'full_name', 'email', 'phone', 'birth_date', 'city',
    'state', 'signup_at', 'tier', 'status', 'updated_at', 'extracted_at'] -%}
{%- set email_pattern = '[a-z0-9._%+-]+@[a-z0-9-]+(\\.[a-z0-9-]+)*\\.[a-z]{2,}' -%}

-- Every raw members row, typed and checked. Shaped like every base model, on purpose:
-- source -> typed -> validated -> checked -> cdc_versions, the shared steps being macros
-- (macros/project/cdc.sql); what is written here is this table's columns and rules.
with

source as (

    select * from {{ raw_relation('members') }}
    {{ cdc_new_exports('members') }}

),

typed as (

    select
        ----------  ids
        {{ clean_text('member_id') }} as member_key_raw,
        {{ safe_cast_integer('member_id') }} as member_id,

        ----------  pii, cleaned for validation and hashing only (never selected below)
        {{ digits_only('cpf') }} as cpf_digits,
        lower({{ clean_text('email') }}) as email_clean,
        {{ digits_only('phone') }} as phone_digits,
        upper({{ clean_text('full_name') }}) as full_name_clean,

        ----------  strings
        {{ clean_text('city') }} as city,
        upper({{ clean_text('state') }}) as state,
        lower({{ clean_text('tier') }}) as tier,
        lower({{ clean_text('status') }}) as status,

        ----------  dates and timestamps
        {{ parse_date_ptbr(clean_text('birth_date')) }} as birth_date,
        {{ safe_cast_timestamp('signup_at') }} as signup_at,

        ----------  cdc timestamps, duplicate bookkeeping and raw text
        {{ cdc_typed_columns(raw_columns) }}

    from source

),

validated as (

    select
        *,
        case
            when member_key_raw is null then 'null_key'
            when member_id is null then 'malformed_key'
            when updated_at is null or signup_at is null or extracted_at is null
                then 'unparsable_timestamp'
            when {{ after_own_export(['updated_at', 'signup_at']) }} then 'future_timestamp'
            when {{ before_program_launch(['signup_at', 'updated_at']) }}
                then 'before_program_launch'
            when not {{ cpf_is_valid('cpf_digits') }} then 'invalid_cpf'
            when email_clean is null
                or not {{ regex_full_match('email_clean', email_pattern) }}
                then 'malformed_email'
            when {{ implausible_birth_date('birth_date', 'signup_at') }}
                then 'implausible_birth_date'
            when {{ holds_pii('city') }} then 'pii_in_free_text'
            when {{ oversized_text(['city']) }} then 'oversized_text'
            when coalesce(tier, '') not in ('basic', 'silver', 'gold', 'platinum')
                or coalesce(status, '') not in ('active', 'cancelled', 'blocked')
                then 'unknown_status'
        end as check_reason
    from typed
    {{ cdc_not_loaded_yet() }}

),

-- clear-text PII stops here: only salted hashes (and the birth year) go on
checked as (

    select
        member_key_raw,
        member_id,
        {{ pseudonymise('cpf_digits') }} as cpf_hash,
        {{ pseudonymise('email_clean') }} as email_hash,
        {{ pseudonymise("right(phone_digits, 11)") }} as phone_hash,
        {{ pseudonymise('full_name_clean') }} as name_hash,
        cast({{ dbt.date_trunc('year', 'birth_date') }} as date) as birth_year_start,
        {{ unless_pii_in_free_text('city') }} as city,
        state,
        tier,
        status,
        signup_at,
        updated_at,
        extracted_at,
        {{ cdc_outcome_columns(raw_columns,
            pii=['cpf', 'full_name', 'email', 'phone', 'birth_date'], free_text=['city']) }}
    from validated

),

{{ cdc_versions('checked', 'member_id', raw_columns,
    pii=['cpf', 'full_name', 'email', 'phone', 'birth_date']) }}

select * from final
{{ storage_order(['extracted_at']) }}
