-- Drift before labels arrive: each scored cutoff's population stability index per feature
-- and for the score, against the version's training rows, with its status under var ml_psi
-- (stable below warn, warn, alert from alert on). One row per model version, cutoff and
-- feature.
with

drift as (

    select * from {{ ref('stg_ml_scores__feature_drift') }}

),

versions as (

    select * from {{ ref('stg_ml_scores__model_versions') }}

),

final as (

    select
        {{ surrogate_key(['drift.model_name', 'drift.model_version', 'drift.cutoff_date', 'drift.feature']) }}
            as model_cutoff_feature_id,
        drift.model_name,
        drift.model_version,
        drift.cutoff_date,
        drift.feature,
        drift.kind,
        drift.psi,
        case
            when drift.psi >= {{ var('ml_psi')['alert'] }} then 'alert'
            when drift.psi >= {{ var('ml_psi')['warn'] }} then 'warn'
            else 'stable'
        end as drift_status,
        drift.rows_compared,
        versions.is_champion,
        drift.computed_at
    from drift
    inner join versions
        on
            drift.model_name = versions.model_name
            and drift.model_version = versions.model_version

)

select * from final
