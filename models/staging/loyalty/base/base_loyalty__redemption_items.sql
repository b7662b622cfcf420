{{ config(unique_key='redemption_item_id') }}

{%- set raw_columns = ['redemption_item_id', 'redemption_id', 'product_id', 'quantity',
    'points_spent', 'updated_at', 'extracted_at'] -%}

-- Every raw redemption items row, typed and checked. Shaped like every base model, on purpose:
-- source -> typed -> validated -> checked -> cdc_versions, the shared steps being macros
-- (macros/project/cdc.sql); what is written here is this table's columns and rules.
with

source as (

    select * from {{ raw_relation('redemption_items') }}
    {{ cdc_new_exports('redemption_items') }}

),

typed as (

    select
        ----------  ids
        {{ clean_text('redemption_item_id') }} as redemption_item_key_raw,
        {{ safe_cast_integer('redemption_item_id') }} as redemption_item_id,
        {{ clean_text('redemption_id') }} as redemption_key_raw,
        {{ safe_cast_integer('redemption_id') }} as redemption_id,
        {{ clean_text('product_id') }} as product_key_raw,
        {{ safe_cast_integer('product_id') }} as product_id,

        ----------  numerics
        {{ safe_cast_integer('quantity') }} as quantity,
        {{ safe_cast_integer('points_spent') }} as points_spent,

        ----------  cdc timestamps, duplicate bookkeeping and raw text
        {{ cdc_typed_columns(raw_columns) }}

    from source

),

validated as (

    select
        *,
        case
            when redemption_item_key_raw is null or redemption_key_raw is null then 'null_key'
            when redemption_item_id is null or redemption_id is null
                or (product_key_raw is not null and product_id is null)
                then 'malformed_key'
            when updated_at is null or extracted_at is null then 'unparsable_timestamp'
            when {{ after_own_export(['updated_at']) }} then 'future_timestamp'
            when {{ before_program_launch(['updated_at']) }} then 'before_program_launch'
            when quantity is null or points_spent is null then 'non_numeric_amount'
            when quantity <= 0 or points_spent < 0 then 'negative_amount'
        end as check_reason
    from typed
    {{ cdc_not_loaded_yet() }}

),

checked as (

    select
        redemption_item_key_raw,
        redemption_item_id,
        redemption_id,
        product_id,
        quantity,
        points_spent,
        updated_at,
        extracted_at,
        {{ cdc_outcome_columns(raw_columns) }}
    from validated

),

{{ cdc_versions('checked', 'redemption_item_id', raw_columns) }}

select * from final
{{ storage_order(['extracted_at']) }}
