{#- Nothing is lost between raw and staging: every raw row is either in the model
    (current, valid), a superseded valid version in the base model, or quarantined.
    Returns one row with the four counts when raw != model + superseded + quarantined.
    Rows are counted, not keys (a row with a null key is still a row): key_column
    only names the grain in the failure output. -#}
{% test reconciles_to_raw(model, base_relation, quarantine_relation, source_table, key_column=none, raw_relation=none) %}
{#- By default the raw side is whatever the project reads (seeds or lake), via the macro. -#}
{%- set raw = raw_relation if raw_relation is not none else loyalty.raw_relation(source_table) -%}

with counts as (
    select
        (select count(*) from {{ raw }}) as raw_rows,
        (select count(*) from {{ model }}) as model_rows,
        (
            select count(*) from {{ base_relation }}
            where dq_reason is null and not is_current_version
        ) as superseded_rows,
        (
            select count(*) from {{ quarantine_relation }}
            where source_table = '{{ source_table }}'
        ) as quarantined_rows
)

select
    '{{ source_table }}' as source_table,
    {%- if key_column %}
    '{{ key_column }}' as key_column,
    {%- else %}
    cast(null as {{ dbt.type_string() }}) as key_column,
    {%- endif %}
    raw_rows,
    model_rows,
    superseded_rows,
    quarantined_rows,
    raw_rows - (model_rows + superseded_rows + quarantined_rows) as unaccounted_rows
from counts
where raw_rows <> model_rows + superseded_rows + quarantined_rows

{% endtest %}
