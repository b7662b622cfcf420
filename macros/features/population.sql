{#- Why a member-cutoff is outside the population a retention campaign acts on, or null when
    it is inside: an open account (status active at the cutoff) with a purchase in the 90 days
    before the cutoff. The churn model is trained, evaluated, scored and monitored on it (docs
    block ml_population, models/ml/_ml__docs.md). -#}
{% macro ineligible_reason(status, purchases_lifetime, recency_days) %}
    case
        when {{ status }} <> 'active' then {{ dbt.concat(["'account_'", status]) }}
        when {{ purchases_lifetime }} = 0 or {{ recency_days }} is null then 'never_bought'
        when {{ recency_days }} > 90 then 'no_purchase_90d'
    end
{%- endmacro %}
