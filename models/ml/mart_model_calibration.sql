-- Calibration of each scored model version once the labels arrived: one row per model
-- version, cutoff and score decile (1 = lowest scores), the mean score beside the mean
-- outcome. A calibrated classifier's deciles lie on the diagonal.
with

outcomes as (

    select * from {{ ref('ml_score_outcomes') }}

),

deciles as (

    select
        model_name,
        model_version,
        cutoff_date,
        score,
        outcome,
        ntile(10) over (partition by model_name, model_version, cutoff_date order by score)
            as score_decile
    from outcomes

),

final as (

    select
        {{ surrogate_key(['model_name', 'model_version', 'cutoff_date', 'score_decile']) }}
            as model_cutoff_decile_id,
        model_name,
        model_version,
        cutoff_date,
        score_decile,
        count(*) as scored_rows,
        min(score) as score_min,
        max(score) as score_max,
        avg(score) as score_mean,
        avg(outcome) as outcome_mean
    from deciles
    group by model_name, model_version, cutoff_date, score_decile

)

select * from final
