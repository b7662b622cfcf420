-- The drift `ml score` measures, as the monitoring mart reads it: one row per model version,
-- cutoff and feature.
with

source as (

    select * from {{ source('ml_scores', 'feature_drift') }}

),

final as (

    select
        model_name,
        model_version,
        cutoff_date,
        feature,
        kind,
        psi,
        rows_compared,
        computed_at
    from source

)

select * from final
