-- Each current member with the latest churn probability and expected points for the next 90
-- days, from the most recent scoring run of each model. Empty until `ml score` has run.
with

scores as (

    select * from {{ ref('stg_ml_scores__model_scores') }}

),

members as (

    select * from {{ ref('dim_member') }}

),

-- the latest run of each model, and in it the latest cutoff
latest_runs as (

    select
        model_name,
        model_version,
        cutoff_date,
        row_number() over (
            partition by model_name order by scored_at desc, cutoff_date desc, model_version desc
        ) as recency
    from scores

),

latest_scores as (

    select scores.*
    from scores
    inner join latest_runs
        on
            scores.model_name = latest_runs.model_name
            and scores.model_version = latest_runs.model_version
            and scores.cutoff_date = latest_runs.cutoff_date
    where latest_runs.recency = 1

),

churn as (

    select * from latest_scores
    where model_name = 'churn'

),

points as (

    select * from latest_scores
    where model_name = 'points_next_90d'

),

final as (

    select
        members.member_sk,
        members.member_id,
        members.tier,
        members.status,
        members.region,
        churn.cutoff_date as scored_for_cutoff,
        cast(churn.score as {{ loyalty.type_double() }}) as churn_probability,
        case
            when churn.score >= 0.6 then 'high'
            when churn.score >= 0.3 then 'medium'
            else 'low'
        end as churn_risk_band,
        cast(points.score as {{ loyalty.type_double() }}) as expected_points_next_90d,
        churn.model_version as churn_model_version,
        points.model_version as points_model_version,
        churn.scored_at
    from churn
    inner join members
        on
            churn.entity_id = cast(members.member_id as {{ dbt.type_string() }})
            and members.is_current
    left join points
        on
            churn.entity_id = points.entity_id
            and churn.cutoff_date = points.cutoff_date

)

select * from final
