{#- The columns together identify a row (dbt_utils.unique_combination_of_columns, which we
    cannot install). Returns each duplicated combination with its count. -#}
{% test unique_combination(model, columns) %}

select
    {{ columns | join(', ') }},
    count(*) as occurrences
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1

{% endtest %}
