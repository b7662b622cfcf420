-- The scored model versions as the monitoring models read them: one row per model version.
with

source as (

    select * from {{ source('ml_scores', 'model_versions') }}

),

final as (

    select
        model_name,
        model_version,
        task,
        target,
        population,
        first_test_cutoff,
        test_roc_auc,
        test_brier,
        test_log_loss,
        test_mae,
        test_mse,
        is_champion,
        mlflow_run_id,
        written_at
    from source

)

select * from final
