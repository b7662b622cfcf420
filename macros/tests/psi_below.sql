{#- The current champions' scored cutoffs are stable: returns the rows of mart_model_drift
    whose PSI reaches `threshold` (instances at var ml_psi's warn and alert). A retired
    version's drift stays in the mart without failing later builds. -#}
{% test psi_below(model, threshold) %}

select
    model_name,
    model_version,
    cutoff_date,
    feature,
    psi
from {{ model }}
where is_champion and psi >= {{ threshold }}

{% endtest %}
