-- to_json_text: the named columns' values as a JSON object of strings, nulls kept.
-- (Literals avoid quotes and backslashes: BigQuery and DuckDB escape them differently.)
with source_row as (
    select 1 as id, 'Ana Souza' as name, cast(null as {{ dbt.type_string() }}) as email
),

results as (
    select {{ loyalty.to_json_text(['id', 'name', 'email'], 'r') }} as raw_values
    from source_row as r
)

select raw_values
from results
where raw_values is distinct from '{"id":"1","name":"Ana Souza","email":null}'
