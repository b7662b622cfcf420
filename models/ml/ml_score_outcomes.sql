-- Every stored score beside what then happened: the label of its member and cutoff, once the
-- 90-day label window is complete. One row per model version, entity and cutoff. A version
-- scores from its test period on, so its first rows are a backtest and the later ones live.
{%- set labels = ['churned_next_90d', 'points_next_90d'] %}

with

scores as (

    select * from {{ ref('stg_ml_scores__model_scores') }}

),

versions as (

    select * from {{ ref('stg_ml_scores__model_versions') }}

),

features as (

    select * from {{ ref('ml_member_features') }}

),

-- the labels of every complete cutoff, keyed as the scores are
labels as (

    select
        {%- for label in labels %}
            cast({{ label }} as {{ loyalty.type_double() }}) as {{ label }},
        {%- endfor %}
        cast(member_id as {{ dbt.type_string() }}) as entity_id,
        cutoff_date
    from features
    where is_label_complete

),

joined as (

    select
        scores.model_name,
        scores.model_version,
        versions.task,
        versions.target,
        scores.entity_id,
        scores.cutoff_date,
        scores.score,
        case versions.target
            {%- for label in labels %}
                when '{{ label }}' then labels.{{ label }}
            {%- endfor %}
        end as outcome,
        scores.scored_at
    from scores
    inner join versions
        on
            scores.model_name = versions.model_name
            and scores.model_version = versions.model_version
    inner join labels
        on
            scores.entity_id = labels.entity_id
            and scores.cutoff_date = labels.cutoff_date

),

final as (

    select
        {{ surrogate_key(['model_name', 'model_version', 'entity_id', 'cutoff_date']) }}
            as score_outcome_id,
        model_name,
        model_version,
        task,
        target,
        entity_id,
        cutoff_date,
        score,
        outcome,
        scored_at
    from joined
    where outcome is not null

)

select * from final
