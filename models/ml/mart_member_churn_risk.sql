-- Each current member with the latest churn probability and expected points for the next 90
-- days, from the most recent scoring run of each model; a member outside the churn model's
-- population gets the reason instead of a score. Empty until `ml score` has run.
with

scores as (

    select * from {{ ref('stg_ml_scores__model_scores') }}

),

members as (

    select * from {{ ref('dim_member') }}

),

features as (

    select * from {{ ref('ml_member_features') }}

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

-- the cutoff the churn model scored last, and where each member stood at it
churn_cutoff as (

    select max(cutoff_date) as cutoff_date from churn

),

population as (

    select
        features.member_id,
        features.ineligible_reason
    from features
    inner join churn_cutoff on features.cutoff_date = churn_cutoff.cutoff_date

),

final as (

    select
        members.member_sk,
        members.member_id,
        members.tier,
        members.status,
        members.region,
        churn_cutoff.cutoff_date as scored_for_cutoff,
        cast(churn.score as {{ loyalty.type_double() }}) as churn_probability,
        case
            {%- for band, lowest in var('churn_risk_bands') | dictsort(by='value') | reverse %}
                when churn.score >= {{ lowest }} then '{{ band }}'
            {%- endfor %}
        end as churn_risk_band,
        -- why a member has no churn score: outside the population at the cutoff, or not a
        -- member with a row at it yet (enrolled after it)
        case
            when churn.score is null
                then coalesce(population.ineligible_reason, 'enrolled_after_cutoff')
        end as not_scored_reason,
        cast(points.score as {{ loyalty.type_double() }}) as expected_points_next_90d,
        churn.model_version as churn_model_version,
        points.model_version as points_model_version,
        churn.scored_at
    from members
    inner join churn_cutoff on churn_cutoff.cutoff_date is not null
    left join churn
        on cast(members.member_id as {{ dbt.type_string() }}) = churn.entity_id
    left join population on members.member_id = population.member_id
    left join points
        on
            cast(members.member_id as {{ dbt.type_string() }}) = points.entity_id
            and churn_cutoff.cutoff_date = points.cutoff_date
    where members.is_current and members.member_id != -1

)

select * from final
