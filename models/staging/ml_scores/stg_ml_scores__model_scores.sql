-- The scores `ml score` writes back, as the marts read them: one row per model version,
-- entity and cutoff.
with

source as (

    select * from {{ source('ml_scores', 'model_scores') }}

),

final as (

    select
        model_name,
        model_version,
        entity_id,
        cutoff_date,
        score,
        scored_at
    from source

)

select * from final
