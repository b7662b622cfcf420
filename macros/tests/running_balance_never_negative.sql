{#- A points balance can never go below zero: redemptions and expirations must be
    covered by earlier earnings. Returns the offending rows. -#}
{% test running_balance_never_negative(model, balance_column='running_balance') %}

select *
from {{ model }}
where {{ balance_column }} < 0

{% endtest %}
