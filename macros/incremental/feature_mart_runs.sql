{#- Which rows an incremental run of ml_member_features rewrites: the decisions, kept apart
    from what a row holds (macros/features/member_features.sql, feature_mart_paths.sql). The
    design: the docs block `ml_member_features` (models/ml/_ml__docs.md). -#}

{#- Decided before the model compiles, from its last cutoff and the data's end:
    adds_cutoffs: the data reaches a month the model has no cutoff for yet;
    add_cutoff: exactly one such cutoff, whose label cannot be complete yet (a month start in a
    daily load): everyone's new cutoff comes from one aggregate (new_cutoff_ctes);
    restrict: rewrite only what the new data changes (changed_members_ctes), plus with
    add_cutoff the new cutoff; false on a full refresh or a catch-up over months, which rebuild
    every member's last var('features_recompute_months') cutoffs. -#}
{% macro feature_mart_plan(transactions) %}
    {%- set plan = {'adds_cutoffs': false, 'add_cutoff': false} %}
    {%- if is_incremental() and execute %}
        {%- set checks = run_query(
            'select ' ~ loyalty.feature_mart_plan_checks('data.data_end_at', 'built.last_cutoff')
            ~ ' from (select max(extracted_at) as data_end_at from ' ~ transactions ~ ') as data'
            ~ ' cross join (select max(cutoff_date) as last_cutoff from ' ~ this ~ ') as built'
        ).rows[0] %}
        {%- do plan.update({'adds_cutoffs': checks[0], 'add_cutoff': checks[1]}) %}
    {%- endif %}
    {%- do plan.update({
        'restrict': is_incremental() and (not plan.adds_cutoffs or plan.add_cutoff)}) %}
    {{ return(plan) }}
{% endmacro %}

{#- The plan's two checks as SQL over the data's end (a timestamp) and the last cutoff (a
    date): `adds_cutoffs, add_cutoff`. The data is complete before the day of its end. -#}
{% macro feature_mart_plan_checks(data_end_at, last_cutoff) -%}
    {%- set newest = 'cast(' ~ dbt.date_trunc('month', data_end_at) ~ ' as date)' -%}
    {{ newest }} > {{ last_cutoff }} as adds_cutoffs,
    {{ newest }} > {{ last_cutoff }}
    and {{ newest }} = cast({{ dbt.dateadd('month', 1, last_cutoff) }} as date)
    and cast({{ dbt.dateadd('day', 90, newest) }} as date) > cast({{ data_end_at }} as date)
        as add_cutoff
{%- endmacro %}

{#- restrict's CTEs. changed_members: the members member_monthly rebuilt since the model's
    last load (`built`), from their first rebuilt month. rebuilt_members: those with a rebuilt
    month before the last cutoff, whose features changed: their rows are rebuilt. relabel_keys:
    everyone else's stored rows whose labels change. Labels are null until complete, so only
    rows completing now (every member's at a cutoff whose 90 days have just ended) or complete
    rows whose 90 days reach a changed member's first rebuilt month (new data early in a month).
    -#}
{% macro changed_members_ctes(monthly='monthly', built='built', data_end='data_end') %}
changed_members as {{ materialized_cte() }} (

    select
        {{ monthly }}.member_id,
        min({{ monthly }}.month_start) as changed_from
    from {{ monthly }}
    where {{ monthly }}.loaded_through > (select {{ built }}.loaded_through from {{ built }})
    group by 1

),

rebuilt_members as {{ materialized_cte() }} (

    select
        changed_members.member_id,
        changed_members.changed_from
    from changed_members
    where changed_members.changed_from < (select {{ built }}.last_cutoff from {{ built }})

),

relabel_keys as {{ materialized_cte() }} (

    {%- set label_end = 'cast(' ~ dbt.dateadd('day', 90, 'stored.cutoff_date') ~ ' as date)' %}
    select
        stored.member_id,
        stored.cutoff_date
    from {{ this }} as stored
    cross join {{ data_end }}
    left join changed_members on stored.member_id = changed_members.member_id
    where
        stored.member_id not in (select rebuilt_members.member_id from rebuilt_members)
        and {{ label_end }} <= {{ data_end }}.data_through
        and (not stored.is_label_complete or {{ label_end }} > changed_members.changed_from)

)
{%- endmacro %}

{#- The body of `run_window`: the first cutoff a run builds and the first month its trailing
    windows read (12 months before). A full refresh: every cutoff. An incremental run: every
    member's last var('features_recompute_months') cutoffs; with restrict, also every cutoff a
    rebuilt member's change reaches: its features from the changed month on, its labels from
    three months before (a new version can move a purchase of any age). -#}
{% macro feature_mart_run_window(plan, monthly='monthly', built='built') %}
    {%- if is_incremental() %}
        {%- set recompute_from = 'cast(' ~ dbt.dateadd(
            'month', -1 * var('features_recompute_months'), built ~ '.last_cutoff') ~ ' as date)' %}
        {%- set first_changed = 'cast(' ~ dbt.dateadd('month', -3, 'min(rebuilt_members.changed_from)')
            ~ ' as date)' %}
        select
            first_cutoff,
            cast({{ dbt.dateadd('month', -12, 'first_cutoff') }} as date) as first_month
        from (
            select
            {%- if plan.restrict %}
                least(
                    {{ recompute_from }},
                    coalesce((select {{ first_changed }} from rebuilt_members), {{ recompute_from }})
                ) as first_cutoff
            {%- else %}
                {{ recompute_from }} as first_cutoff
            {%- endif %}
            from {{ built }}
        ) as window_start
    {%- else %}
        select
            cast(min(month_start) as date) as first_cutoff,
            cast({{ dbt.dateadd('month', -12, 'min(month_start)') }} as date) as first_month
        from {{ monthly }}
    {%- endif %}
{% endmacro %}

{#- A condition on the rows a run reads: with restrict, that `member_id` is a rebuilt member
    (`also`: or in that other key list, e.g. the relabelled ones); true otherwise. -#}
{% macro is_rebuilt_member(plan, member_id, also=none) -%}
    {%- if plan.restrict -%}
        ({{ member_id }} in (select rebuilt_members.member_id from rebuilt_members)
        {%- if also %} or {{ member_id }} in (select {{ also }}.member_id from {{ also }}){% endif %})
    {%- else -%}
        true
    {%- endif %}
{%- endmacro %}

{#- restrict's relabelled rows: everyone else's stored rows in relabel_keys with their labels
    summed again from label_months (cutoff c: months c and c + 1 whole, then the early days of
    c + 2 and c + 3), the other columns copied. -#}
{% macro relabelled_ctes(stored_columns, label_columns, data_end='data_end', loaded='loaded') %}
relabels as (

    select
        relabel_keys.member_id,
        relabel_keys.cutoff_date,
        cast({{ dbt.dateadd('day', 90, 'relabel_keys.cutoff_date') }} as date)
        <= min({{ data_end }}.data_through) as is_label_complete,
        {%- for label in loyalty.label_sums() %}
        coalesce(sum(
            case
                when label_months.month_start
                    < cast({{ dbt.dateadd('month', 2, 'relabel_keys.cutoff_date') }} as date)
                    then label_months.{{ label.whole }}
                when label_months.month_start
                    < cast({{ dbt.dateadd('month', 3, 'relabel_keys.cutoff_date') }} as date)
                    then label_months.{{ label.early }}_2
                else label_months.{{ label.early }}_3
            end
        ), 0) as {{ label.name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from relabel_keys
    cross join {{ data_end }}
    left join label_months
        on
            relabel_keys.member_id = label_months.member_id
            and label_months.month_start >= relabel_keys.cutoff_date
            and label_months.month_start
            < cast({{ dbt.dateadd('month', 4, 'relabel_keys.cutoff_date') }} as date)
    group by 1, 2

),

relabelled as (

    select
        {%- for column in stored_columns if column not in label_columns %}
        stored.{{ column }},
        {%- endfor %}
        {{ loyalty.label_values('relabels') }},
        {{ loaded }}.loaded_through
    from {{ this }} as stored
    inner join relabels
        on
            stored.member_id = relabels.member_id
            and stored.cutoff_date = relabels.cutoff_date
    cross join {{ loaded }}
    -- bounds DuckDB prunes the stored scan with before the join (38 columns of the last cutoffs)
    where
        stored.cutoff_date >= (select min(relabel_keys.cutoff_date) from relabel_keys)
        and stored.member_id in (select relabel_keys.member_id from relabel_keys)

)
{%- endmacro %}
