{#- The model has exactly `expected` rows (e.g. dim_date, fixed reference tables).
    Returns one row with both counts when they differ. -#}
{% test row_count_equals(model, expected) %}

select
    count(*) as actual_rows,
    {{ expected }} as expected_rows
from {{ model }}
having count(*) <> {{ expected }}

{% endtest %}
