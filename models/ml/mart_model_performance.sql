-- How each scored model version did once the labels arrived: one row per model version and
-- cutoff, the realised metrics beside the ones measured on the test period at training.
-- ROC AUC is the rank form (Mann-Whitney): tied scores share their average rank, so a tie
-- counts a half, as scikit-learn's roc_auc_score counts it.
with

outcomes as (

    select * from {{ ref('ml_score_outcomes') }}

),

versions as (

    select * from {{ ref('stg_ml_scores__model_versions') }}

),

ranked as (

    select
        *,
        rank() over (partition by model_name, model_version, cutoff_date order by score)
        + (count(*) over (partition by model_name, model_version, cutoff_date, score) - 1) / 2.0
            as score_rank,
        -- the probability the log loss reads, clipped as the training-time evaluation clips it
        least(greatest(score, 1e-6), 1 - 1e-6) as clipped_score
    from outcomes

),

per_cutoff as (

    select
        model_name,
        model_version,
        cutoff_date,
        count(*) as scored_rows,
        sum(case when outcome = 1 then 1 else 0 end) as positives,
        sum(case when outcome = 0 then 1 else 0 end) as negatives,
        sum(case when outcome = 1 then score_rank else 0 end) as positive_rank_sum,
        avg(outcome) as outcome_mean,
        avg(score) as score_mean,
        avg((score - outcome) * (score - outcome)) as squared_error,
        avg(abs(score - outcome)) as absolute_error,
        avg(score - outcome) as bias,
        -avg(outcome * ln(clipped_score) + (1 - outcome) * ln(1 - clipped_score)) as log_loss
    from ranked
    group by model_name, model_version, cutoff_date

),

metrics as (

    select
        {{ surrogate_key(['per_cutoff.model_name', 'per_cutoff.model_version', 'per_cutoff.cutoff_date']) }}
            as model_cutoff_id,
        per_cutoff.model_name,
        per_cutoff.model_version,
        versions.task,
        per_cutoff.cutoff_date,
        per_cutoff.scored_rows,
        per_cutoff.outcome_mean,
        per_cutoff.score_mean,
        -- the positives' rank sum above its least possible value counts the pairs they win
        case
            when versions.task = 'classification' and per_cutoff.positives * per_cutoff.negatives > 0
                then (
                    per_cutoff.positive_rank_sum
                    - per_cutoff.positives * (per_cutoff.positives + 1) / 2.0
                ) / (per_cutoff.positives * per_cutoff.negatives)
        end as roc_auc,
        case when versions.task = 'classification' then per_cutoff.squared_error end as brier,
        case when versions.task = 'classification' then per_cutoff.log_loss end as log_loss,
        case when versions.task = 'regression' then per_cutoff.absolute_error end as mae,
        case when versions.task = 'regression' then per_cutoff.squared_error end as mse,
        case when versions.task = 'regression' then per_cutoff.bias end as bias,
        versions.test_roc_auc as training_roc_auc,
        versions.test_mse as training_mse,
        versions.is_champion
    from per_cutoff
    inner join versions
        on
            per_cutoff.model_name = versions.model_name
            and per_cutoff.model_version = versions.model_version

),

-- how far the realised metric falls short of the training-time one: AUC points for a
-- classifier, the relative rise of the MSE for a regressor (the tests read this column)
final as (

    select
        *,
        case
            when task = 'classification' then training_roc_auc - roc_auc
            when training_mse > 0 then mse / training_mse - 1
        end as metric_shortfall
    from metrics

)

select * from final
