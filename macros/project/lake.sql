{#- The lake behind staging (var raw_layer = 'lake'), read in place by DuckDB: checked before
    a model reads it, so a lake problem is one message naming the table, partition and column
    instead of NULLs, a missing table or rows never loaded.
    - A table with no files yet (a young program has no point expirations) is an empty relation
      with the declared columns, not an error (lake_relation).
    - A partition whose columns differ from the declared ones (the raw seed's columns, one
      layout for both layers) fails the run: union_by_name would fill a missing column with
      NULL silently (check_lake_partitions).
    - An export older than the lookback window fails the run (arrived_too_late).
    On BigQuery the lake is external tables with their own schema: the source is used as is. -#}
{% macro lake_relation(table_name) %}
    {%- set relation = source('loyalty', table_name) -%}
    {%- if not execute or target.type != 'duckdb' or loyalty.lake_file_count(table_name) > 0 -%}
        {{ return(relation) }}
    {%- endif -%}
    {%- set columns = [] -%}
    {%- for column in loyalty.raw_columns(table_name) -%}
        {%- do columns.append('cast(null as ' ~ dbt.type_string() ~ ') as ' ~ column) -%}
    {%- endfor -%}
    {{ return('(select ' ~ columns | join(', ') ~ ', cast(null as date) as extract_date'
        ~ ' where 1 = 0) as lake_' ~ table_name ~ '_has_no_files_yet') }}
{% endmacro %}

{#- A base model's checks of the lake before it reads it, from one listing of its files: the
    columns of the partitions the run reads (all of them on a full refresh, those from the
    threshold's day on otherwise: each file's footer costs a read), and on an incremental run
    the exports that landed too late to be read. Renders nothing. -#}
{% macro check_lake(table_name, threshold=none) %}
    {%- if not execute or target.type != 'duckdb' or var('raw_layer', 'seeds') != 'lake' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set day = "cast(regexp_extract(file, 'extract_date=([0-9-]+)', 1) as date)" -%}
    {%- set listed -%}
        select
            file,
            cast({{ day }} as {{ dbt.type_string() }}) as partition_day,
            {%- if threshold is none %}
            true as read_by_this_run,
            false as arrived_too_late
            {%- else %}
            {{ day }} >= cast({{ threshold }} as date) as read_by_this_run,
            {{ loyalty.arrived_too_late(day, threshold) }} as arrived_too_late
            {%- endif %}
        from glob('{{ loyalty.lake_files(table_name) }}')
        order by file
    {%- endset -%}
    {%- set files = run_query(listed).rows -%}
    {%- do loyalty.check_lake_partitions(table_name,
        files | selectattr(2) | map(attribute=0) | list) -%}
    {%- set late = files | selectattr(3) | map(attribute=1) | unique | sort | list -%}
    {%- if late -%}
        {{ exceptions.raise_compiler_error(
            "lake table " ~ table_name ~ ": export(s) " ~ late | join(', ')
            ~ " arrived after the lookback window (incremental_lookback_days = "
            ~ var('incremental_lookback_days') ~ ") and would never be loaded. Run "
            ~ "`dbt build --full-refresh -s " ~ this.identifier ~ "+ --vars '{raw_layer: lake}'`"
            ~ " to load them, or rerun with a longer --vars incremental_lookback_days") }}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}

{#- Each listed partition file holds exactly the declared raw columns, or the run fails naming
    the table, partition and column. -#}
{% macro check_lake_partitions(table_name, files) %}
    {%- if not files -%}{{ return('') }}{%- endif -%}
    {%- set quoted = [] -%}
    {%- for file in files -%}{%- do quoted.append("'" ~ file | replace("'", "''") ~ "'") -%}{%- endfor -%}
    {%- set found = run_query(
        "select file_name, string_agg(name, ',' order by name) from parquet_schema(["
        ~ quoted | join(', ') ~ "]) where num_children is null group by file_name order by file_name"
    ) -%}
    {%- set declared = loyalty.raw_columns(table_name) -%}
    {%- for row in found.rows -%}
        {%- set present = row[1].split(',') -%}
        {%- set missing = declared | reject('in', present) | list -%}
        {%- set extra = present | reject('in', declared) | list -%}
        {%- if missing or extra -%}
            {{ exceptions.raise_compiler_error(
                "lake table " ~ table_name ~ ", partition "
                ~ (row[0] | replace('\\', '/')).split('/')[-2] ~ " (" ~ row[0] ~ "): "
                ~ ("missing column(s) " ~ missing | join(', ') if missing else "")
                ~ ("; " if missing and extra else "")
                ~ ("unexpected column(s) " ~ extra | join(', ') if extra else "")
                ~ ". Every partition must hold exactly the declared raw columns ("
                ~ declared | join(', ') ~ "): fix or re-export the partition") }}
        {%- endif -%}
    {%- endfor -%}
    {{ return('') }}
{% endmacro %}

{#- The glob of a lake table's Parquet files. -#}
{% macro lake_files(table_name) -%}
    {{ return(env_var('LOYALTY_LAKE', 'lake') ~ '/' ~ table_name ~ '/*/*.parquet') }}
{%- endmacro %}

{% macro lake_file_count(table_name) -%}
    {{ return(run_query("select count(*) from glob('" ~ loyalty.lake_files(table_name) ~ "')")
        .columns[0].values()[0]) }}
{%- endmacro %}

{#- The raw columns of a table as its seed declares them (seeds/_raw__seeds.yml). -#}
{% macro raw_columns(table_name) -%}
    {%- set seed = graph.nodes.get('seed.loyalty.raw_' ~ table_name) -%}
    {%- if seed is none or not seed.columns -%}
        {{ exceptions.raise_compiler_error("no declared columns for raw table " ~ table_name) }}
    {%- endif -%}
    {{ return(seed.columns.keys() | list) }}
{%- endmacro %}

{#- An incremental run reads the lake's partitions from the threshold's day on. A partition
    older than that which the model never loaded arrived after the lookback window: it would
    never be read, and the reconciliation tests would fail without saying why. True for such a
    partition day (never while replaying the past with raw_as_of, which holds rows back, nor
    for days after raw_extracted_through, which a replay has not reached). -#}
{% macro arrived_too_late(day, threshold) -%}
    {%- set through = var('raw_extracted_through', none) -%}
    {%- if var('raw_as_of', none) -%}
        false
    {%- else -%}
        (
            {{ day }} < cast({{ threshold }} as date)
            {%- if through %} and {{ day }} <= cast('{{ through }}' as date){% endif %}
            and {{ day }} not in (
                select distinct cast(extracted_at as date) from {{ this }}
                where extracted_at < {{ threshold }}
            )
        )
    {%- endif -%}
{%- endmacro %}
