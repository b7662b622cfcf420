{{ config(unique_key='product_id') }}

{%- set raw_columns = ['product_id', 'product_name', 'category', 'points_price', 'updated_at',
    'extracted_at'] -%}

-- Every raw products row, typed and checked. Shaped like every base model, on purpose:
-- source -> typed -> validated -> checked -> cdc_versions, the shared steps being macros
-- (macros/project/cdc.sql); what is written here is this table's columns and rules.
with

source as (

    select * from {{ raw_relation('products') }}
    {{ cdc_new_exports('products') }}

),

typed as (

    select
        ----------  ids
        {{ clean_text('product_id') }} as product_key_raw,
        {{ safe_cast_integer('product_id') }} as product_id,

        ----------  strings
        {{ clean_text('product_name') }} as product_name,
        lower({{ clean_text('category') }}) as category,

        ----------  numerics
        {{ safe_cast_integer('points_price') }} as points_price,

        ----------  cdc timestamps, duplicate bookkeeping and raw text
        {{ cdc_typed_columns(raw_columns) }}

    from source

),

validated as (

    select
        *,
        case
            when product_key_raw is null then 'null_key'
            when product_id is null then 'malformed_key'
            when updated_at is null or extracted_at is null then 'unparsable_timestamp'
            when {{ after_own_export(['updated_at']) }} then 'future_timestamp'
            when {{ before_program_launch(['updated_at'], catalog=true) }} then 'before_program_launch'
            when {{ holds_pii('product_name') }} then 'pii_in_free_text'
            when {{ oversized_text(['product_name']) }} then 'oversized_text'
            when points_price is null then 'non_numeric_amount'
            when points_price <= 0 then 'negative_amount'
        end as check_reason
    from typed
    {{ cdc_not_loaded_yet() }}

),

checked as (

    select
        product_key_raw,
        product_id,
        {{ unless_pii_in_free_text('product_name') }} as product_name,
        category,
        points_price,
        updated_at,
        extracted_at,
        {{ cdc_outcome_columns(raw_columns, free_text=['product_name']) }}
    from validated

),

{{ cdc_versions('checked', 'product_id', raw_columns) }}

select * from final
{{ storage_order(['extracted_at']) }}
