{#- Stable row key from business columns. dbt_utils.generate_surrogate_key cannot be
    installed here, so this is the same recipe: cast to string, nulls to a sentinel,
    join with '-', then dbt.hash (md5 hex on every adapter). -#}
{% macro surrogate_key(field_list) -%}
    {%- if field_list is string -%}{%- set field_list = [field_list] -%}{%- endif -%}
    {%- set parts = [] -%}
    {%- for field in field_list -%}
        {%- set text = "cast(" ~ field ~ " as " ~ dbt.type_string() ~ ")" -%}
        {%- do parts.append("coalesce(" ~ text ~ ", '_dbt_null_')") -%}
        {%- if not loop.last %}{% do parts.append("'-'") %}{% endif -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}
