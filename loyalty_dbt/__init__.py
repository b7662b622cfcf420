"""Python that dbt itself loads (not the ML package): the dbt-duckdb plugin that hands the
PII key to each DuckDB connection without it ever entering SQL text."""
