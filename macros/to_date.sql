{#- `agg(expr)` over a partition's rows up to and including the current one: a running total
    (sum) or the latest value so far (max). -#}
{% macro to_date(agg, expr, partition_by='member_id', order_by='month_start') -%}
    {{ agg }}({{ expr }}) over (
        partition by {{ partition_by }} order by {{ order_by }}
        rows between unbounded preceding and current row
    )
{%- endmacro %}
