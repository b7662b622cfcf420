{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='quarantine_row_id'
) }}

-- One row per raw row that failed validation, from every raw table: never a silent drop.
-- Incremental over the rows the base models loaded since the last run, replaced by id: a
-- rejected row's raw record carries its export's extracted_at, so the copies that share a
-- record (the occurrences numbered below) arrive in one load, and a run numbers them as a full
-- refresh would. A base model rebuilt on its own (`--full-refresh -s base_...`, or a full
-- refresh killed halfway) loads all its rows again with a new loaded_at: they come back with
-- the same ids and replace themselves, so the next run converges to a clean build.

with

members as (

    select * from {{ ref('base_loyalty__members') }}

),

partners as (

    select * from {{ ref('base_loyalty__partners') }}

),

stores as (

    select * from {{ ref('base_loyalty__stores') }}

),

products as (

    select * from {{ ref('base_loyalty__products') }}

),

campaigns as (

    select * from {{ ref('base_loyalty__campaigns') }}

),

transactions as (

    select * from {{ ref('base_loyalty__transactions') }}

),

redemptions as (

    select * from {{ ref('base_loyalty__redemptions') }}

),

redemption_items as (

    select * from {{ ref('base_loyalty__redemption_items') }}

),

point_expirations as (

    select * from {{ ref('base_loyalty__point_expirations') }}

),

{#- each base model's table and the name of its raw key column -#}
{%- set raw_keys = {
    'members': 'member_key_raw',
    'partners': 'partner_key_raw',
    'stores': 'store_key_raw',
    'products': 'product_key_raw',
    'campaigns': 'campaign_key_raw',
    'transactions': 'transaction_key_raw',
    'redemptions': 'redemption_key_raw',
    'redemption_items': 'redemption_item_key_raw',
    'point_expirations': 'expiration_key_raw',
} %}
{#- an incremental run: only the rows loaded since the last one -#}
{%- set since_last_load = 'and loaded_at > ' ~ incremental_threshold('loaded_at', lookback_days=0)
    if is_incremental() else '' %}

unioned as (

    {% for table, key in raw_keys.items() %}
        select
            '{{ table }}' as source_table,
            {{ key }} as record_key,
            dq_reason,
            raw_record,
            updated_at,
            extracted_at,
            loaded_at
        from {{ table }}
        where dq_reason is not null {{ since_last_load }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

numbered as (

    -- a row sent three times has two identical quarantined copies: number them (a broken row
    -- sent twice is two rows with one raw record, its check's reason and duplicate_row: the
    -- reason breaks the tie, so every build numbers them alike)
    select
        *,
        row_number() over (
            partition by source_table, record_key, raw_record order by extracted_at, dq_reason
        ) as occurrence
    from unioned

),

final as (

    select
        {{ surrogate_key(['source_table', 'record_key', 'raw_record', 'occurrence']) }}
            as quarantine_row_id,
        source_table,
        record_key,
        dq_reason,
        raw_record,
        updated_at,
        extracted_at,
        loaded_at
    from numbered

)

select * from final
