{#- Several per-key aggregates combined into one row per key: the inputs stacked (union all,
    a measure an input lacks is 0, or null for a max) and summed by key. One aggregate spills
    to disk gracefully where joining the inputs would hold their build sides in memory (12-18M
    rows each for member_monthly at a million members).

    inputs: list of [relation, columns]; columns a list of the measures the relation holds
    under the same name, or a dict measure -> SQL expression over the relation. The output has
    every measure, in the inputs' order, summed; those in `latest` (timestamps) take the max.
    keys: the grouping columns, which every input holds; having: an optional filter. -#}
{% macro stack_and_sum(inputs, keys, latest=[], having=none) %}
    {%- set empty = {'sum': '0', 'max': 'cast(null as ' ~ dbt.type_timestamp() ~ ')'} %}
    {%- set measures = {} %}
    {%- for relation, columns in inputs %}
        {%- for measure in columns %}
            {%- do measures.update({measure: 'max' if measure in latest else 'sum'}) %}
        {%- endfor %}
    {%- endfor %}
    select
        {{ keys | join(', ') }},
        {%- for measure, agg in measures.items() %}
        {{ agg }}({{ measure }}) as {{ measure }}{{ ',' if not loop.last }}
        {%- endfor %}
    from (
        {%- for relation, columns in inputs %}
        {%- set given = columns if columns is mapping else {} %}
        {%- for measure in columns if columns is not mapping %}
            {%- do given.update({measure: measure}) %}
        {%- endfor %}
        select
            {{ keys | join(', ') }},
            {%- for measure, agg in measures.items() %}
            {{ given.get(measure, empty[agg]) }} as {{ measure }}{{ ',' if not loop.last }}
            {%- endfor %}
        from {{ relation }}
        {{- '\n        union all' if not loop.last }}
        {%- endfor %}
    ) as stacked
    group by {{ keys | join(', ') }}
    {%- if having %}
    having {{ having }}
    {%- endif %}
{% endmacro %}
