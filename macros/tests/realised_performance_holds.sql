{#- The current champions' realised metrics hold up against the ones measured at training:
    returns the champion cutoffs of mart_model_performance whose metric_shortfall (AUC points
    for a classifier, the MSE's relative rise for a regressor) exceeds the tolerance. Two
    instances read var ml_performance_tolerance: one warns, one errors. Retired versions keep
    their history in the mart without failing every later build. -#}
{% test realised_performance_holds(model, auc_points, mse_rise) %}

select
    model_name,
    model_version,
    cutoff_date,
    task,
    metric_shortfall
from {{ model }}
where
    is_champion
    and (
        (task = 'classification' and metric_shortfall > {{ auc_points }})
        or (task = 'regression' and metric_shortfall > {{ mse_rise }})
    )

{% endtest %}
